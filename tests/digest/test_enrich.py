"""Ingest's extras: Hugging Face summaries and code, Semantic Scholar TL;DRs, links in abstracts; never a wait.

The feed is synthetic (tests/fixtures/synthetic_arxiv_rss_2026-08-21.xml, the day of the recorded Hugging Face
daily papers); Hugging Face answers with its real recording, Semantic Scholar with a synthetic batch.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from core.bootstrap import ManualIngest, describe_ingest
from core.digest.ingest import ingest
from core.storage import repos
from core.views import DigestView, Notice
from tests.digest.conftest import RecordingSink
from tests.fakes import SourceRouter, ask_text

FRIDAY = datetime(2026, 8, 21, 12, 0, tzinfo=UTC)


def _router(synthetic: Path, recordings: Path, *, huggingface: Any = None, s2: Any = None) -> SourceRouter:
    feed = (synthetic / "synthetic_arxiv_rss_2026-08-21.xml").read_bytes()
    daily = (recordings / "hf_daily_papers" / "daily_papers_date_2026-08-21.json").read_bytes()
    tldrs = json.loads((synthetic / "synthetic_s2_batch_tldr.json").read_text())

    def batch(request: httpx.Request) -> httpx.Response:
        ids = json.loads(request.content)["ids"]
        return httpx.Response(200, json=[tldrs.get(i) for i in ids])

    router = SourceRouter()
    router.add("arxiv_rss", "/rss/", httpx.Response(200, content=feed, headers={"content-type": "application/xml"}))
    router.add("huggingface", "/api/daily_papers", huggingface or httpx.Response(
        200, content=daily, headers={"content-type": "application/json"}))
    router.add("semantic_scholar", "/graph/v1/paper/batch", s2 or batch)
    return router


async def _subscribe(app: Any) -> None:
    for command in ("subscribe category cs.LG", "settings max 20"):
        await ask_text(app, command)


async def _digest(app: Any, sink: RecordingSink) -> DigestView:
    view, text = await ask_text(app, "digest now")
    assert isinstance(view, Notice) and "Sent the digest" in text, text
    return sink.views[-1]


async def test_the_first_source_with_a_summary_wins_and_code_comes_with_stars(
        app_factory, synthetic: Path, recordings: Path, sink: RecordingSink) -> None:  # type: ignore[no-untyped-def]
    router = _router(synthetic, recordings)
    app = app_factory(router, now=FRIDAY, radar_enrich_deadline_s=30)
    app.sinks["console"] = sink
    await _subscribe(app)
    report = await ingest(app, researchers=False)
    assert report.extras is not None and report.extras.failed == ()
    # EnvHarness and SkillEvo from Hugging Face (EnvHarness with its repository), the sparse-attention TL;DR.
    assert (report.extras.summaries, report.extras.code) == (3, 1)
    # Hugging Face's list has 17 papers of that day; only the two the feed carried are touched, none added.
    async with app.db.session() as session:
        assert await repos.get_paper(session, "arXiv:2608.20335") is None
    digest = await _digest(app, sink)
    items = {item.paper_id: item for item in digest.items}
    assert set(items) == {"arXiv:2608.19880", "arXiv:2608.13120", "arXiv:2608.30001", "arXiv:2608.30002"}
    envharness = items["arXiv:2608.19880"]
    assert envharness.summary.startswith("EnvHarness and EnvRigger dynamically reshape static environments")
    assert envharness.code_url == "https://github.com/google-research/envharness" and envharness.code_stars == 8
    assert envharness.project_url == "https://envharness.com/"
    skills = items["arXiv:2608.13120"]
    assert skills.summary.startswith("SkillEvo improves agent skills")  # Hugging Face's, not the TL;DR
    assert skills.code_url == "https://github.com/example-lab/skill-refresh" and skills.code_stars is None
    sparse = items["arXiv:2608.30001"]
    assert sparse.summary == ("A block-sparse attention with a correction term makes long prompts fast without "
                              "losing accuracy.")
    spins = items["arXiv:2608.30002"]
    # No summary anywhere: the abstract's first sentence, whole ("cf." and "al." do not end it).
    assert spins.summary == "Neural quantum states (cf. Carleo et al. 2017) describe frustrated magnets well."
    assert spins.code_url == "https://gitlab.com/example/nqs-kagome"
    assert spins.venue == "published in Phys. Rev. B"
    printed = sink.text.getvalue()
    assert "code (8★): https://github.com/google-research/envharness" in printed
    assert "TL;DR: A block-sparse attention" in printed
    # Semantic Scholar was only asked about papers Hugging Face had not summarised, and only new ones.
    asked = json.loads(router.calls("semantic_scholar")[0].content)["ids"]
    assert sorted(asked) == ["ARXIV:2608.30001", "ARXIV:2608.30002"]


async def test_sources_down_leave_the_extras_out_and_the_digest_on_time(
        app_factory, synthetic: Path, recordings: Path, sink: RecordingSink) -> None:  # type: ignore[no-untyped-def]
    router = _router(synthetic, recordings, huggingface=httpx.Response(503), s2=httpx.Response(500))
    app = app_factory(router, now=FRIDAY, radar_enrich_deadline_s=30)
    app.sinks["console"] = sink
    await _subscribe(app)
    report = await ingest(app, researchers=False)
    assert report.stored == 5 and report.extras is not None
    assert report.extras.failed == ("Hugging Face", "Semantic Scholar")
    assert not report.problems  # an extra missing is no problem for `status`
    told = describe_ingest(ManualIngest(report, FRIDAY.date(), 5))
    assert ("extras: 0 one-line summaries, 0 code links; no answer in time from Hugging Face or Semantic Scholar "
            "(those papers go without)") in told
    digest = await _digest(app, sink)
    envharness = next(i for i in digest.items if i.paper_id == "arXiv:2608.19880")
    assert envharness.summary == "Agents learn from environments that never change."
    assert envharness.code_url is None and envharness.code_stars is None


async def test_summary_setting_abstract_and_off(app_factory, synthetic: Path, recordings: Path,
                                                sink: RecordingSink) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(_router(synthetic, recordings), now=FRIDAY, radar_enrich_deadline_s=30)
    app.sinks["console"] = sink
    await _subscribe(app)
    await ingest(app, researchers=False)
    _view, text = await ask_text(app, "settings summary off")
    assert "Changed each paper's line to title, authors and links only" in text
    preview, text = await ask_text(app, "digest preview")
    assert isinstance(preview, DigestView) and len(preview.items) == 4
    assert all(not item.summary and not item.snippet for item in preview.items)
    assert "TL;DR" not in text and "Agents learn from environments" not in text
    # The code link does not depend on the summary setting.
    assert "code (8★): https://github.com/google-research/envharness" in text
    _view, text = await ask_text(app, "settings summary abstract")
    assert "Changed each paper's line to the abstract's opening" in text
    digest = await _digest(app, sink)
    envharness = next(i for i in digest.items if i.paper_id == "arXiv:2608.19880")
    assert envharness.summary == "" and envharness.snippet.startswith("Agents learn from environments")
    _view, text = await ask_text(app, "settings summary sometimes")
    assert "tldr (a one-line summary), abstract (its opening lines) or off" in text
