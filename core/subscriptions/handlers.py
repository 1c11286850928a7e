"""Subscribing, listing and removing: what a channel follows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from core.app import App
from core.commands import ListSubscriptions, SubscribeCategory, SubscribeTopic, Unfollow, Unsubscribe
from core.ids import InvalidId, normalize_openalex_id, normalize_orcid
from core.model.channels import ChannelSettings, Subscription
from core.model.context import Actor, Destination
from core.storage import channels
from core.subscriptions.categories import (
    UnknownCategory,
    category_name,
    is_category,
    is_wildcard,
    normalize_category,
    normalize_wildcard,
)
from core.subscriptions.query import QueryError, parse_query
from core.subscriptions.query_notes import operator_notes, too_vague
from core.subscriptions.scope import SETTING, ScopeCheck, check_categories, ingest_scope
from core.subscriptions.setup import open_channel, schedule_phrase
from core.views import Notice, Problem, SubscriptionItem, SubscriptionList, Visibility


def limit_problem(limit: int) -> Problem:
    return Problem(
        "This channel has reached its subscription limit",
        f"A channel can have at most {limit} subscriptions.",
        "Remove one with `unsubscribe <number>` (see `list`), or combine topics with OR.",
        code="limit",
    )


def next_digest_phrase(app: App, settings: ChannelSettings, actor: Actor, *, first: bool) -> str:
    """When the new subscription's papers come (`setup.schedule_phrase`); `first`: the channel had none before."""
    return schedule_phrase(settings, actor, app.now(), first=first)


FOLLOWED_KINDS = ("researcher", "institution")  # what `unfollow` removes


def describe_subscription(record: Subscription) -> str:
    if record.kind == "topic":
        try:
            return parse_query(record.query or "").describe()
        except QueryError:
            return record.query or ""
    if record.kind == "category":
        try:
            return category_name(record.query or "")
        except (UnknownCategory, KeyError):
            return ""
    if record.kind == "similar":
        return "new papers close to " + ", ".join((record.query or "").split())
    if record.kind == "trending":
        return "a \"Trending today\" section after the matched papers"
    if record.kind == "citations":
        if (record.query or "").upper().startswith("A"):
            return (f"a \"New citations\" section: new works citing the most cited papers of OpenAlex "
                    f"{record.query}")
        return f"a \"New citations\" section: new works citing OpenAlex {record.query}"
    if record.kind == "institution":
        members = len(record.roster.members) if record.roster else 0
        people = (f"and arXiv papers by its {members} active researchers" if members
                  else "its researchers are listed at the next ingest")
        return f"{record.openalex_id}: papers with an author there or in its labs; {people}"
    ids = (record.openalex_id, f"ORCID {record.orcid}" if record.orcid else None,
           f"Semantic Scholar {record.s2_id}" if record.s2_id else None)
    return ", ".join(i for i in ids if i)


def room_for_one_more(app: App, count: int) -> Problem | None:
    if count >= app.settings.max_subscriptions_per_channel:
        return limit_problem(app.settings.max_subscriptions_per_channel)
    return None


async def subscribe_topic(app: App, command: SubscribeTopic, actor: Actor, where: Destination) -> Notice | Problem:
    limit = app.settings.max_query_length
    if len(command.query) > limit:
        return Problem("That query is too long", f"Topic queries can be at most {limit} characters.",
                       'Keep the key words and phrases, like `"graph neural networks" -survey`.', code="limit")
    try:
        query = parse_query(command.query, max_length=limit)
    except QueryError as error:
        return Problem("I can't read that topic query", error.message, f"Example: subscribe topic {error.example}",
                       code="invalid")
    vague = too_vague(query)
    if vague is not None:
        return Problem("That topic would match almost every paper", vague,
                       'Example: subscribe topic "graph neural networks" -survey', code="invalid")
    scope = _scope_check(app, query.categories)
    if scope.hopeless:
        return _outside_scope(app, scope, f"a topic in {' or '.join(scope.outside)}",
                              "Leave out the cat: to search everything this server reads")
    notes = " ".join(operator_notes(command.query))
    canonical = query.canonical()
    async with app.db.session() as session:
        channel = await open_channel(session, where, actor)
        known = await channels.list_subscriptions(session, channel.id)
        for existing in known:
            if existing.kind == "topic" and _canonical(existing.query) == canonical:
                return Notice(f"This channel already follows that topic as #{existing.number}.")
        if problem := room_for_one_more(app, len(known)):
            return problem
        record = await channels.add_subscription(
            session, channel.id, kind="topic", query=command.query.strip(), created_by=actor.user_id
        )
        await session.commit()
    return Notice(
        f"Subscribed this channel to topic #{record.number}: {record.query}. " + _then(scope.sentence)
        + next_digest_phrase(app, channel.settings, actor, first=not known) + (f" Note: {notes}" if notes else ""),
        title="Subscribed",
        actor_id=actor.user_id,
        visibility=Visibility.CHANNEL,
    )


def _scope_check(app: App, categories: tuple[str, ...]) -> ScopeCheck:
    return check_categories(ingest_scope(app.settings.ingest_categories), categories)


def _then(sentence: str) -> str:
    return f"{sentence} " if sentence else ""


def _outside_scope(app: App, check: ScopeCheck, what: str, instead: str) -> Problem:
    """Refuse a subscription nothing of which this server ingests: it would stay silent forever."""
    scope = ingest_scope(app.settings.ingest_categories).describe()
    return Problem("Not searched on this server",
                   f"This server reads only {scope} of arXiv ({SETTING}), so {what} would never bring a paper.",
                   f"{instead}, or ask whoever runs Paper Radar here to add {', '.join(check.outside)} to {SETTING}.",
                   code="invalid")


def _canonical(text: str | None) -> str | None:
    try:
        return parse_query(text or "").canonical()
    except QueryError:
        return None


async def subscribe_category(app: App, command: SubscribeCategory, actor: Actor, where: Destination) -> Notice | Problem:
    raw = command.category.strip().removeprefix("cat:")
    try:
        category = normalize_wildcard(raw) if is_wildcard(raw) else normalize_category(raw)
    except UnknownCategory as error:
        return _unknown_category(raw, error.suggestions)
    scope = _scope_check(app, (category,))
    if scope.hopeless:
        return _outside_scope(app, scope, f"{category} ({category_name(category)})",
                              "Subscribe to a category inside it (`help subscribe`)")
    async with app.db.session() as session:
        channel = await open_channel(session, where, actor)
        known = await channels.list_subscriptions(session, channel.id)
        for existing in known:
            if existing.kind == "category" and existing.query == category:
                return Notice(f"This channel already follows {category} as #{existing.number}.")
        if problem := room_for_one_more(app, len(known)):
            return problem
        record = await channels.add_subscription(
            session, channel.id, kind="category", query=category, created_by=actor.user_id
        )
        await session.commit()
    return Notice(
        f"Subscribed this channel to {category} ({category_name(category)}) as "
        f"#{record.number}. " + _then(scope.sentence) + next_digest_phrase(app, channel.settings, actor, first=not known),
        title="Subscribed",
        actor_id=actor.user_id,
        visibility=Visibility.CHANNEL,
    )


def _unknown_category(raw: str, suggestions: list[str]) -> Problem:
    """What `raw` may have meant: an archive's wildcard, the codes of a category's name, or near spellings."""
    named = [f"`{code}` ({category_name(code)})" for code in suggestions]
    if len(suggestions) == 1 and suggestions[0].endswith(".*"):
        return Problem("That is a whole archive", f"`{raw[:60]}` is an arXiv archive, not one category.",
                       f"Subscribe to all of it with `subscribe category {suggestions[0]}`, or to one of its "
                       "categories (`help subscribe`).", code="invalid")
    if " " in raw.strip() and suggestions:
        return Problem("Which category?", f"`{raw[:60]}` is a subject, and categories are given by their code.",
                       f"Did you mean {' or '.join(named)}? Subscribe with `subscribe category {suggestions[0]}`.",
                       code="invalid")
    hint = f"Did you mean {' or '.join(named)}?" if named else "Categories look like cs.LG, stat.ML, hep-th or math.PR."
    return Problem("Unknown arXiv category", f"`{raw[:60]}` is not an arXiv category.", hint, code="invalid")


def matches_per_subscription(delivered: Iterable[Iterable[Any]]) -> dict[int, int]:
    """How many delivered papers each subscription (by number) brought in, from each paper's reasons."""
    counts: dict[int, int] = {}
    for reasons in delivered:
        for number in {r.get("subscription") for r in reasons or () if isinstance(r, dict)}:
            if isinstance(number, int):
                counts[number] = counts.get(number, 0) + 1
    return counts


async def list_subscriptions(app: App, command: ListSubscriptions, actor: Actor, where: Destination) -> SubscriptionList:
    async with app.db.session() as session:
        channel = await channels.find_channel(session, where)
        if channel is None:
            return SubscriptionList(items=(), limit=app.settings.max_subscriptions_per_channel)
        records = await channels.list_subscriptions(session, channel.id)
        week_ago = app.now() - timedelta(days=7)
        delivered = await channels.delivery_reasons_since(session, channel.id, week_ago)
        matched = await channels.matched_since(session, channel.id, week_ago)
    shown = matches_per_subscription(delivered)
    items = tuple(
        SubscriptionItem(
            number=r.number, kind=r.kind, label=r.label, description=describe_subscription(r),
            matched_this_week=max(matched.get(r.number, 0), shown.get(r.number, 0)),
            shown_this_week=shown.get(r.number, 0), created_by=r.created_by,
            before_first_digest=channel.last_digest_at is None,
        )
        for r in records
    )
    return SubscriptionList(items=items, limit=app.settings.max_subscriptions_per_channel)


def _number(ref: str) -> int | None:
    value = ref.strip().lstrip("#")
    return int(value) if value.isdecimal() and len(value) < 9 else None


def _not_found(ref: str) -> Problem:
    return Problem("No such subscription here", f"This channel has no subscription `{ref[:40]}`.",
                   "`list` shows this channel's subscriptions and their numbers.", code="not_found")


def _by_label(records: list[Subscription], ref: str) -> list[Subscription]:
    """Subscriptions `ref` names by what they follow: the topic or category as typed, the same topic written
    another way, or (failing those) every one whose label contains it."""
    wanted = ref.strip().casefold()
    exact = [r for r in records if r.label.casefold() == wanted]
    if exact:
        return exact
    canonical = _canonical(ref)
    same = [r for r in records if r.kind == "topic" and canonical is not None and _canonical(r.query) == canonical]
    if not same and is_category(ref.strip()):
        code = normalize_category(ref)
        same = [r for r in records if r.kind == "category" and r.query == code]
    return same or [r for r in records if wanted and wanted in r.label.casefold()]


async def unsubscribe(app: App, command: Unsubscribe, actor: Actor, where: Destination) -> Notice | Problem:
    number = _number(command.ref)
    async with app.db.session() as session:
        channel = await channels.find_channel(session, where)
        if channel is None:
            return _not_found(command.ref)
        if number is None:
            found = _by_label(await channels.list_subscriptions(session, channel.id), command.ref)
            if len(found) > 1:
                names = ", ".join(f"#{r.number} {r.label}" for r in found[:10])
                return Problem("Which one?", f"Several subscriptions match `{command.ref[:60]}`: {names}.",
                               "Say `unsubscribe <number>`.", code="usage")
            if not found:
                return _not_found(command.ref)
            number = found[0].number
        removed = await channels.remove_subscription(session, channel.id, number)
        await session.commit()
    if removed is None:
        return _not_found(command.ref)
    return Notice(f"Removed #{removed.number} ({removed.kind}: {removed.label}).",
                  title="Unsubscribed", visibility=Visibility.CHANNEL)


async def unfollow(app: App, command: Unfollow, actor: Actor, where: Destination) -> Notice | Problem:
    ref = command.query.strip()
    async with app.db.session() as session:
        channel = await channels.find_channel(session, where)
        if channel is None:
            return _not_found(ref)
        records = await channels.list_subscriptions(session, channel.id)
        number = _number(ref)
        other = next((s for s in records if s.number == number and s.kind not in FOLLOWED_KINDS), None)
        if other is not None:
            return Problem(f"#{number} is a {other.kind}, not a person",
                           f"#{number} follows the {other.kind} {other.label}; `unfollow` is for researchers "
                           "and institutions.",
                           f"To remove it, use `unsubscribe {number}`.", code="usage")
        people = [s for s in records if s.kind in FOLLOWED_KINDS]
        chosen = _pick_followed(people, ref)
        if isinstance(chosen, Problem):
            return chosen
        await channels.remove_subscription(session, channel.id, chosen.number)
        await session.commit()
    return Notice(f"This channel no longer follows {chosen.display_name} (#{chosen.number}).",
                  title="Unfollowed", visibility=Visibility.CHANNEL)


def _pick_followed(people: list[Subscription], ref: str) -> Subscription | Problem:
    number = _number(ref)
    if number is not None:
        found = [p for p in people if p.number == number]
    else:
        ids: set[str] = set()
        for parse in (normalize_openalex_id, normalize_orcid):
            try:
                ids.add(parse(ref))
            except InvalidId:
                pass
        lowered = ref.lower()
        found = [p for p in people if (ids & {p.openalex_id, p.orcid, p.s2_id})]
        if not found:
            found = [p for p in people if lowered in (p.display_name or "").lower()]
    if not found:
        return Problem("Not followed here", f"This channel does not follow anyone matching `{ref[:60]}`.",
                       "`list` shows who this channel follows.", code="not_found")
    if len(found) > 1:
        names = ", ".join(f"#{p.number} {p.display_name}" for p in found)
        return Problem("Which one?", f"Several people match `{ref[:60]}`: {names}.",
                       "Say `unfollow <number>`.", code="usage")
    return found[0]
