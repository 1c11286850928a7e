"""Evidence for followed researchers whose subscriptions have none yet, read by the ingest.

Subscriptions stored before evidence was kept, imported from another channel, or made while the person's
works could not be read hold no evidence, and their name matches on arXiv only show as "possibly by". The
ingest reads such a person's works once (one list call, cached like the card's) and stores what they say on
every subscription to them that still has none.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from dataclasses import replace

from core.app import App
from core.model.channels import Subscription
from core.model.enums import SubscriptionKind
from core.model.researchers import AuthorProfile
from core.researchers.lookup import openalex_known_spent
from core.researchers.profile import work_summary
from core.storage import channels
from core.storage.researchers import find_saved_profile

log = logging.getLogger(__name__)
EVIDENCE_PER_RUN = 20  # list calls; OpenAlex without a key allows about a hundred a day


def missing_evidence(subscriptions: Iterable[Subscription]) -> list[Subscription]:
    """One subscription per followed person (by id) that has no evidence yet."""
    people: dict[tuple[str | None, str | None], Subscription] = {}
    for sub in subscriptions:
        if sub.kind == SubscriptionKind.RESEARCHER and sub.evidence is None and (sub.openalex_id or sub.s2_id):
            people.setdefault((sub.openalex_id, None if sub.openalex_id else sub.s2_id), sub)
    return list(people.values())


async def _profile_for(app: App, sub: Subscription) -> AuthorProfile:
    """The saved profile (its institutions and fields are evidence too), else what the subscription knows.

    Its works are read where the ingest reads them: from Semantic Scholar when there is no OpenAlex key and
    a Semantic Scholar id is known (`work_summary` asks OpenAlex whenever the profile has its id).
    """
    kind, value = ("openalex", sub.openalex_id) if sub.openalex_id else ("s2", sub.s2_id)
    async with app.db.session() as session:
        saved = await find_saved_profile(session, kind, value or "")
    profile = None
    if saved is not None and saved.profile:
        with contextlib.suppress(ValueError):
            profile = AuthorProfile.from_json(saved.profile)
    if profile is None:
        profile = AuthorProfile(display_name=sub.display_name or sub.openalex_id or sub.s2_id or "?",
                                openalex_id=sub.openalex_id, s2_id=sub.s2_id, orcid=sub.orcid,
                                alternative_names=sub.name_variants,
                                source="openalex" if sub.openalex_id else "semanticscholar")
    if profile.openalex_id and sub.s2_id and app.settings.openalex_api_key is None:
        profile = replace(profile, openalex_id=None, s2_id=sub.s2_id)
    return profile


async def refresh_missing_evidence(app: App, subscriptions: Iterable[Subscription],
                                   limit: int = EVIDENCE_PER_RUN) -> int:
    """Read and store evidence for up to `limit` people who have none; how many got it.

    Stops at the first failure: a source that fails now (down, or out of budget) would fail for the rest
    too, and the next ingest tries again.
    """
    done = 0
    todo = missing_evidence(subscriptions)
    if todo and any(s.openalex_id for s in todo) and await openalex_known_spent(app):
        todo = [s for s in todo if not s.openalex_id]  # asking would only cost another 429
    for sub in todo[:limit]:
        summary = await work_summary(app, await _profile_for(app, sub), with_evidence=True)
        if summary is None or summary.evidence is None:
            break
        async with app.db.session() as session:
            changed = await channels.fill_researcher_evidence(
                session, summary.evidence.to_json(), openalex_id=sub.openalex_id,
                s2_id=None if sub.openalex_id else sub.s2_id)
            await session.commit()
        log.info("evidence for %s stored on %d subscriptions", sub.display_name, changed)
        done += 1
    return done
