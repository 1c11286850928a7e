"""A channel's settings, pause and resume, and moving its subscriptions elsewhere (export / import)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from core.app import App
from core.commands import ChangeSetting, Export, Import, Pause, Resume, ShowSettings, clean_text
from core.ids import InvalidId, normalize_openalex_id, normalize_orcid
from core.model.channels import ChannelSettings
from core.model.context import Actor, Destination
from core.model.enums import PauseCause
from core.model.extras import SUMMARY_MODES
from core.model.zones import zone_label
from core.storage import channels, ratings
from core.subscriptions.categories import UnknownCategory, is_wildcard, normalize_category, normalize_wildcard
from core.subscriptions.query import QueryError, parse_query
from core.subscriptions.scope import ArxivScope, check_categories, ingest_scope
from core.subscriptions.sections import trending_label, trending_top
from core.subscriptions.setup import open_channel
from core.subscriptions.timing import (
    DAILY,
    WEEKLY,
    SettingError,
    next_digest,
    parse_days,
    parse_every,
    parse_max,
    parse_switch,
    parse_time,
    read_timezone,
    schedule_text,
)
from core.views import ExportView, ImportReport, Notice, Problem, SettingsView, Visibility

EXPORT_FORMAT = "paper-radar/1"
SWITCHES = frozenset({"updates", "crosslists", "quiet-notice", "learning"})
_ONE_DAY = frozenset({"mon", "tue", "wed", "thu", "fri", "sat", "sun"})
SUMMARY_WORDING = {"tldr": "a one-line summary (TL;DR)", "abstract": "the abstract's opening",
                   "off": "title, authors and links only"}
_SUMMARY_ALIASES = {"on": "tldr", "summary": "tldr", "tl;dr": "tldr", "short": "tldr", "abstracts": "abstract",
                    "snippet": "abstract", "none": "off", "no": "off"}


def parse_summary_mode(text: str) -> str:
    value = text.strip().lower()
    value = _SUMMARY_ALIASES.get(value, value)
    if value not in SUMMARY_MODES:
        raise SettingError("`summary` is tldr (a one-line summary), abstract (its opening lines) or off, "
                           "like `settings summary tldr`.")
    return value


def settings_view(app: App, record: ChannelSettings, changed: str | None = None,
                  note: str | None = None) -> SettingsView:
    return SettingsView(
        timezone=record.timezone,
        digest_time=record.digest_time,
        weekdays=schedule_text(record.cadence, record.weekdays),
        max_items=record.max_items,
        paused=record.paused,
        paused_reason=record.paused_reason,
        include_updates=record.include_updates,
        include_crosslists=record.include_crosslists,
        quiet_notice=record.quiet_notice,
        learning=record.learning,
        summary_mode=record.summary_mode,
        next_digest=None if record.paused else next_digest(
            record.digest_time, record.weekdays, record.timezone, app.now()),
        changed=changed,
        note=note,
        visibility=Visibility.CHANNEL if changed else Visibility.EPHEMERAL,
    )


async def show_settings(app: App, command: ShowSettings, actor: Actor, where: Destination) -> SettingsView:
    async with app.db.session() as session:
        record = await channels.channel_settings(session, where)
    return settings_view(app, record)


def read_setting(
    record: ChannelSettings, name: str, value: str, *, max_ceiling: int = 50
) -> tuple[ChannelSettings, str, str | None]:
    """The settings with one changed, a sentence saying what changed, and how the value was read when that is
    worth saying (`PST` taken as America/Los_Angeles); or raise SettingError."""
    if name == "timezone":
        choice = read_timezone(value)
        record = replace(record, timezone=choice.name)
        return record, f"the time zone to {zone_label(record.timezone)}", choice.rule
    return (*_apply(record, name, value, max_ceiling=max_ceiling), None)


def _apply(record: ChannelSettings, name: str, value: str, *, max_ceiling: int) -> tuple[ChannelSettings, str]:
    if name == "time":
        record = replace(record, digest_time=parse_time(value))
        return record, f"the digest time to {record.digest_time}"
    if name == "every":
        cadence, days = parse_every(value)
        record = replace(record, cadence=cadence, weekdays=days)
        if cadence == WEEKLY:
            return record, f"the digest to {schedule_text(cadence, days)}: each covers the seven days before it"
        return record, f"the digest to every day ({days})"
    if name == "days":
        days = parse_days(value)
        if record.cadence == WEEKLY and days in _ONE_DAY:
            record = replace(record, weekdays=days)  # a weekly digest moves to that day
            return record, f"the digest to {schedule_text(WEEKLY, days)}"
        record = replace(record, weekdays=days, cadence=DAILY)
        return record, f"the digest days to {record.weekdays}"
    if name == "max":
        record = replace(record, max_items=parse_max(value, ceiling=max_ceiling))
        return record, f"the digest size to {record.max_items} papers"
    if name == "updates":
        record = replace(record, include_updates=parse_switch(value, name))
        return record, f"updates (revised versions of older papers) {'on' if record.include_updates else 'off'}"
    if name == "crosslists":
        record = replace(record, include_crosslists=parse_switch(value, name))
        return record, f"cross-listed papers {'on' if record.include_crosslists else 'off'}"
    if name == "quiet-notice":
        record = replace(record, quiet_notice=parse_switch(value, name))
        return record, f"the no-new-papers notice {'on' if record.quiet_notice else 'off'}"
    if name == "learning":
        record = replace(record, learning=parse_switch(value, name))
        return record, ("learning from 👍/👎 on: ratings order the digest" if record.learning else
                        "learning from 👍/👎 off: ratings are kept, the digest ignores them")
    if name == "summary":
        record = replace(record, summary_mode=parse_summary_mode(value))
        return record, f"each paper's line to {SUMMARY_WORDING[record.summary_mode]}"
    raise SettingError(f"There is no setting `{name}`.")


async def change_setting(app: App, command: ChangeSetting, actor: Actor, where: Destination) -> SettingsView | Problem:
    async with app.db.session() as session:
        channel = await open_channel(session, where, actor)
        try:
            record, changed, rule = read_setting(channel.settings, command.name, command.value)
        except SettingError as error:
            return Problem("That setting value doesn't work", str(error), code="invalid")
        await channels.save_settings(session, channel, record)
        await session.commit()
    # A switch is turned on or off; a value is changed to something ("Changed cross-lists off" reads wrong).
    verb = "Turned" if command.name in SWITCHES else "Changed"
    return settings_view(app, record, changed=f"{verb} {changed}", note=rule)


async def pause(app: App, command: Pause, actor: Actor, where: Destination) -> Notice:
    async with app.db.session() as session:
        channel = await open_channel(session, where, actor)
        # A reinstall must not lift a person's pause: the cause says who paused it.
        await channels.save_settings(session, channel, replace(
            channel.settings, paused=True, paused_reason="paused by a channel manager", pause_cause=PauseCause.MANAGER))
        await session.commit()
    return Notice("The daily digest is paused for this channel. Subscriptions are kept; `resume` starts it again.",
                  title="Paused", actor_id=actor.user_id, visibility=Visibility.CHANNEL)


async def resume(app: App, command: Resume, actor: Actor, where: Destination) -> Notice:
    async with app.db.session() as session:
        channel = await open_channel(session, where, actor)
        was_paused = channel.settings.paused
        record = replace(channel.settings, paused=False, paused_reason=None, pause_cause=None)
        await channels.save_settings(session, channel, record)
        await session.commit()
    when = next_digest(record.digest_time, record.weekdays, record.timezone, app.now())
    next_text = f" Next digest: {when.strftime('%a %d %b %H:%M')} {zone_label(record.timezone)}." if when else ""
    first = "The daily digest is back on." if was_paused else "The daily digest was not paused."
    return Notice(first + next_text, title="Resumed", actor_id=actor.user_id, visibility=Visibility.CHANNEL)


async def export(app: App, command: Export, actor: Actor, where: Destination) -> ExportView:
    async with app.db.session() as session:
        channel = await channels.find_channel(session, where)
        subs = await channels.list_subscriptions(session, channel.id) if channel else []
        rated = await ratings.export_ratings(session, channel.id) if channel else []
    record = channel.settings if channel else channels.default_settings()
    items: list[dict[str, Any]] = []
    for sub in subs:
        if sub.kind == "researcher":
            entry = {"kind": "researcher", "name": sub.display_name, "openalex_id": sub.openalex_id,
                     "orcid": sub.orcid, "s2_id": sub.s2_id}
            items.append({k: v for k, v in entry.items() if v})
        elif sub.kind == "citations":
            items.append({"kind": "citations", "query": sub.query, "name": sub.display_name})
        elif sub.kind == "institution":
            # The roster is not exported: it is large, and the importing server's next ingest rebuilds it.
            items.append({"kind": "institution", "name": sub.display_name, "openalex_id": sub.openalex_id})
        elif sub.kind == "similar":
            items.append({"kind": "similar", "query": sub.query, "name": sub.display_name, "examples": sub.examples})
        else:
            items.append({"kind": sub.kind, "query": sub.query})
    payload = {
        "format": EXPORT_FORMAT,
        "settings": {
            # `every` before `days`: an import reads them in order, and `every day` resets the days.
            "time": record.digest_time, "timezone": record.timezone,
            "every": f"week on {record.weekdays}" if record.cadence == WEEKLY else "day", "days": record.weekdays,
            "max": record.max_items, "updates": record.include_updates, "crosslists": record.include_crosslists,
            "quiet-notice": record.quiet_notice, "learning": record.learning, "summary": record.summary_mode,
        },
        "subscriptions": items,
        "ratings": rated,
    }
    return ExportView(payload=json.dumps(payload, ensure_ascii=False, indent=2), subscriptions=len(items))


def _bad_import(detail: str) -> Problem:
    return Problem("I can't import that", detail,
                   "Paste the JSON that `export` printed in another channel: `import {...}`.", code="invalid")


async def import_(app: App, command: Import, actor: Actor, where: Destination) -> ImportReport | Problem:
    try:
        data = json.loads(command.payload)
    except (ValueError, RecursionError):
        return _bad_import("That is not valid JSON.")
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        return _bad_import(f"That JSON is not a Paper Radar export (it needs \"format\": \"{EXPORT_FORMAT}\").")
    entries = data.get("subscriptions", [])
    settings = data.get("settings", {})
    rated = data.get("ratings", [])
    if not isinstance(entries, list) or not isinstance(settings, dict) or not isinstance(rated, list):
        return _bad_import("`subscriptions` and `ratings` must be lists and `settings` an object.")
    added: list[str] = []
    skipped: list[str] = []
    changed: list[str] = []
    async with app.db.session() as session:
        channel = await open_channel(session, where, actor)
        record = channel.settings
        existing = await channels.list_subscriptions(session, channel.id)
        seen = {_identity(s.kind, s.query, s.openalex_id, s.orcid) for s in existing}
        limit = app.settings.max_subscriptions_per_channel
        count = len(existing)
        for position, entry in enumerate(entries[:500], 1):
            try:
                fields = _validate_entry(entry, app.settings.max_query_length,
                                         ingest_scope(app.settings.ingest_categories))
            except ValueError as error:
                skipped.append(f"item {position}: {error}")
                continue
            label = fields.get("display_name") or fields.get("query") or "?"
            key = _identity(fields["kind"], fields.get("query"), fields.get("openalex_id"), fields.get("orcid"))
            if key in seen:
                skipped.append(f"{label}: already subscribed")
                continue
            if count >= limit:
                skipped.append(f"{label}: the channel is at its limit of {limit} subscriptions")
                continue
            await channels.add_subscription(session, channel.id, created_by=actor.user_id, **fields)
            seen.add(key)
            count += 1
            added.append(f"{fields['kind']}: {label}")
        for name, value in settings.items():
            try:
                record, sentence, rule = read_setting(record, str(name), _setting_text(value))
            except SettingError as error:
                skipped.append(f"setting {str(name)[:30]}: {error}")
            else:
                changed.append(f"{sentence} ({rule.rstrip('.')})" if rule else sentence)
        await channels.save_settings(session, channel, record)
        valid = [r for r in (_rating(entry) for entry in rated[:MAX_IMPORTED_RATINGS]) if r is not None]
        if len(valid) < min(len(rated), MAX_IMPORTED_RATINGS):
            skipped.append(f"{len(rated) - len(valid)} ratings that are not a paper, a user and +1 or -1")
        if valid:
            imported, unknown = await ratings.import_ratings(session, channel.id, valid)
            if imported:
                added.append(f"ratings: {imported} (the digest learns from them from the next one)")
            if unknown:
                skipped.append(f"ratings of {unknown} papers this server has not stored")
        await session.commit()
    return ImportReport(added=tuple(added), skipped=tuple(skipped), settings_changed=tuple(changed),
                        visibility=Visibility.CHANNEL if added else Visibility.EPHEMERAL)


MAX_IMPORTED_RATINGS = 20_000


def _rating(entry: Any) -> tuple[str, str, int] | None:
    """(paper id, user, value) from an exported rating, or None when it is not one."""
    if not isinstance(entry, dict):
        return None
    paper, user, value = entry.get("paper"), entry.get("user"), entry.get("value")
    if not isinstance(paper, str) or not isinstance(user, str) or value not in (1, -1) or isinstance(value, bool):
        return None
    if not (paper.startswith(("arXiv:", "doi:")) and len(paper) <= 300 and 0 < len(user) <= 64):
        return None
    return _one_line(paper), _one_line(user), int(value)


def _setting_text(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)[:100]


def _identity(kind: str, query: str | None, openalex_id: str | None, orcid: str | None) -> tuple[str, str]:
    if kind in ("researcher", "institution"):
        return (kind, openalex_id or orcid or "")
    if kind == "trending":
        return (kind, "")  # one trending section per channel, whatever its size
    if kind == "topic":
        try:
            return (kind, parse_query(query or "").canonical())
        except QueryError:
            return (kind, query or "")
    return (kind, query or "")


def _one_line(value: str) -> str:
    """As the text grammar leaves an argument: control and bidi characters dropped, whitespace folded.
    JSON escapes (`\u202e`, `\u0007`, a line break) would otherwise bring in what typed commands cannot."""
    return " ".join(clean_text(value).split())


def _searched_here(scope: ArxivScope, categories: tuple[str, ...]) -> None:
    """Refuse what this server never ingests, as `subscribe` does: it would never bring a paper."""
    check = check_categories(scope, categories)
    if check.hopeless:
        raise ValueError(f"{', '.join(check.outside)} is outside this server's arXiv scope ({scope.describe()})")


def _validate_entry(entry: Any, max_query_length: int, scope: ArxivScope) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ValueError("not an object")
    kind = entry.get("kind")
    if kind == "topic":
        query = entry.get("query")
        if not isinstance(query, str):
            raise ValueError("a topic needs a query")
        query = _one_line(query)
        try:
            parsed = parse_query(query, max_length=max_query_length)
        except QueryError as error:
            raise ValueError(error.message) from None
        _searched_here(scope, parsed.categories)
        return {"kind": "topic", "query": query.strip()}
    if kind == "category":
        value = _one_line(str(entry.get("query") or entry.get("category") or ""))
        try:
            category = normalize_wildcard(value) if is_wildcard(value) else normalize_category(value)
        except UnknownCategory:
            raise ValueError(f"{value[:40]!r} is not an arXiv category") from None
        _searched_here(scope, (category,))
        return {"kind": "category", "query": category}
    if kind == "researcher":
        fields: dict[str, Any] = {"kind": "researcher"}
        try:
            if entry.get("openalex_id"):
                fields["openalex_id"] = normalize_openalex_id(str(entry["openalex_id"]), kind="A")
            if entry.get("orcid"):
                fields["orcid"] = normalize_orcid(str(entry["orcid"]))
        except InvalidId as error:
            raise ValueError(str(error)) from None
        if entry.get("s2_id"):
            s2 = str(entry["s2_id"])
            if not (s2.isascii() and s2.isdigit()) or len(s2) > 32:
                raise ValueError("s2_id must be a Semantic Scholar author number")
            fields["s2_id"] = s2
        if not (fields.get("openalex_id") or fields.get("orcid") or fields.get("s2_id")):
            raise ValueError("a researcher needs an openalex_id, orcid or s2_id (names alone are ambiguous)")
        name = _one_line(str(entry.get("name") or ""))
        fields["display_name"] = (name or fields.get("openalex_id") or fields.get("orcid") or fields["s2_id"])[:300]
        return fields
    if kind == "similar":
        return _similar_entry(entry)
    if kind == "trending":
        top = trending_top(str(entry.get("query") or ""), default=0)
        if not top:
            raise ValueError("a trending subscription needs how many papers, 1 to 50")
        return {"kind": "trending", "query": str(top), "display_name": trending_label(top)}
    if kind == "citations":
        raw = str(entry.get("query") or "")
        try:  # a followed paper (W…) or researcher (A…)
            work = normalize_openalex_id(raw)
        except InvalidId as error:
            raise ValueError(f"citations need an OpenAlex work or author id ({error})") from None
        if work[0] not in "WA":
            raise ValueError("citations need an OpenAlex work (W…) or author (A…) id")
        name = _one_line(str(entry.get("name") or ""))[:300] or work
        return {"kind": "citations", "query": work, "display_name": name}
    if kind == "institution":
        try:
            ident = normalize_openalex_id(str(entry.get("openalex_id") or ""), kind="I")
        except InvalidId:
            raise ValueError("an institution needs its OpenAlex id (I...): names alone are ambiguous") from None
        name = _one_line(str(entry.get("name") or ""))[:300] or ident
        return {"kind": "institution", "openalex_id": ident, "display_name": name}
    raise ValueError("kind must be topic, category, researcher, similar, institution, trending or citations")


def _similar_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A `subscribe similar` as `export` wrote it: the example ids, and their vectors and titles."""
    query, examples = entry.get("query"), entry.get("examples")
    if not isinstance(query, str) or not query.strip() or not isinstance(examples, dict):
        raise ValueError("a similar subscription needs its example papers")
    vectors, titles = examples.get("vectors"), examples.get("titles")
    if (not isinstance(vectors, list) or not isinstance(titles, list) or not 0 < len(vectors) <= 10
            or len(titles) != len(vectors)):
        raise ValueError("a similar subscription needs one to ten examples with their titles")
    for vector in vectors:
        if (not isinstance(vector, list) or len(vector) != 2 or not all(isinstance(part, list) for part in vector)
                or len(vector[0]) != len(vector[1]) or len(vector[0]) > 500
                or not all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < 1 << 20 for i in vector[0])
                or not all(isinstance(w, int | float) and not isinstance(w, bool) for w in vector[1])):
            raise ValueError("a similar subscription's examples are not readable")
    name = _one_line(str(entry.get("name") or "similar papers"))[:300]
    clean = {"vectors": vectors, "titles": [_one_line(str(t))[:300] for t in titles]}
    return {"kind": "similar", "query": _one_line(query)[:2000], "display_name": name, "examples": clean}
