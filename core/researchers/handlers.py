"""`researcher`, `follow`, `iam`, and `researcher pick` / `follow pick` / `iam pick` from a list of namesakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from core.app import App
from core.commands import Follow, IAm, LookupResearcher, PickCandidate
from core.model.channels import Subscription
from core.model.context import Actor, Destination
from core.model.researchers import AuthorCandidate, AuthorProfile
from core.researchers.claims import save_iam, show_or_forget
from core.researchers.coverage import follow_notes
from core.researchers.identity import identity_label, identity_note
from core.researchers.lookup import (
    Candidates,
    Found,
    LookupProblem,
    ResearcherLookup,
    candidate_key,
    hashed_key,
    not_found_problem,
    query_for,
)
from core.researchers.pictures import card_images
from core.researchers.profile import SOURCE_NAMES, build_card, plausible_names, work_summary
from core.rules import is_direct_message
from core.storage import channels, claims, repos
from core.subscriptions.handlers import limit_problem, next_digest_phrase
from core.subscriptions.setup import open_channel
from core.views import Candidate, Notice, PickList, Problem, View, Visibility

PICK_TTL = timedelta(hours=1)


async def _resolve(app: App, lookup: ResearcherLookup, text: str, actor: Actor, where: Destination,
                   action: str) -> Found | View:
    """The profile meant, or what to show instead: a pick list of namesakes, or nobody found."""
    result = await lookup.resolve(text)
    if isinstance(result, Found):
        return result
    if not result.items:
        return not_found_problem(result.query, result.searched)
    await remember_picklist(app, actor, where, result)
    return picklist_view(result, action)


async def lookup_researcher(app: App, command: LookupResearcher, actor: Actor, where: Destination) -> View:
    try:
        found = await _resolve(app, ResearcherLookup(app), command.query, actor, where, "researcher")
    except LookupProblem as error:
        return error.problem
    return await _card(app, found, where) if isinstance(found, Found) else found


async def pick_candidate(app: App, command: PickCandidate, actor: Actor, where: Destination) -> View:
    action = command.action if command.action in ("follow", "iam") else "researcher"
    try:
        candidate = await recall_pick(app, actor, where, command.number, action)
        found = await ResearcherLookup(app).profile(query_for(candidate))
    except LookupProblem as error:
        return error.problem
    if action == "follow":
        return await _follow(app, found.profile, actor, where)
    if action == "iam":
        return await save_iam(app, found.profile, actor, where)
    return await _card(app, found, where)


async def iam(app: App, command: IAm, actor: Actor, where: Destination) -> View:
    if not command.query:
        return await show_or_forget(app, command, actor, where)
    try:
        found = await _resolve(app, ResearcherLookup(app), command.query, actor, where, "iam")
    except LookupProblem as error:
        return error.problem
    return await save_iam(app, found.profile, actor, where) if isinstance(found, Found) else found


async def follow(app: App, command: Follow, actor: Actor, where: Destination) -> View:
    try:
        found = await _resolve(app, ResearcherLookup(app), command.query, actor, where, "follow")
    except LookupProblem as error:
        return error.problem
    return await _follow(app, found.profile, actor, where) if isinstance(found, Found) else found


# ---------------------------------------------------------------- pick lists


def picklist_view(candidates: Candidates, action: str) -> PickList:
    return PickList(
        query=candidates.query,
        action=action,
        candidates=tuple(
            Candidate(number=n, name=c.display_name, institution=c.institution, works_count=c.works_count,
                      main_topic=c.main_topic, key=candidate_key(c),
                      identity=identity_label(c.orcid, c.openalex_id, c.s2_id))
            for n, c in enumerate(candidates.items, 1)
        ),
    )


def _pick_key(actor: Actor, where: Destination) -> str:
    return hashed_key("picklist", where.platform, where.workspace_id, where.channel_id, actor.user_id)


async def remember_picklist(app: App, actor: Actor, where: Destination, candidates: Candidates) -> None:
    """Keep what this person was shown here, so that `researcher pick <n>` / `follow pick <n>` can choose.

    Per person as well as per channel: two people searching at once must not pick from each other's list.
    """
    value = {"query": candidates.query, "candidates": [c.to_json() for c in candidates.items]}
    async with app.db.session() as session:
        await repos.cache_put(session, _pick_key(actor, where), value, PICK_TTL, now=app.now())
        await session.commit()


async def recall_pick(app: App, actor: Actor, where: Destination, number: int, action: str) -> AuthorCandidate:
    async with app.db.session() as session:
        stored = await repos.cache_get(session, _pick_key(actor, where), now=app.now())
    raw = stored.get("candidates") if isinstance(stored, dict) else None
    if not isinstance(raw, list) or not raw:
        raise LookupProblem(Problem(
            "Nothing to pick from",
            "I have no recent list of names for you in this channel (lists are kept for an hour).",
            f"Search first with `{action} <name>`, then choose with `{action} pick <n>`.",
            code="not_found",
        ))
    if not 1 <= number <= len(raw):
        raise LookupProblem(Problem(
            "No such number in the list",
            f"The last list had {len(raw)} entries; there is no number {number}.",
            f"Choose one of 1–{len(raw)}, like `{action} pick 1`.",
            code="usage",
        ))
    try:
        return AuthorCandidate.from_json(raw[number - 1])
    except ValueError:
        raise LookupProblem(Problem("That entry cannot be read", "The saved list is damaged.",
                                    f"Search again with `{action} <name>`.", code="not_found")) from None


# ---------------------------------------------------------------- cards


async def _card(app: App, found: Found, where: Destination) -> View:
    profile = found.profile
    summary = await work_summary(app, profile)
    followed = await _followed_as(app, where, profile) is not None
    followers, claimed_by = await _here(app, where, profile)
    card = build_card(profile, summary, now=app.now(), followed=followed,
                      stale_since=found.fetched_at if found.stale else None)
    return replace(card, identity=identity_label(profile.orcid, profile.openalex_id, profile.s2_id),
                   identity_note=identity_note(profile.orcid, profile.openalex_id, profile.s2_id),
                   followers=followers, claimed_by=claimed_by, images=await card_images(card, summary))


async def _here(app: App, where: Destination, profile: AuthorProfile) -> tuple[int | None, tuple[str, ...]]:
    """How many channels of this workspace follow the person, and who here said `iam` them (none in a DM)."""
    if is_direct_message(where):
        return None, ()
    openalex = {i for i in (profile.openalex_id, profile.merged_from) if i}
    async with app.db.session() as session:
        followers = await claims.followers_in_workspace(session, where.platform, where.workspace_id, openalex,
                                                        profile.orcid, profile.s2_id)
        members = await claims.workspace_claims(session, where.platform, where.workspace_id)
    return followers, tuple(m.user_id for m in members if m.is_person(openalex, profile.orcid, profile.s2_id))


def _same_person(record: Subscription, profile: AuthorProfile) -> bool:
    if record.kind != "researcher":
        return False
    openalex = {i for i in (profile.openalex_id, profile.merged_from) if i}
    return bool(
        (record.openalex_id and record.openalex_id in openalex)
        or (record.orcid and record.orcid == profile.orcid)
        or (record.s2_id and record.s2_id == profile.s2_id)
    )


async def _followed_as(app: App, where: Destination, profile: AuthorProfile) -> Subscription | None:
    async with app.db.session() as session:
        channel = await channels.find_channel(session, where)
        if channel is None:
            return None
        records = await channels.list_subscriptions(session, channel.id)
    return next((r for r in records if _same_person(r, profile)), None)


# ---------------------------------------------------------------- following


def _nothing_to_follow(profile: AuthorProfile) -> Problem | None:
    """A record without works: what OpenAlex leaves of a profile it emptied (merged away, or deleted)."""
    if profile.works_count != 0:
        return None
    where = SOURCE_NAMES.get(profile.source, profile.source or "The source")
    ident = profile.openalex_id or (f"s2:{profile.s2_id}" if profile.s2_id else profile.orcid or "")
    return Problem(
        "Nothing to follow",
        f"{where} lists no works for {profile.display_name[:120]} ({ident}): a record left empty, usually "
        "because it was merged into another one or deleted, so following it would bring nothing.",
        "Search by name (`follow <name>`) to find the record their papers are listed under.",
        code="not_found",
    )


async def _already(app: App, profile: AuthorProfile, where: Destination) -> Notice | Problem | None:
    """Why not to add this follow in this channel: it is already there, or the channel is full."""
    async with app.db.session() as session:
        channel = await channels.find_channel(session, where)
        records = await channels.list_subscriptions(session, channel.id) if channel else []
    existing = next((r for r in records if _same_person(r, profile)), None)
    if existing is not None:
        name = existing.display_name or profile.display_name[:300]
        return Notice(f"This channel already follows {name} as #{existing.number}.")
    if len(records) >= app.settings.max_subscriptions_per_channel:
        return limit_problem(app.settings.max_subscriptions_per_channel)
    return None


async def _follow(app: App, profile: AuthorProfile, actor: Actor, where: Destination) -> Notice | Problem:
    name = profile.display_name[:300]
    refused = _nothing_to_follow(profile) or await _already(app, profile, where)
    if refused is not None:
        return refused
    # Their works say what tells their fresh arXiv papers from a namesake's (`core.researchers.evidence`);
    # read before the transaction, so no database lock is held across a source call.
    summary = await work_summary(app, profile, with_evidence=True)
    evidence = summary.evidence if summary is not None else None
    async with app.db.session() as session:
        channel = await open_channel(session, where, actor)
        records = await channels.list_subscriptions(session, channel.id)
        existing = next((r for r in records if _same_person(r, profile)), None)
        if existing is not None:  # someone followed them in the moment the works were read
            return Notice(f"This channel already follows {existing.display_name or name} as #{existing.number}.")
        if len(records) >= app.settings.max_subscriptions_per_channel:
            return limit_problem(app.settings.max_subscriptions_per_channel)
        record = await channels.add_subscription(
            session,
            channel.id,
            kind="researcher",
            openalex_id=profile.openalex_id,
            orcid=profile.orcid,
            s2_id=profile.s2_id,
            display_name=name,
            name_variants=plausible_names(profile),
            evidence=evidence.to_json() if evidence is not None else None,
            created_by=actor.user_id,
        )
        await session.commit()
    place = f" ({profile.institutions[0]})" if profile.institutions else ""
    merged = (f"OpenAlex merged the record {profile.merged_from} into {profile.openalex_id}: following that one. "
              if profile.merged_from else "")
    notes = follow_notes(app.settings, profile.openalex_id, profile.s2_id, evidence)
    return Notice(
        merged
        + f"This channel now follows {name}{place} as #{record.number}: their new papers will come in the digest. "
        + next_digest_phrase(app, channel.settings, actor, first=not records)
        + (" Note: " + " ".join(notes) if notes else ""),
        title="Following",
        actor_id=actor.user_id,
        visibility=Visibility.CHANNEL,
    )
