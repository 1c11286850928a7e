"""Hostile input through the console and Discord entry points, thousands of generated commands.

Control characters, text up to ~100 KB, markup and mention injection (`<!channel>`, `<@U123>`, `@everyone`,
`<script>`), SQL-looking text, emoji, right-to-left text, bidi overrides, zero-width characters and digits
that are not ASCII go in as a person would send them: typed at the console (`bots.console.adapter.ask`) and
as raw Discord interaction payloads through the real discord.py command tree and Responder, whose HTTP
answers are recorded by a stand-in webhook adapter instead of being sent. Data sources answer at once
(empty results or 404s) from a SourceRouter.

Each input must get a well-formed answer within the deadline, nothing may escape or be logged as an error,
no Discord message may carry a live mention (and every one goes out with mentions disabled), and afterwards
every row in the database must be one the service can read back and PostgreSQL would have accepted.

The Slack entry point has its own file, test_hostile_slack.py: the same commands as signed slash-command bodies
through the web role, with the same checks; it imports the generators and checks from here.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import discord
import httpx
import pytest
from discord.webhook.async_ import AsyncWebhookAdapter, async_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import String
from sqlalchemy import select as select_rows
from sqlmodel import SQLModel, select

from bots.console.adapter import ask
from bots.console.render import render as render_console
from bots.console.sink import ConsoleSink
from bots.discord.client import intents
from bots.discord.limits import check_message_limits
from bots.discord.respond import Responder
from bots.discord.tree import RadarTree, build_tree
from core.bootstrap import App
from core.digest.matching import SubscriptionSpec
from core.storage.models import DestinationRow, SubscriptionRow
from core.subscriptions.timing import digest_trigger, parse_days
from core.views import Problem, View
from tests.discord.fake_discord import FakeDiscord
from tests.discord.payloads import EVERYONE_PERMS, MANAGER, MEMBER, slash
from tests.fakes import SourceRouter, make_app

DEADLINE_S = 2.0
CONSOLE_EXAMPLES = 3000
DISCORD_EXAMPLES = 2000


def hostile_settings(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))

# ---------------------------------------------------------------- what a hostile person sends

MENTIONS = ["<!channel>", "<!here>", "<!everyone>", "<@U123>", "<@U123|admin>", "<!subteam^S0123|devs>", "@everyone",
            "@here", "@ everyone", "@\u200beveryone", "<@123456789012345678>", "<@!123456789012345678>",
            "<@&123456789012345678>", "<#123456789012345678>", "@everyone@here"]
MARKUP = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "**bold**", "__u__", "~~s~~", "||spoiler||",
          "`code`", "```", "``@everyone``", "`", "[click](https://evil.example/)", "<https://evil.example|click>",
          "# heading", "-# small", "> quote", ">>> quote", "\\", "\\`", "&amp;&lt;&gt;", "*_~|>", "{{7*7}}",
          "${jndi:ldap://x}", "%s%n", "../../etc/passwd"]
SQL = ["'); DROP TABLE subscriptions;--", "\" OR 1=1 --", "1; DELETE FROM deliveries", "' OR ''='",
       "Robert'); DROP TABLE Students;--", "%' AND 1=1", "0x00", "NULL", "\\x00"]
EMOJI = ["🧪", "👩\u200d🔬", "🏳️\u200d🌈", "🇫🇷", "😀", "🔥🔥🔥", "\U0001f9ec", "❤️"]
RTL = ["שלום עולם", "مرحبا بالعالم", "\u202eevil\u202c", "\u2066isolated\u2069", "\u200fRLM", "\u061cALM",
       "abc\u202edcba", "\u202d\u202a\u202b"]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad", "\u180e", "\u3000", "\u00a0"]
DIGITS = ["²", "¹", "٣", "①", "𝟓", "߂", "፫", "Ⅻ", "0", "1", "25", "26", "50", "51", "-1", "99999999999", "1e3",
          "3.5", "#2", "00000001", "٠"]
# What each kind of argument looks like when it is almost right, and when it is not.
TIMES = ["08:30", "8am", "6:15 pm", "0830", "8", "25:99", "24:00", "13pm", "12 am", "０８:３０", "٠٨:٣٠", "¹²:00",
         "8:5", "noon", "-1:00"]
ZONES = ["Europe/Paris", "europe/paris", "UTC", "utc", "Paris", "Pari", "Mars/Olympus", "Etc/GMT+14",
         "America/Argentina/Buenos_Aires", "posix/Europe/Paris", "../../etc/passwd", "Europe/Paris/../UTC", "Z"]
DAYS = ["mon-fri", "fri-mon", "sun-mon", "sat-sun", "sat,sun", "daily", "weekends", "Monday Thursday",
        "mon and wed", "mon-tue-wed", "mon,,wed", "-", ",", "*", "mon-mon", "montag"]
SWITCHES = ["on", "off", "yes", "ON", "enable", "maybe", "ｏｎ", "1", "true"]
CATEGORIES = ["cs.LG", "cs.*", "cat:cs.LG", "CS.lg", "math", "hep-th", "cs.LG.x", "cs..", "*", ".*", "cs.LG+stat.ML",
              "cs/LG", "astro-ph.*", "q-bio.NC"]
TOPICS = ['"graph neural networks" -survey', "diffusion -medical", "a OR", "OR OR", "-", '"', '"unclosed', "((a",
          "cat:cs.LG", "cat:", "cat:nope.XX", "NOT a", "-a -b", "a OR b OR c", "title:x", "*", "transformer*"]
IDS = ["A5023888391", "a5023888391", "https://openalex.org/A5023888391", "0000-0002-1825-0097",
       "0000-0002-1825-009X", "orcid.org/0000-0002-1825-0097", "2401.01234", "2401.01234v2", "math/0211159",
       "10.1000/xyz", "https://doi.org/10.1000/xyz", "https://arxiv.org/abs/1706.03762", "s2:48000001",
       "W2741809807", "Ada Lovelace", "pick", "pick 2", "A", "Dr. Ada", "陈 伟", "O'Brien"]
DATES = ["today", "2026-08-21", "2024-02-30", "9999-12-31", "0001-01-01", "2024-1-1", "yesterday", "２０２４-01-01"]
WORDS = TIMES + ZONES + DAYS + SWITCHES + CATEGORIES + TOPICS + IDS + DATES
CONTROL = st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Co", "Cs"]), min_size=1, max_size=6)
FRAGMENTS = st.one_of(
    st.sampled_from(MENTIONS + MARKUP + SQL + EMOJI + RTL + INVISIBLE + DIGITS + WORDS),
    CONTROL,
    st.text(max_size=12),
)


def _repeat(piece: str, size: int) -> str:
    return (piece * (size // max(1, len(piece)) + 1))[:size]


def hostile_text(max_parts: int = 6) -> st.SearchStrategy[str]:
    glue = st.sampled_from([" ", "", "\n", "\t", "  ", "\u3000"])
    return st.lists(st.tuples(FRAGMENTS, glue), min_size=1, max_size=max_parts).map(
        lambda parts: "".join(piece + sep for piece, sep in parts))


# Huge text: up to ~100 KB, one character class repeated or a mix (cheap to generate, expensive to mishandle).
HUGE = st.builds(_repeat, st.sampled_from(["x", "@everyone ", "<@U123> ", "🧪", "\u202e", "\x00", "a b ", "ש",
                                           "'); DROP TABLE subscriptions;-- "]),
                 st.integers(min_value=1_000, max_value=100_000))


def argument(pool: list[str]) -> st.SearchStrategy[str]:
    """Mostly a value of the right kind, sometimes with something hostile before or after it."""
    near = st.sampled_from(pool)
    return st.one_of(near, near, st.builds(lambda a, b: f"{a}{b}", near, FRAGMENTS),
                     st.builds(lambda a, b: f"{a} {b}", FRAGMENTS, near), hostile_text(3))


# Each command word with the kind of argument it takes (None: it takes none).
ARGUMENTS: dict[str, list[str] | None] = {
    "researcher": IDS, "author": IDS, "follow": IDS, "researcher pick": DIGITS, "follow pick": DIGITS,
    "paper": IDS, "trending": DATES, "subscribe topic": TOPICS, "subscribe category": CATEGORIES,
    "sub cat": CATEGORIES, "unsubscribe": DIGITS, "unfollow": IDS + DIGITS, "settings time": TIMES,
    "settings timezone": ZONES, "settings tz": ZONES, "settings days": DAYS, "settings max": DIGITS,
    "settings updates": SWITCHES, "settings crosslists": SWITCHES, "settings quiet-notice": SWITCHES,
    "help": ["subscribe", "researcher", "nope", "/radar", "settings"], "digest": ["now", "preview", "more", "later"],
    "subscribe": ["topic", "category", "person"], "settings": ["colour", "max", "time"],
    "list": None, "pause": None, "resume": None, "export": None, "status": None, "digest now": None,
    "digest preview": None, "digest more": None,
}
PREFIXES = st.sampled_from(["", "", "", "/radar ", "radar ", "/RADAR ", "  "])


@st.composite
def targeted_command(draw: st.DrawFn) -> str:
    head = draw(st.sampled_from(sorted(ARGUMENTS)))
    pool = ARGUMENTS[head]
    if pool is None:
        tail = draw(st.one_of(st.just(""), st.just(""), FRAGMENTS))
    else:
        tail = draw(argument(pool))
    return f"{draw(PREFIXES)}{head} {tail}"


@st.composite
def import_payload(draw: st.DrawFn) -> str:
    """An export-shaped JSON document whose every value is hostile."""
    value = st.one_of(hostile_text(3), HUGE.map(lambda s: s[:5000]), st.sampled_from(DIGITS + WORDS),
                      st.integers(), st.booleans(), st.none(), st.just([]), st.just({}))
    entry = st.fixed_dictionaries(
        {"kind": st.sampled_from(["topic", "category", "researcher", "person", ""])},
        optional={"query": st.one_of(value, st.sampled_from(TOPICS + CATEGORIES)), "category": value, "name": value,
                  "openalex_id": st.one_of(value, st.sampled_from(IDS)), "orcid": st.one_of(value, st.sampled_from(IDS)),
                  "s2_id": st.one_of(value, st.text("0123456789", min_size=1, max_size=80),
                                     st.sampled_from(["²", "٣٣٣", "123"]))},
    )
    document = {
        "format": draw(st.sampled_from(["paper-radar/1", "paper-radar/1", "paper-radar/2", ""])),
        "subscriptions": draw(st.lists(entry, max_size=8)),
        "settings": draw(st.dictionaries(
            st.sampled_from(["time", "timezone", "days", "max", "updates", "crosslists", "quiet-notice", "colour"]),
            st.one_of(value, st.sampled_from(TIMES + ZONES + DAYS + SWITCHES + DIGITS)), max_size=4)),
    }
    return json.dumps(document, ensure_ascii=draw(st.booleans()))


IMPORT_COMMAND = st.builds(lambda head, sep, body: f"{head}{sep}{body}", st.sampled_from(["import", "/radar import"]),
                           st.sampled_from([" ", "\n"]), import_payload())
COMMANDS = st.one_of(
    targeted_command(),
    targeted_command(),
    targeted_command(),
    st.builds(lambda head, body: f"{head} {body}", st.sampled_from(sorted(ARGUMENTS)), hostile_text()),
    st.builds(lambda head, body: f"{head} {body}", st.sampled_from(["", *sorted(ARGUMENTS)]), HUGE),
    IMPORT_COMMAND,
    hostile_text(),
)

# ---------------------------------------------------------------- instant, empty sources

EMPTY_ATOM = (b'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
              b'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"><title>arXiv Query</title>'
              b'<opensearch:totalResults>0</opensearch:totalResults><opensearch:startIndex>0</opensearch:startIndex>'
              b'<opensearch:itemsPerPage>0</opensearch:itemsPerPage></feed>')


def not_found(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404, json={"error": "Not Found", "message": "no such thing"})


def quiet_sources() -> SourceRouter:
    """Every source answers at once: nothing found anywhere."""
    router = SourceRouter()
    router.add("arxiv_api", "/", httpx.Response(200, content=EMPTY_ATOM, headers={"content-type": "application/atom+xml"}))
    router.add("arxiv_rss", "/", not_found)
    router.add("openalex", "/", not_found)
    router.add("openalex", "/authors", {"meta": {"count": 0, "next_cursor": None}, "results": []})
    router.add("openalex", "/authors/", not_found)
    router.add("openalex", "/autocomplete", {"meta": {"count": 0}, "results": []})
    router.add("openalex", "/works", {"meta": {"count": 0, "next_cursor": None}, "results": []})
    router.add("openalex", "/works/", not_found)  # one work by id or DOI: not the search's empty page
    router.add("semantic_scholar", "/", not_found)
    router.add("semantic_scholar", "/graph/v1/author/search", {"total": 0, "offset": 0, "data": []})
    router.add("huggingface", "/", not_found)
    router.add("huggingface", "/api/daily_papers", [])
    return router


def hostile_app(database_url: str) -> App:
    app = make_app(database_url, quiet_sources(), OPENALEX_API_KEY="test-key-not-secret")
    for platform in ("console", "discord"):
        app.sinks[platform] = ConsoleSink(io.StringIO())
    return app


# ---------------------------------------------------------------- checks


class ErrorLog(logging.Handler):
    """Collects every ERROR logged while inputs are answered: `handle` logs an unexpected exception there."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def error_log() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def logged(log: ErrorLog) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in log.records[:5]]


def assert_answer(view: View, text: str, asked: str) -> None:
    """A View the user can read: never the apology for an unexpected error, always some words."""
    if isinstance(view, Problem):
        assert view.code != "internal", f"unexpected error for {asked[:200]!r}: {view.detail}"
        assert view.title.strip() and view.detail.strip()
    assert text.strip(), f"empty answer for {asked[:200]!r}"


# Control characters a terminal acts on: C0 (but newline and tab), DEL, and C1 (0x9b is an 8-bit CSI).
_TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What a stored query or name never holds, however it came in: the text grammar drops or folds all of it.
_NOT_STORED = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]|  ")


async def assert_database_valid(app: App) -> tuple[int, int]:
    """Every row is one the service reads back and PostgreSQL would take; returns (destinations, subscriptions)."""
    async with app.db.session() as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in (await session.execute(select_rows(table))).mappings():
                for column in table.columns:
                    value = row[column.name]
                    if value is None:
                        assert column.nullable, f"{table.name}.{column.name} is NULL"
                    elif isinstance(column.type, String) and column.type.length:
                        assert len(value) <= column.type.length, (
                            f"{table.name}.{column.name} holds {len(value)} characters (limit {column.type.length}): "
                            f"{value[:80]!r}")
        destinations = list((await session.exec(select(DestinationRow))).all())
        subscriptions = list((await session.exec(select(SubscriptionRow))).all())
    for d in destinations:
        assert re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", d.digest_time), d.digest_time
        ZoneInfo(d.timezone)
        assert parse_days(d.weekdays) == d.weekdays, d.weekdays
        digest_trigger(d.digest_time, d.weekdays, d.timezone)
        assert 1 <= d.max_items <= 50, d.max_items
        count = sum(1 for s in subscriptions if s.destination_id == d.id)
        assert count <= app.settings.max_subscriptions_per_channel
    for s in subscriptions:
        assert s.kind in ("topic", "category", "researcher"), s.kind
        SubscriptionSpec.from_stored(s.destination_id, s.number, s.kind, s.query, openalex_id=s.openalex_id,
                                     orcid=s.orcid, s2_id=s.s2_id, display_name=s.display_name,
                                     name_variants=s.name_variants or ())
        if s.kind == "researcher":
            assert s.openalex_id or s.orcid or s.s2_id, "a followed researcher without any id"
            assert s.s2_id is None or (s.s2_id.isascii() and s.s2_id.isdigit()), s.s2_id
        else:
            assert s.query and s.query == s.query.strip(), s.query
        for text in (s.query, s.display_name):
            assert text is None or not _NOT_STORED.search(text), text
    return len(destinations), len(subscriptions)


# ---------------------------------------------------------------- the console


@dataclass
class Tally:
    """What came back, and every answer slower than the deadline (judged at the end: a timing failure is
    not a good thing for hypothesis to shrink)."""

    views: dict[str, int] = field(default_factory=dict)
    slow: list[tuple[float, str]] = field(default_factory=list)

    def add(self, name: str, seconds: float, asked: str) -> None:
        self.views[name] = self.views.get(name, 0) + 1
        if seconds >= DEADLINE_S:
            self.slow.append((round(seconds, 2), asked[:300]))


async def _ask_console(app: App, text: str, tally: Tally) -> None:
    started = time.perf_counter()
    view = await asyncio.wait_for(ask(app, text), DEADLINE_S * 5)
    rendered = render_console(view)
    elapsed = time.perf_counter() - started
    assert_answer(view, rendered, text)
    assert not _TERMINAL_CONTROL.search(rendered), f"terminal control characters echoed for {text[:200]!r}"
    tally.add(type(view).__name__, elapsed, repr(text))
    if not isinstance(view, Problem):  # it may have written: check now, so a bad row points at its command
        await assert_database_valid(app)


def test_console_answers_every_hostile_command(database_url: str, error_log: ErrorLog) -> None:
    tally = Tally()
    with asyncio.Runner() as runner:
        app = hostile_app(database_url)

        @hostile_settings(CONSOLE_EXAMPLES)
        @given(COMMANDS)
        def answer(text: str) -> None:
            runner.run(_ask_console(app, text, tally))

        try:
            answer()
            destinations, subscriptions = runner.run(assert_database_valid(app))
        finally:
            runner.run(app.aclose())
    assert tally.slow == [], f"answers slower than {DEADLINE_S}s"
    assert error_log.records == [], logged(error_log)
    # The generator really reached the handlers that write, not only the usage errors.
    assert sum(tally.views.values()) >= CONSOLE_EXAMPLES // 2
    assert {"Problem", "Notice", "SubscriptionList", "SettingsView", "ImportReport"} <= set(tally.views), tally.views
    assert destinations == 1 and subscriptions >= 1


# ---------------------------------------------------------------- Discord


@dataclass
class Posted:
    kind: str  # callback | original | followup | delete
    body: dict[str, Any]


class RecordingAdapter(AsyncWebhookAdapter):
    """discord.py's webhook adapter, answering every interaction request as Discord would, without HTTP."""

    def __init__(self) -> None:
        super().__init__()
        self.fake = FakeDiscord()
        self.posted: list[Posted] = []

    async def request(self, route: Any, session: Any, *, payload: dict[str, Any] | None = None,
                      multipart: list[dict[str, Any]] | None = None, **_: Any) -> Any:
        body = payload
        if body is None and multipart:
            body = json.loads(next(str(p["value"]) for p in multipart if p.get("name") == "payload_json"))
        body = body or {}
        path = str(route.path)
        if route.method == "DELETE":
            self.posted.append(Posted("delete", {}))
            return None
        if path.endswith("/callback"):
            self.posted.append(Posted("callback", body))
            kind = body.get("type")
            data = body.get("data") or {}
            message = self.fake.message("0", data, flags=data.get("flags") or 0)
            return {"interaction": {"id": "1", "type": 2, "response_message_id": message["id"],
                                    "response_message_loading": kind == 5,
                                    "response_message_ephemeral": bool((data.get("flags") or 0) & 64)},
                    "resource": {"type": kind, "message": message}}
        self.posted.append(Posted("original" if route.method == "PATCH" else "followup", body))
        return self.fake.message("0", body, flags=body.get("flags") or 0)

    @staticmethod
    def messages(posted_in_order: list[Posted]) -> list[dict[str, Any]]:
        """The message bodies people see: answers (type 4), edits of the deferred answer, and followups."""
        found = []
        for posted in posted_in_order:
            if posted.kind == "callback" and posted.body.get("type") in (4, 7):
                found.append(posted.body.get("data") or {})
            elif posted.kind in ("original", "followup"):
                found.append(posted.body)
        return found


def message_text(body: dict[str, Any]) -> str:
    parts = [body.get("content") or ""]
    for card in body.get("embeds") or ():
        parts += [card.get("title") or "", card.get("description") or ""]
        parts += [f"{f.get('name')}\n{f.get('value')}" for f in card.get("fields") or ()]
        parts += [(card.get("footer") or {}).get("text") or "", (card.get("author") or {}).get("name") or ""]
    for row in body.get("components") or ():
        parts += [button.get("label") or "" for button in row.get("components") or ()]
    return "\n".join(parts)


# Inert in Discord: nothing inside a code block (an export's JSON) or a code span is a mention.
_CODE_SPAN = re.compile(r"```.*?```|`[^`\n]+`", re.S)
_LIVE_MENTION = re.compile(r"@(everyone|here)\b|<@[!&]?\d{17,20}>")


def live_mentions(text: str, actor: str) -> list[str]:
    # The one mention a renderer writes on purpose: the member who acted, in an embed, which never pings.
    outside = _CODE_SPAN.sub("", text.replace(f"<@{actor}>", ""))
    return [m.group(0) for m in _LIVE_MENTION.finditer(outside)]


class DiscordHarness:
    """The real tree and Responder for one App; an Interaction is built from each raw payload."""

    def __init__(self, app: App) -> None:
        self.client = discord.Client(intents=intents())
        me: Any = FakeDiscord().bot_user()
        self.client._connection.user = discord.ClientUser(state=self.client._connection, data=me)
        self.responder = Responder(app)
        self.tree: RadarTree = build_tree(self.client, self.responder)
        self.adapter = RecordingAdapter()

    async def send(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        async_context.set(self.adapter)
        before = len(self.adapter.posted)
        interaction = discord.Interaction(data=payload, state=self.client._connection)  # type: ignore[arg-type]
        await self.tree._call(interaction)
        posted, self.adapter.posted = self.adapter.posted[before:], self.adapter.posted[:before]
        return RecordingAdapter.messages(posted)


# Each subcommand with its options, as Discord types them (strings; `unsubscribe` takes an integer).
STRING_OPTIONS: dict[str, tuple[str, ...]] = {
    "researcher": ("name",), "paper": ("query",), "trending": ("day",), "subscribe topic": ("query",),
    "subscribe category": ("category",), "follow": ("name",), "unfollow": ("who",), "settings": ("value",),
    "import": ("json",), "help": (), "list": (), "pause": (), "resume": (), "digest now": (), "digest preview": (),
    "digest more": (), "export": (), "status": (), "unsubscribe": (),
}
OPTIONAL = {"day", "value"}  # every other string option is required, so Discord always sends it
SETTING_NAMES = ["time", "timezone", "days", "max", "updates", "crosslists", "quiet-notice"]
DISCORD_VALUE = st.one_of(hostile_text(), hostile_text(), st.sampled_from(DIGITS + WORDS + MENTIONS), HUGE)


@st.composite
def discord_payload(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    path = draw(st.sampled_from(sorted(STRING_OPTIONS)))
    options: dict[str, Any] = {}
    for name in STRING_OPTIONS[path]:
        if path == "import":
            options[name] = draw(st.one_of(import_payload(), DISCORD_VALUE))
        elif name not in OPTIONAL or draw(st.integers(0, 4)):
            options[name] = draw(DISCORD_VALUE)
    if path == "settings" and draw(st.booleans()):
        options["name"] = draw(st.sampled_from(SETTING_NAMES))
    if path == "unsubscribe":
        options["number"] = draw(st.integers(1, 99_999_999))
    if path == "help" and draw(st.booleans()):
        options["command"] = draw(st.sampled_from(["subscribe", "researcher", "settings", "digest"]))
    who = draw(st.sampled_from(["manager", "manager", "member", "dm"]))
    actor = MEMBER if who == "member" else MANAGER
    where: dict[str, Any] = {"user": actor}
    if who == "member":
        where["permissions"] = EVERYONE_PERMS
    elif who == "dm":
        where["guild"] = None
    return slash(path, **where, **options), actor


async def _ask_discord(harness: DiscordHarness, payload: dict[str, Any], actor: str, tally: Tally) -> None:
    started = time.perf_counter()
    messages = await asyncio.wait_for(harness.send(payload), DEADLINE_S * 5)
    elapsed = time.perf_counter() - started
    asked = json.dumps(payload["data"], ensure_ascii=False)[:300]
    assert messages, f"no answer to {asked}"
    for body in messages:
        assert check_message_limits(body) == [], (check_message_limits(body), asked)
        assert body["allowed_mentions"] == {"parse": []}, asked
        text = message_text(body)
        assert text.strip(), asked
        assert "Something went wrong on our side" not in text, f"unexpected error for {asked}"
        assert live_mentions(text, actor) == [], (live_mentions(text, actor), asked)
        tally.add(((body.get("embeds") or [{}])[0].get("title") or "?")[:40], elapsed, asked)
    if not any("✖" in ((body.get("embeds") or [{}])[0].get("title") or "") for body in messages):
        await assert_database_valid(harness.responder.app)  # it may have written: a bad row points at it


def test_discord_answers_every_hostile_interaction(database_url: str, error_log: ErrorLog) -> None:
    tally = Tally()
    with asyncio.Runner() as runner:
        app = hostile_app(database_url)
        harness = DiscordHarness(app)

        @hostile_settings(DISCORD_EXAMPLES)
        @given(discord_payload())
        def answer(case: tuple[dict[str, Any], str]) -> None:
            payload, actor = case
            runner.run(_ask_discord(harness, payload, actor, tally))

        try:
            answer()
            destinations, subscriptions = runner.run(assert_database_valid(app))
        finally:
            runner.run(app.aclose())
    assert tally.slow == [], f"answers slower than {DEADLINE_S}s"
    assert error_log.records == [], logged(error_log)
    assert sum(tally.views.values()) >= DISCORD_EXAMPLES // 2
    assert destinations >= 1 and subscriptions >= 1
    # Permission denials, usage errors and real answers all came up.
    titles = " ".join(tally.views)
    assert "You can't change" in titles and "That doesn't work as given" in titles, tally.views


# ---------------------------------------------------------------- the checks themselves can fail


def test_the_mention_check_tells_live_from_inert() -> None:
    assert live_mentions("hi @everyone", "1") == ["@everyone"]
    assert live_mentions("<@&123456789012345678> and <@!123456789012345678>", "1") == [
        "<@&123456789012345678>", "<@!123456789012345678>"]
    assert live_mentions("hi @\u200beveryone, `@here` and <@700000000000000001>", "700000000000000001") == []


async def test_the_database_check_rejects_what_no_command_may_store(app_factory: Any) -> None:
    app = app_factory(quiet_sources())
    view = await ask(app, "subscribe topic diffusion")
    assert not isinstance(view, Problem), view
    await assert_database_valid(app)
    for column, bad in (("weekdays", "fri-mon"), ("digest_time", "8:5"), ("timezone", "Mars/Olympus")):
        async with app.db.session() as session:
            destination = (await session.exec(select(DestinationRow))).one()
            original = getattr(destination, column)
            setattr(destination, column, bad)
            session.add(destination)
            await session.commit()
        with pytest.raises((AssertionError, ValueError, LookupError)):
            await assert_database_valid(app)
        async with app.db.session() as session:
            destination = (await session.exec(select(DestinationRow))).one()
            setattr(destination, column, original)
            session.add(destination)
            await session.commit()
    async with app.db.session() as session:
        subscription = (await session.exec(select(SubscriptionRow))).one()
        subscription.query = "diffusion\u202e\x9b"
        session.add(subscription)
        await session.commit()
    with pytest.raises(AssertionError):
        await assert_database_valid(app)

