"""The console's digest sink: the terminal is the channel, so a digest is printed."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Sequence
from typing import TextIO

from bots.console.render import _clean, render_digest
from core.model.context import Destination
from core.model.sink import MarkSent
from core.views import DigestView

_ids = itertools.count(1)


class ConsoleSink:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def paginate(self, view: DigestView) -> list[tuple[str, ...]]:
        """One printout holds the whole digest."""
        return [tuple(item.paper_id for item in view.items)] if view.items else []

    async def send_digest(
        self, destination: Destination, view: DigestView, mark_sent: MarkSent, *, previous: Sequence[str] = ()
    ) -> None:
        text = render_digest(view) if view.items else f"{view.title}: no new papers today."
        if view.note and not view.items:
            # A stale or failing feed: the channel must see why, or it would look like a quiet day.
            text += f"\nNote: {_clean(view.note)}"
        print(text, file=self.stream, flush=True)
        await mark_sent([item.paper_id for item in view.items], f"console-{next(_ids)}")
