"""Without an OpenAlex key, followed researchers still bring their papers where another source can, the
ingest reads their works for evidence when a subscription has none, and what is not covered is said."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from bots.console.adapter import CONSOLE_DESTINATION
from core.bootstrap import ManualIngest, describe_ingest
from core.commands import Import
from core.digest.ingest import ingest
from core.model.context import Actor
from core.model.researchers import ResearcherEvidence
from core.service import handle
from tests.digest.conftest import THURSDAY, feed_router
from tests.fakes import ask_text
from tests.handlers.test_researchers import PRIEM, S2_API, load, openalex_routes, subscriptions

MANAGER = Actor("console", "me", can_manage=True)


async def _import(app: Any, *people: dict[str, str]) -> None:
    payload = {"format": "paper-radar/1", "subscriptions": [{"kind": "researcher", **p} for p in people]}
    await handle(Import(json.dumps(payload)), MANAGER, CONSOLE_DESTINATION, app=app)


def _routes(recordings: Path, synthetic: Path) -> Any:
    router = feed_router(recordings)
    work = load(recordings / "openalex/single_work_mmgeorge.json")
    openalex_routes(router, works={PRIEM: {"meta": {"count": 1, "next_cursor": None}, "results": [work]}})
    papers = load(synthetic / "synthetic_researcher_s2.json")["author_papers"]
    router.add("semantic_scholar", f"{S2_API}/author/48000001/papers", papers)
    return router


async def test_without_a_key_semantic_scholar_ids_are_used_and_the_gaps_are_said(
        app_factory: Any, recordings: Path, synthetic: Path) -> None:
    router = _routes(recordings, synthetic)
    app = app_factory(router, now=THURSDAY)  # no OPENALEX_API_KEY
    await _import(app, {"name": "Ada Quillfeather", "openalex_id": "A5000000001", "s2_id": "48000001"},
                  {"name": "Jason Priem", "openalex_id": PRIEM},
                  {"name": "Hyewon Jeong", "orcid": "0000-0002-1825-0097"})

    report = await ingest(app)

    # Ada's works come from Semantic Scholar, though OpenAlex knows her too: it has no key here.
    assert report.researchers_checked == 1 and router.calls("semantic_scholar", f"{S2_API}/author/48000001/papers")
    assert not [c for c in router.calls("openalex", "/works") if "A5000000001" in c.url.params["filter"]]
    # Both people with an id had their works read for evidence; the imported ORCID alone gives nothing to read.
    assert report.evidence_read == 2
    by_name = {r.display_name: r for r in await subscriptions(app)}
    assert ResearcherEvidence.from_json(by_name["Ada Quillfeather"].evidence).coauthors == ("Rob Inkwell",)
    priem = ResearcherEvidence.from_json(by_name["Jason Priem"].evidence)  # from his one recorded work
    assert priem.known and "unpaywall" in priem.terms and "19m" not in priem.terms
    assert by_name["Hyewon Jeong"].evidence is None

    lines = describe_ingest(ManualIngest(report, date(2024, 11, 28), 0))
    assert ("not covered: 1 followed researcher: journal and conference papers are not fetched (only new arXiv "
            "papers, by name): set OPENALEX_API_KEY to fetch them from OpenAlex") in lines
    assert any(line.startswith("not covered: 1 followed researcher: journal and conference papers are not "
                               "fetched, having no OpenAlex or Semantic Scholar id") for line in lines)
    assert any("possibly by" in line for line in lines)  # Hyewon Jeong's arXiv papers stay guesses
    assert "followed researchers whose works were read to recognise their arXiv papers: 2" in lines

    _, text = await ask_text(app, "status")
    assert "followed researchers #2 Jason Priem: journal and conference papers are not fetched" in text
    assert "followed researchers #3 Hyewon Jeong: journal and conference papers are not fetched" in text
    assert "Ada Quillfeather" not in text

    # Evidence is read once: the next ingest does not ask again.
    again = await ingest(app)
    assert again.evidence_read == 0
    assert len(router.calls("semantic_scholar", f"{S2_API}/author/48000001/papers")) == 3  # works, evidence, works


async def test_with_a_key_nothing_is_reported_missing(app_factory: Any, recordings: Path, synthetic: Path) -> None:
    app = app_factory(_routes(recordings, synthetic), now=THURSDAY, OPENALEX_API_KEY="test-key-not-secret")
    await _import(app, {"name": "Jason Priem", "openalex_id": PRIEM})

    report = await ingest(app)

    assert report.researchers_checked == 1 and report.evidence_read == 1 and report.not_covered == []
    assert not [line for line in describe_ingest(ManualIngest(report, date(2024, 11, 28), 0))
                if line.startswith("not covered")]
