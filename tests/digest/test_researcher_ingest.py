"""Followed researchers: their journal and conference works arrive through OpenAlex, matched by stable id."""

from __future__ import annotations

import httpx

from bots.console.adapter import CONSOLE_DESTINATION
from core.commands import Import
from core.digest.deliver import run_digest
from core.digest.ingest import ingest
from core.model.context import Actor
from core.service import handle
from core.storage import repos
from tests.digest.conftest import THURSDAY, RecordingSink, feed_router


def _work(openalex_author: str) -> dict[str, object]:
    return {
        "id": "https://openalex.org/W4999", "doi": "https://doi.org/10.1000/jmlr.2024.77",
        "title": "Optimal Transport on Sparse Graphs", "display_name": "Optimal Transport on Sparse Graphs",
        "publication_date": "2024-11-27", "publication_year": 2024, "cited_by_count": 3,
        "primary_location": {"landing_page_url": "https://doi.org/10.1000/jmlr.2024.77",
                             "source": {"display_name": "Journal of Machine Learning Research", "type": "journal"}},
        "authorships": [{"author_position": "first", "author": {"id": f"https://openalex.org/{openalex_author}",
                                                                  "display_name": "Zoë Ångström-Nakamura"}}],
    }


async def test_followed_researcher_journal_paper_arrives_by_id(app_factory, recordings, synthetic) -> None:  # type: ignore[no-untyped-def]
    router = feed_router(recordings)
    router.add("openalex", "/works", {"meta": {"count": 1, "next_cursor": None}, "results": [_work("A5000000001")]})
    app = app_factory(router, now=THURSDAY, OPENALEX_API_KEY="test-key-not-secret")
    sink = RecordingSink()
    app.sinks["console"] = sink
    payload = ('{"format": "paper-radar/1", "subscriptions": [{"kind": "researcher", '
               '"name": "Zoë Ångström-Nakamura", "openalex_id": "A5000000001"}]}')
    await handle(Import(payload), Actor("console", "me", can_manage=True), CONSOLE_DESTINATION, app=app)
    report = await ingest(app)
    assert report.researchers_checked == 1 and report.works_stored == 1
    works_call = router.calls("openalex", "/works")[0]
    assert "author.id:A5000000001" in works_call.url.params["filter"]
    assert works_call.url.params["api_key"] == "test-key-not-secret"
    async with app.db.session() as session:
        destination = await repos.ensure_destination(session, CONSOLE_DESTINATION)
    outcome = await run_digest(app, destination.id)
    assert outcome.state == "done"
    item = next(i for i in sink.views[0].items if i.paper_id == "doi:10.1000/jmlr.2024.77")
    assert item.why[0].kind == "researcher" and not item.why[0].by_name
    assert "Ångström-Nakamura" in item.why[0].text
    # Her works were also read once for evidence (the import brought none); the next ingest asks only for
    # works since this check, and does not read them for evidence again.
    assert report.evidence_read == 1 and len(router.calls("openalex", "/works")) == 2
    await ingest(app)
    assert len(router.calls("openalex", "/works")) == 3
    first, _evidence, again = (c.url.params["filter"] for c in router.calls("openalex", "/works"))
    assert "from_publication_date" in again and again != first


async def test_openalex_budget_spent_is_reported_not_fatal(app_factory, recordings) -> None:  # type: ignore[no-untyped-def]
    router = feed_router(recordings)
    router.add("openalex", "/works", httpx.Response(429, json={"error": "budget exceeded"},
                                                   headers={"X-RateLimit-Remaining-USD": "0"}))
    app = app_factory(router, now=THURSDAY, OPENALEX_API_KEY="test-key-not-secret")
    payload = ('{"format": "paper-radar/1", "subscriptions": [{"kind": "researcher", "name": "A", '
               '"openalex_id": "A5000000001"}, {"kind": "researcher", "name": "B", "openalex_id": "A5000000002"}]}')
    await handle(Import(payload), Actor("console", "me", can_manage=True), CONSOLE_DESTINATION, app=app)
    report = await ingest(app)
    assert report.stored == 1504  # the feed still came in
    assert any("budget" in p for p in report.problems)
    assert len(router.calls("openalex", "/works")) == 1  # stopped asking once the budget was spent
