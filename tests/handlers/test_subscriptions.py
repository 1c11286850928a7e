"""Subscribing, listing, unsubscribing, settings, export and import, as a channel sees them."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from core.commands import SubscribeTopic, Unsubscribe
from core.model.context import Actor, Destination
from core.service import handle
from core.views import ExportView, ImportReport, Notice, Problem, SettingsView, SubscriptionList, Visibility
from tests.fakes import ask_text


async def test_subscribe_topic_confirms_in_channel_and_lists(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory()
    view, text = await ask_text(app, '/radar subscribe topic "graph neural networks" -survey')
    assert isinstance(view, Notice) and view.visibility is Visibility.CHANNEL
    assert '#1: "graph neural networks" -survey' in text
    # The first subscription says when digests come; the console does not know the zone, so it asks.
    assert "Digests arrive at 08:00 UTC, Monday to Friday" in text and "settings timezone" in text
    view, text = await ask_text(app, "subscribe category cs.LG")
    assert "New matches arrive in the next digest (Fri 29 Nov 08:00 UTC)." in text
    view, text = await ask_text(app, "list")
    assert isinstance(view, SubscriptionList) and view.visibility is Visibility.EPHEMERAL
    assert '#1' in text and '"graph neural networks" -survey' in text and "not: survey" in text


async def test_same_topic_twice_is_not_added_twice(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory()
    await ask_text(app, 'subscribe topic "Graph Neural Networks" -survey')
    view, text = await ask_text(app, 'subscribe topic -survey "graph neural network"')
    assert isinstance(view, Notice) and "already follows that topic as #1" in text
    view, _ = await ask_text(app, "list")
    assert isinstance(view, SubscriptionList) and len(view.items) == 1


async def test_malformed_query_explains_with_example(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory()
    view, text = await ask_text(app, 'subscribe topic "diffusion models')
    assert isinstance(view, Problem) and view.code == "invalid"
    assert "Example: subscribe topic" in text
    view, _ = await ask_text(app, "list")
    assert isinstance(view, SubscriptionList) and view.items == ()


async def test_unknown_category_suggests_nearest(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory()
    view, text = await ask_text(app, "subscribe category cs.ML")
    assert isinstance(view, Problem)
    assert "`cs.LG`" in text and "`stat.ML`" in text
    view, text = await ask_text(app, "subscribe category HEP-TH")
    assert isinstance(view, Notice) and "hep-th" in text
    view, text = await ask_text(app, "subscribe category cs.*")
    assert isinstance(view, Notice) and "cs.*" in text and "Computer Science" in text


async def test_subscription_limit(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(RADAR_MAX_SUBSCRIPTIONS=2)
    await ask_text(app, "subscribe category cs.LG")
    await ask_text(app, "subscribe category stat.ML")
    view, text = await ask_text(app, "subscribe topic transformers")
    assert isinstance(view, Problem) and view.code == "limit" and "at most 2" in text


async def test_query_length_limit(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory()
    view, text = await ask_text(app, "subscribe topic " + "word " * 150)
    assert isinstance(view, Problem) and "at most 500 characters" in text


async def test_unsubscribe_only_in_own_channel(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory()
    manager = Actor("slack", "U1", can_manage=True)
    ours, theirs = Destination("slack", "T1", "C1"), Destination("slack", "T2", "C9")
    await handle(SubscribeTopic("diffusion"), manager, ours, app=app)
    stranger = Actor("slack", "U9", can_manage=True)
    view = await handle(Unsubscribe("1"), stranger, theirs, app=app)
    assert isinstance(view, Problem) and view.code == "not_found"
    view = await handle(Unsubscribe("#1"), manager, ours, app=app)
    assert isinstance(view, Notice) and "Removed #1" in view.text
    view = await handle(Unsubscribe("1"), manager, ours, app=app)
    assert isinstance(view, Problem) and view.code == "not_found"


async def test_settings_change_and_show(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory()
    view, text = await ask_text(app, "settings timezone america/new_york")
    assert isinstance(view, SettingsView) and view.timezone == "America/New_York"
    assert "Changed the time zone to America/New_York" in text
    view, text = await ask_text(app, "settings time 6:45 pm")
    assert isinstance(view, SettingsView) and view.digest_time == "18:45"
    view, _ = await ask_text(app, "settings days mon,wed,fri")
    assert isinstance(view, SettingsView) and view.weekdays == "mon,wed,fri"
    # The test clock stands at Thursday 2024-11-28 12:00 UTC (07:00 in New York): next is Friday evening there.
    assert view.next_digest == datetime(2024, 11, 29, 18, 45, tzinfo=ZoneInfo("America/New_York"))
    for bad, message in (("settings time 25:00", "not a time of day"), ("settings max 500", "from 1 to 50"),
                         ("settings timezone Mars/Olympus", "not a time zone"), ("settings days funday", "not a set of days"),
                         ("settings updates maybe", "on or off")):
        view, text = await ask_text(app, bad)
        assert isinstance(view, Problem) and message in text, bad
    view, text = await ask_text(app, "settings")
    assert isinstance(view, SettingsView) and view.digest_time == "18:45" and view.timezone == "America/New_York"


async def test_pause_and_resume_keep_subscriptions(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory()
    await ask_text(app, "subscribe category cs.LG")
    view, text = await ask_text(app, "pause")
    assert isinstance(view, Notice) and "Subscriptions are kept" in text
    view, text = await ask_text(app, "settings")
    assert "PAUSED" in text
    view, text = await ask_text(app, "resume")
    assert "back on" in text and "Next digest" in text
    view, _ = await ask_text(app, "list")
    assert isinstance(view, SubscriptionList) and len(view.items) == 1


async def test_export_then_import_into_another_channel(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory()
    manager = Actor("console", "me", can_manage=True)
    await ask_text(app, 'subscribe topic diffusion -"medical imaging"')
    await ask_text(app, "subscribe category stat.ML")
    await ask_text(app, "settings timezone Europe/Paris")
    exported, _ = await ask_text(app, "export")
    assert isinstance(exported, ExportView) and exported.subscriptions == 2
    payload = json.loads(exported.payload)
    payload["subscriptions"].append({"kind": "category", "query": "cs.NOPE"})
    payload["subscriptions"].append({"kind": "researcher", "name": "Nameless"})
    payload["subscriptions"].append({"kind": "researcher", "name": "Ada", "orcid": "0000-0002-1825-0097"})
    other = Destination("discord", "G1", "42")
    from core.commands import Import, ListSubscriptions

    report = await handle(Import(json.dumps(payload)), manager, other, app=app)
    assert isinstance(report, ImportReport)
    assert len(report.added) == 3 and any("Ada" in a for a in report.added)
    assert any("cs.NOPE" in s for s in report.skipped) and any("names alone are ambiguous" in s for s in report.skipped)
    assert any("Europe/Paris" in c for c in report.settings_changed)
    again = await handle(Import(json.dumps(payload)), manager, other, app=app)
    assert isinstance(again, ImportReport) and again.added == () and sum("already subscribed" in s for s in again.skipped) == 3
    listed = await handle(ListSubscriptions(), manager, other, app=app)
    assert isinstance(listed, SubscriptionList) and [i.kind for i in listed.items] == ["topic", "category", "researcher"]


async def test_import_rejects_junk(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory()
    for payload, message in (("{not json", "not valid JSON"), ('{"a": 1}', "not a Paper Radar export"),
                             ("[" * 50000, "not valid JSON")):
        view, text = await ask_text(app, "import " + payload)
        assert isinstance(view, Problem), payload[:20]
        assert message in text or "too long" in text


async def test_a_topic_searches_all_of_arxiv(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory()
    view, text = await ask_text(app, "subscribe topic dark matter")
    assert isinstance(view, Notice) and "topic #1: dark matter. Searches all of arXiv." in text
    view, text = await ask_text(app, "subscribe category astro-ph.CO")
    assert isinstance(view, Notice) and "astro-ph.CO (Cosmology and Nongalactic Astrophysics) as #2." in text
    assert "Searches" not in text and "scope" not in text


async def test_a_restricted_server_names_what_every_subscription_searches(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(RADAR_INGEST_CATEGORIES="cs.*,stat.ML")
    _, text = await ask_text(app, "subscribe topic dark matter")
    assert "Searches cs.*, stat.ML (this server's arXiv scope; RADAR_INGEST_CATEGORIES)." in text
    _, text = await ask_text(app, "subscribe category cs.LG")
    assert "Searches cs.LG (this server's arXiv scope is cs.*, stat.ML; RADAR_INGEST_CATEGORIES)." in text
    view, text = await ask_text(app, "subscribe topic diffusion cat:cs.LG,math.PR")
    assert isinstance(view, Notice) and "Never searched here: math.PR." in text


async def test_a_restricted_server_refuses_what_it_never_reads(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(RADAR_INGEST_CATEGORIES="cs.*,stat.ML")
    view, text = await ask_text(app, "subscribe category math.PR")
    assert isinstance(view, Problem) and view.code == "invalid" and "Not searched on this server" in text
    assert view.detail == ("This server reads only cs.*, stat.ML of arXiv (RADAR_INGEST_CATEGORIES), so math.PR "
                           "(Probability) would never bring a paper.")
    assert view.hint is not None and "add math.PR to RADAR_INGEST_CATEGORIES" in view.hint
    view, _ = await ask_text(app, "subscribe topic knots cat:math.GT")
    assert isinstance(view, Problem) and view.hint is not None and view.hint.startswith("Leave out the cat:")
    payload = {"format": "paper-radar/1", "subscriptions": [{"kind": "category", "query": "math.PR"},
                                                            {"kind": "category", "query": "stat.ML"}]}
    view, _ = await ask_text(app, f"import {json.dumps(payload)}")
    assert isinstance(view, ImportReport) and view.added == ("category: stat.ML",)
    assert any("math.PR is outside this server's arXiv scope (cs.*, stat.ML)" in s for s in view.skipped)
    view, _ = await ask_text(app, "list")
    assert isinstance(view, SubscriptionList) and [i.label for i in view.items] == ["stat.ML"]
