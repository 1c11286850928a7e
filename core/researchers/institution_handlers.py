"""`institution <name | ROR | OpenAlex id>` and `institution pick <n>`: an institution's card, or namesakes."""

from __future__ import annotations

from datetime import timedelta

from core.app import App
from core.commands import FollowInstitution, LookupInstitution, PickInstitution
from core.model.context import Actor, Destination
from core.model.institutions import InstitutionCandidate, InstitutionProfile
from core.researchers.institution_follow import follow_profile
from core.researchers.institutions import InstitutionLookup, build_card, not_found_problem
from core.researchers.lookup import LookupProblem, hashed_key
from core.storage import channels, repos
from core.views import Candidate, PickList, Problem, View

PICK_TTL = timedelta(hours=1)


async def lookup_institution(app: App, command: LookupInstitution, actor: Actor, where: Destination) -> View:
    lookup = InstitutionLookup(app)
    try:
        found = await lookup.resolve(command.query)
    except LookupProblem as error:
        return error.problem
    if isinstance(found, InstitutionProfile):
        return await card(app, lookup, found, where)
    if not found:
        return not_found_problem(command.query)
    await _remember(app, actor, where, command.query, found)
    return picklist_view(command.query, found, "institution")


async def pick_institution(app: App, command: PickInstitution, actor: Actor, where: Destination) -> View:
    lookup = InstitutionLookup(app)
    try:
        candidate = await _recall(app, actor, where, command.number, _action(command.follow))
        profile = await lookup.profile(candidate.openalex_id)
    except LookupProblem as error:
        return error.problem
    if command.follow:
        return await follow_profile(app, lookup, profile, actor, where)
    return await card(app, lookup, profile, where)


async def follow_institution(app: App, command: FollowInstitution, actor: Actor, where: Destination) -> View:
    lookup = InstitutionLookup(app)
    try:
        found = await lookup.resolve(command.query)
    except LookupProblem as error:
        return error.problem
    if isinstance(found, InstitutionProfile):
        return await follow_profile(app, lookup, found, actor, where)
    if not found:
        return not_found_problem(command.query)
    await _remember(app, actor, where, command.query, found)
    return picklist_view(command.query, found, "follow institution")


def _action(follow: bool) -> str:
    return "follow institution" if follow else "institution"


async def card(app: App, lookup: InstitutionLookup, profile: InstitutionProfile, where: Destination) -> View:
    summary = await lookup.works(profile)
    return build_card(profile, summary, now=app.now(), followed=await followed_here(app, where, profile))


async def followed_here(app: App, where: Destination, profile: InstitutionProfile) -> bool:
    async with app.db.session() as session:
        channel = await channels.find_channel(session, where)
        records = await channels.list_subscriptions(session, channel.id) if channel else []
    return any(r.kind == "institution" and r.openalex_id == profile.openalex_id for r in records)


def picklist_view(query: str, found: list[InstitutionCandidate], action: str) -> PickList:
    return PickList(query=query, action=action, candidates=tuple(
        Candidate(number=n, name=c.display_name, institution=c.hint, works_count=c.works_count, main_topic=None,
                  key=c.openalex_id)
        for n, c in enumerate(found, 1)))


def _key(actor: Actor, where: Destination) -> str:
    return hashed_key("institution-picklist", where.platform, where.workspace_id, where.channel_id, actor.user_id)


async def _remember(app: App, actor: Actor, where: Destination, query: str, found: list[InstitutionCandidate]) -> None:
    """Per person and channel, as for researchers: two people searching at once must not pick from each other's."""
    value = {"query": query, "candidates": [c.to_json() for c in found]}
    async with app.db.session() as session:
        await repos.cache_put(session, _key(actor, where), value, PICK_TTL, now=app.now())
        await session.commit()


async def _recall(app: App, actor: Actor, where: Destination, number: int, action: str) -> InstitutionCandidate:
    async with app.db.session() as session:
        stored = await repos.cache_get(session, _key(actor, where), now=app.now())
    raw = stored.get("candidates") if isinstance(stored, dict) else None
    if not isinstance(raw, list) or not raw:
        raise LookupProblem(Problem(
            "Nothing to pick from",
            "I have no recent list of institutions for you in this channel (lists are kept for an hour).",
            f"Search first with `{action} <name>`, then choose with `{action} pick <n>`.", code="not_found"))
    if not 1 <= number <= len(raw):
        raise LookupProblem(Problem(
            "No such number in the list", f"The last list had {len(raw)} entries; there is no number {number}.",
            f"Choose one of 1–{len(raw)}, like `{action} pick 1`.", code="usage"))
    try:
        return InstitutionCandidate.from_json(raw[number - 1])
    except ValueError:
        raise LookupProblem(Problem("That entry cannot be read", "The saved list is damaged.",
                                    f"Search again with `{action} <name>`.", code="not_found")) from None
