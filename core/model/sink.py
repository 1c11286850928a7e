"""What each adapter implements to deliver a digest, and how delivery failures are classified."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from core.model.context import Destination
from core.views import DigestView

# Called after each platform message is accepted: the papers it carried (in order) and its message id.
MarkSent = Callable[[Sequence[str], str], Awaitable[None]]


class DeliveryError(Exception):
    """A destination did not take the digest.

    `pause` means retrying cannot help (channel gone, bot removed, permission lost): the destination is
    paused with `reason`, and its subscriptions are kept. Otherwise the run is retried later.
    `access_lost` says the pause comes from the workspace's access (a revoked token, an uninstalled app), not
    from this channel: the workspace regaining access then resumes it, as it resumes the others.
    """

    def __init__(self, reason: str, *, pause: bool = False, retry_after: float | None = None,
                 access_lost: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.pause = pause or access_lost
        self.retry_after = retry_after
        self.access_lost = access_lost


class LedgerUnavailable(Exception):
    """`mark_sent` could not record a message the platform took (the database failed). A sink lets it through
    and stops: the run is resumed later and looks for that message before posting anything again."""


class DigestSink(Protocol):
    """Renders a digest for one platform and posts it, message by message, in order."""

    def paginate(self, view: DigestView) -> Sequence[Sequence[str]]:
        """The papers of each message `view` makes on this platform, in order. Asked once, when a run claims
        its papers; the answer is stored with them and comes back as `view.pages` on every delivery of the run."""
        ...

    async def send_digest(
        self, destination: Destination, view: DigestView, mark_sent: MarkSent, *, previous: Sequence[str] = ()
    ) -> None:
        """Post `view`. `previous` holds message ids already posted for this run (a resumed run continues
        there; on Slack the first is the thread parent). Call `mark_sent` after every accepted message; when
        `view.pages` is set, post one message per page, each with exactly that page's papers."""
        ...
