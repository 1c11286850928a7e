"""Commands and answers as a new user meets them (issue 21): help examples that work, categories by name or
archive, vague topics and operators, trending's latest day, unfollow/unsubscribe by what people type, a paused
channel's `digest now`, and wording without `paper(s)`. Through `radar ask`'s path (the console channel)."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bots.console.sink import ConsoleSink
from core.commands import Import, UsageError, parse_command
from core.help import ENTRIES
from core.views import HelpView, ImportReport, Notice, Problem, SettingsView, SubscriptionList, TrendingView
from tests.fakes import SourceRouter, ask_text, read_json

EXAMPLES = [example for entry in ENTRIES for example in entry.examples]


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_help_example_parses(example: str) -> None:
    try:
        parse_command(example)
    except UsageError as error:  # pragma: no cover - the failure message is the point
        pytest.fail(f"`help` shows `{example}`, which is not a command: {error.message}")


async def test_every_subscribe_example_subscribes(app_factory: Any) -> None:
    # `subscribe similar <paper>` looks its example up: arXiv answers, the extras' sources know nothing.
    lookup = (Path(__file__).parent.parent / "fixtures" / "synthetic_arxiv_api_lookup.xml").read_bytes()
    router = (SourceRouter().add("arxiv_api", "/api/query", httpx.Response(200, content=lookup))
              .add("semantic_scholar", "/", httpx.Response(404, json={"error": "not found"}))
              .add("huggingface", "/", httpx.Response(404, json={"error": "not found"})))
    app = app_factory(router)
    for example in (e for e in EXAMPLES if e.startswith("subscribe ")):
        view, text = await ask_text(app, example)
        assert isinstance(view, Notice) and "Subscribed this channel" in text, (example, text)


async def test_help_import_shows_an_example_import_accepts(app_factory: Any) -> None:
    app = app_factory()
    help_view, text = await ask_text(app, "help import")
    assert isinstance(help_view, HelpView)
    (example,) = help_view.entries[0].examples
    assert example in text
    command = parse_command(example)
    assert isinstance(command, Import) and json.loads(command.payload)
    report, text = await ask_text(app, example)
    assert isinstance(report, ImportReport) and report.added == ("topic: diffusion",), text
    assert "Imported 1 subscription." in text  # and not "1 subscription(s)"


@pytest.mark.parametrize(("typed", "suggested"), [("cs", "cs.*"), ("physics", "physics.*"), ("CS", "cs.*"),
                                                  ("astro-ph", "astro-ph.*"), ("Computer Science", "cs.*")])
async def test_an_archive_gets_its_wildcard(app_factory: Any, typed: str, suggested: str) -> None:
    view, text = await ask_text(app_factory(), f"subscribe category {typed}")
    assert isinstance(view, Problem) and f"subscribe category {suggested}" in text, text
    assert "one category at a time" not in text


async def test_a_category_name_gets_its_codes(app_factory: Any) -> None:
    view, text = await ask_text(app_factory(), "subscribe category machine learning")
    assert isinstance(view, Problem), text
    assert "`cs.LG` (Machine Learning)" in text and "`stat.ML` (Machine Learning)" in text
    assert "one category at a time" not in text


@pytest.mark.parametrize("topic", ["a", "x", "the", "of the", '"of the"', "a OR diffusion"])
async def test_a_topic_of_stop_words_or_single_letters_is_refused(app_factory: Any, topic: str) -> None:
    app = app_factory()
    view, text = await ask_text(app, f"subscribe topic {topic}")
    assert isinstance(view, Problem) and view.code == "invalid", text
    assert "nearly every paper" in text and "Example: subscribe topic" in text
    listed, _ = await ask_text(app, "list")
    assert isinstance(listed, SubscriptionList) and listed.items == ()


async def test_and_is_explained_not_silently_ignored(app_factory: Any) -> None:
    app = app_factory()
    view, text = await ask_text(app, "subscribe topic diffusion AND model")
    assert isinstance(view, Notice) and "AND is not needed" in text
    view, text = await ask_text(app, "subscribe topic graph && network")
    assert isinstance(view, Notice) and "&& is not an operator here" in text
    view, text = await ask_text(app, "subscribe topic transformers")
    assert isinstance(view, Notice) and "Note:" not in text


def _hf_days(recordings: Path, days_with_papers: set[str]) -> SourceRouter:
    body = read_json(recordings / "hf_daily_papers" / "daily_papers_date_2026-08-21.json")

    def daily(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body if request.url.params["date"] in days_with_papers else [])

    return SourceRouter().add("huggingface", "/api/daily_papers", daily)


async def test_trending_without_a_day_shows_the_latest_day_with_papers(app_factory: Any, recordings: Path) -> None:
    router = _hf_days(recordings, {"2026-08-21"})
    # Saturday 22 Aug, 13:00 UTC: already Sunday the 23rd (01:00) in the channel's zone, Auckland.
    app = app_factory(router, now=datetime(2026, 8, 22, 13, 0, tzinfo=UTC))
    await ask_text(app, "settings timezone Pacific/Auckland")
    view, text = await ask_text(app, "trending")
    assert isinstance(view, TrendingView) and view.day == date(2026, 8, 21) and view.items, text
    assert "Trending on Hugging Face, 2026-08-21 (Friday)" in text
    assert "Today (2026-08-23) has no list yet; this is the latest day with papers." in text
    asked = [r.url.params["date"] for r in router.calls("huggingface")]
    assert asked == ["2026-08-23", "2026-08-22", "2026-08-21"]  # the channel's today first, in its zone


async def test_trending_today_when_it_has_papers_says_nothing_more(app_factory: Any, recordings: Path) -> None:
    app = app_factory(_hf_days(recordings, {"2026-08-21"}), now=datetime(2026, 8, 21, 12, 0, tzinfo=UTC))
    view, text = await ask_text(app, "trending")
    assert isinstance(view, TrendingView) and view.day == date(2026, 8, 21) and view.note is None
    assert "latest day" not in text


async def test_unfollow_a_topic_number_points_to_unsubscribe(app_factory: Any) -> None:
    app = app_factory()
    await ask_text(app, "subscribe topic diffusion")
    view, text = await ask_text(app, "unfollow 1")
    assert isinstance(view, Problem) and "unsubscribe 1" in text and "#1 is a topic" in text


async def test_unsubscribe_by_what_the_subscription_follows(app_factory: Any) -> None:
    app = app_factory()
    await ask_text(app, "subscribe topic diffusion")
    await ask_text(app, "subscribe category cs.LG")
    view, text = await ask_text(app, "unsubscribe diffusion")
    assert isinstance(view, Notice) and "Removed #1 (topic: diffusion)" in text
    view, text = await ask_text(app, "unsubscribe CS.lg")
    assert isinstance(view, Notice) and "Removed #2" in text
    view, text = await ask_text(app, "unsubscribe quantum")
    assert isinstance(view, Problem) and view.code == "not_found"


async def test_digest_now_in_a_paused_channel_asks_first(app_factory: Any) -> None:
    app = app_factory()
    app.sinks["console"] = ConsoleSink(io.StringIO())
    await ask_text(app, "subscribe category cs.LG")
    await ask_text(app, "pause")
    view, text = await ask_text(app, "digest now")
    assert isinstance(view, Problem) and "paused" in text
    assert "digest now --anyway" in text and "resume" in text
    view, text = await ask_text(app, "digest now --anyway")
    assert isinstance(view, Notice), text  # sent (here: nothing new), and the channel stays paused
    settings, text = await ask_text(app, "settings")
    assert isinstance(settings, SettingsView) and settings.paused


@pytest.mark.parametrize(("typed", "said"), [
    ("settings crosslists off", "Turned cross-listed papers off."),
    ("settings updates on", "Turned updates (revised versions of older papers) on."),
    ("settings time 07:45", "Changed the digest time to 07:45."),
])
async def test_settings_changes_read_as_sentences(app_factory: Any, typed: str, said: str) -> None:
    view, text = await ask_text(app_factory(), typed)
    assert isinstance(view, SettingsView) and said in text and "Changed cross" not in text
