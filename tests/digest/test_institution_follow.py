"""`follow institution` end to end: follow, list, status, ingest, the digest's why line, exactly once, export and
import, with and without an OpenAlex key.

The day is the real arXiv feed of 28 Nov 2024 (a Wei Wang co-authored the X-ray paper with Yunchao Wei and
Yao Zhao; three other Wei Wangs published that day). The institution and its works are synthetic: OpenAlex has
no recording of a small institute's works, and these are shaped like the recorded Harvard listing.
"""

from __future__ import annotations

import json
from typing import Any

from bots.console.adapter import CONSOLE_DESTINATION
from core.commands import Export, Import
from core.digest.deliver import run_digest
from core.digest.ingest import ingest
from core.model.context import Actor, Destination
from core.service import handle
from core.storage import repos
from core.views import ExportView, Notice, StatusView
from tests.digest.conftest import THURSDAY, RecordingSink, feed_router
from tests.fakes import SourceRouter, ask_text

INST = "I4000000001"
XRAY = "arXiv:2411.18078"
JOURNAL = "doi:10.9999/synthetic.journal.1"
MANAGER = Actor("console", "me", can_manage=True)
RECORD = {"id": f"https://openalex.org/{INST}", "display_name": "Synthetic Vision Institute", "type": "funder",
          "country_code": "CN", "geo": {"city": "Beijing", "country": "China"}, "works_count": 300,
          "lineage": [f"https://openalex.org/{INST}"]}


def _authorship(author_id: str, name: str, here: bool) -> dict[str, Any]:
    place = INST if here else "I4000000999"
    return {"author": {"id": f"https://openalex.org/{author_id}", "display_name": name},
            "institutions": [{"id": f"https://openalex.org/{place}", "lineage": [f"https://openalex.org/{place}"]}]}


def _work(number: int, title: str, day: str, authors: list[dict[str, Any]], abstract: str = "") -> dict[str, Any]:
    words = {word: [i] for i, word in enumerate(abstract.split())}
    return {"id": f"https://openalex.org/W40000000{number:02d}", "title": title, "publication_date": day,
            "doi": f"https://doi.org/10.9999/synthetic.journal.{number}", "authorships": authors,
            "abstract_inverted_index": words}


WORKS = {"meta": {"count": 3}, "results": [
    _work(1, "Sparse optimal transport for satellite imagery", "2024-11-28",
          [_authorship("A5000000002", "Ada Member", True), _authorship("A5000000003", "Outside Coauthor", False)]),
    _work(2, "Prohibited item detection in X-ray baggage inspection", "2024-06-01",
          [_authorship("A5000000001", "Wei Wang", True), _authorship("A5000000004", "Yunchao Wei", False),
           _authorship("A5000000005", "Yao Zhao", False)],
          "security inspection of baggage detects prohibited threat items in ray images with class imbalance"),
    _work(3, "Long-tail detection for security screening", "2024-03-01",
          [_authorship("A5000000001", "Wei Wang", True), _authorship("A5000000002", "Ada Member", True)]),
]}


def router_for(recordings: Any) -> SourceRouter:
    router = feed_router(recordings)
    router.add("openalex", f"/institutions/{INST}", RECORD)
    router.add("openalex", "/works", WORKS)
    return router


async def _digest(app: Any, sink: RecordingSink) -> dict[str, str]:
    async with app.db.session() as session:
        destination = await repos.ensure_destination(session, CONSOLE_DESTINATION)
    await run_digest(app, destination.id)
    if not sink.views:
        return {}
    view = sink.views.pop()
    return {item.paper_id: item.why[0].text for item in view.items if item.why and item.why[0].kind == "institution"}


async def test_follow_an_institution_and_its_papers_come_once(app_factory: Any, recordings: Any) -> None:
    router = router_for(recordings)
    app = app_factory(router, now=THURSDAY, OPENALEX_API_KEY="test-key-not-secret")
    sink = RecordingSink()
    app.sinks["console"] = sink

    view, text = await ask_text(app, f"follow institution {INST}")
    assert isinstance(view, Notice) and "now follows Synthetic Vision Institute (Beijing, China) as #1" in text
    assert "its 2 most active researchers" in text
    (roster_call,) = router.calls("openalex", "/works")
    assert roster_call.url.params["filter"].startswith(f"authorships.institutions.lineage:{INST},")

    _, listed = await ask_text(app, "list")
    assert "Synthetic Vision Institute" in listed and "arXiv papers by its 2 active researchers" in listed
    status = await handle_status(app)
    assert any("1 list call a day" in note for note in status.notes), status.notes

    report = await ingest(app)
    assert report.institutions_listed == 1 and len(router.calls("openalex", "/works")) == 2

    found = await _digest(app, sink)
    assert found[JOURNAL] == "from Synthetic Vision Institute (Ada Member)"
    assert found[XRAY].startswith("from Synthetic Vision Institute (Wei Wang: name match; co-author ")
    # The other three Wei Wangs of the day are namesakes: their papers did not come.
    assert set(found) == {JOURNAL, XRAY}

    again = await _digest(app, sink)
    assert JOURNAL not in again and XRAY not in again  # the ledger: once per channel

    view, text = await ask_text(app, f"follow institution {INST}")
    assert "already follows Synthetic Vision Institute as #1" in text


async def handle_status(app: Any, where: Destination = CONSOLE_DESTINATION) -> StatusView:
    from core.commands import Status

    view = await handle(Status(), MANAGER, where, app=app)
    assert isinstance(view, StatusView)
    return view


async def test_export_and_import_carry_the_institution(app_factory: Any, recordings: Any) -> None:
    app = app_factory(router_for(recordings), now=THURSDAY, OPENALEX_API_KEY="k")
    await ask_text(app, f"follow institution {INST}")

    exported = await handle(Export(), MANAGER, CONSOLE_DESTINATION, app=app)
    assert isinstance(exported, ExportView)
    entries = json.loads(exported.payload)["subscriptions"]
    assert entries == [{"kind": "institution", "name": "Synthetic Vision Institute", "openalex_id": INST}]

    elsewhere = Destination("console", "local", "other-channel")
    report = await handle(Import(exported.payload), MANAGER, elsewhere, app=app)
    assert "institution: Synthetic Vision Institute" in report.added  # type: ignore[attr-defined]
    twice = await handle(Import(exported.payload), MANAGER, elsewhere, app=app)
    assert twice.skipped == ("Synthetic Vision Institute: already subscribed",)  # type: ignore[attr-defined]
    status = await handle_status(app, elsewhere)
    assert any("researchers are not listed yet" in p for p in status.problems)
    bad = json.dumps({"format": "paper-radar/1", "subscriptions": [{"kind": "institution", "name": "MIT"}]})
    refused = await handle(Import(bad), MANAGER, elsewhere, app=app)
    assert "names alone are ambiguous" in refused.skipped[0]  # type: ignore[attr-defined]


async def test_without_a_key_it_says_what_does_not_come(app_factory: Any, recordings: Any) -> None:
    router = router_for(recordings)
    app = app_factory(router, now=THURSDAY)

    view, text = await ask_text(app, f"follow institution {INST}")
    assert isinstance(view, Notice) and "no OpenAlex API key" in text and "OPENALEX_API_KEY" in text
    assert router.calls("openalex", "/works") == []  # no billed list call without a key

    status = await handle_status(app)
    assert any("OPENALEX_API_KEY" in p and "Synthetic Vision Institute" in p for p in status.problems)
    report = await ingest(app)
    assert report.institutions_listed == 0 and router.calls("openalex", "/works") == []
    assert any("institution" in line and "OPENALEX_API_KEY" in line for line in report.not_covered)

    view, text = await ask_text(app, "unfollow Synthetic")
    assert "no longer follows Synthetic Vision Institute" in text
