"""`follow institution`: one more subscription kind, whose papers come from OpenAlex and the arXiv feed.

The roster of active researchers is built here when OpenAlex can list the institution's works (one billed
call), so the first digest already recognises their arXiv papers; without an API key no list call is made,
and the confirmation says what will not come until the operator sets one.
"""

from __future__ import annotations

import logging

from core.app import App
from core.model.context import Actor, Destination
from core.model.institutions import InstitutionProfile, InstitutionRoster
from core.researchers.coverage import KEY_SETTING
from core.researchers.institutions import CARD_WORKS, InstitutionLookup, active_since
from core.researchers.roster import build_roster
from core.sources.http import SourceError
from core.storage import channels
from core.subscriptions.handlers import limit_problem, next_digest_phrase
from core.subscriptions.setup import open_channel
from core.views import Notice, Problem, Visibility

log = logging.getLogger(__name__)

NO_KEY_NOTE = (f"Note: this Paper Radar has no OpenAlex API key (the operator sets {KEY_SETTING}): institutions "
               "need OpenAlex, so neither its papers nor its researchers' arXiv papers come until one is set.")


def _same(record_kind: str, record_id: str | None, profile: InstitutionProfile) -> bool:
    return record_kind == "institution" and record_id == profile.openalex_id


async def _roster(app: App, lookup: InstitutionLookup, profile: InstitutionProfile) -> InstitutionRoster | None:
    """Built now when OpenAlex lists its works; None (ingest builds it) without a key or when OpenAlex fails."""
    if app.settings.openalex_api_key is None:
        return None
    try:
        listing = await lookup.openalex.works_by_institution(profile.openalex_id, active_since(app.now()),
                                                             max_results=CARD_WORKS)
    except SourceError as error:
        log.info("roster of %s not built at follow time: %s", profile.openalex_id, error)
        return None
    return build_roster(profile.display_name, listing.items, app.now())


async def follow_profile(app: App, lookup: InstitutionLookup, profile: InstitutionProfile, actor: Actor,
                         where: Destination) -> Notice | Problem:
    name = profile.display_name[:300]
    async with app.db.session() as session:
        channel = await channels.find_channel(session, where)
        records = await channels.list_subscriptions(session, channel.id) if channel else []
    existing = next((r for r in records if _same(r.kind, r.openalex_id, profile)), None)
    if existing is not None:
        return Notice(f"This channel already follows {existing.display_name or name} as #{existing.number}.")
    if len(records) >= app.settings.max_subscriptions_per_channel:
        return limit_problem(app.settings.max_subscriptions_per_channel)
    roster = await _roster(app, lookup, profile)  # before the transaction: no lock held across a source call
    async with app.db.session() as session:
        channel = await open_channel(session, where, actor)
        records = await channels.list_subscriptions(session, channel.id)
        existing = next((r for r in records if _same(r.kind, r.openalex_id, profile)), None)
        if existing is not None:
            return Notice(f"This channel already follows {existing.display_name or name} as #{existing.number}.")
        if len(records) >= app.settings.max_subscriptions_per_channel:
            return limit_problem(app.settings.max_subscriptions_per_channel)
        record = await channels.add_subscription(
            session, channel.id, kind="institution", openalex_id=profile.openalex_id, display_name=name,
            roster=roster.to_json() if roster is not None else None, created_by=actor.user_id)
        await session.commit()
    place = ", ".join(p for p in (profile.city, profile.country) if p)
    people = (f", and fresh arXiv papers by its {len(roster.members)} most active researchers"
              if roster is not None and roster.members else "")
    note = ""
    if app.settings.openalex_api_key is None:
        note = " " + NO_KEY_NOTE
    elif roster is None:
        note = " Its researchers could not be listed just now; the next ingest lists them."
    return Notice(
        f"This channel now follows {name}" + (f" ({place})" if place else "") + f" as #{record.number}: new "
        f"papers with an author there or in one of its labs come in the digest{people}. "
        + next_digest_phrase(app, channel.settings, actor, first=not records) + note,
        title="Following", actor_id=actor.user_id, visibility=Visibility.CHANNEL)
