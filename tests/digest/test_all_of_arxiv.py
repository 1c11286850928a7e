"""All of arXiv, and one channel's digest independent of the others, on the real 1,504-item feed of 2024-11-28.

The fake feed server answers as arXiv does (`announcements` in conftest): each request gets the items of the
archives and categories it names. So whatever ingest asks for shows in what the channels receive.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from core.digest.ingest import ingest
from core.digest.plan import plan_digest, window_for
from core.model.context import Actor, Destination
from core.service import handle_text
from core.storage import digest_inputs, repos
from core.views import Notice, PaperCard, Problem
from tests.digest.conftest import THURSDAY, RecordingSink, all_archives_path, feed_router
from tests.digest.test_researcher_ingest import _work
from tests.fakes import ask_text

LAB_A = Destination("console", "local", "console")  # the channel `ask_text` speaks in
LAB_B = Destination("console", "local", "probability-lab")
MANAGER = Actor("console", "me", can_manage=True)

AXION_SEARCH = "arXiv:2411.17947"  # hep-ex only: "Dark Matter Axion Detection with Neural Networks at ..."
BARYONIC_DARK_MATTER = "arXiv:2411.17775"  # astro-ph.GA, astro-ph.CO
DRAWDOWNS_OF_DIFFUSIONS = "arXiv:2411.18374"  # math.PR only


async def _say(app: Any, text: str, where: Destination = LAB_A) -> str:
    view = await handle_text(text, MANAGER, where, app=app)
    assert not isinstance(view, Problem), view
    return view.text if isinstance(view, Notice) else ""


async def _planned(app: Any, where: Destination = LAB_A) -> list[str]:
    """Every paper the channel's next digest holds (past the cap too), best first; nothing is claimed."""
    async with app.db.session() as session:
        row = await repos.ensure_destination(session, where)
        await session.commit()
        channel = await digest_inputs.digest_channel(session, row.id)
        assert channel is not None
        plan = await plan_digest(session, channel, window_for(channel, app.now()))
    return [item.paper_id for item in plan.items]


def _one_feed_request(router: Any) -> str:
    (request,) = router.calls("arxiv_rss")
    return str(request.url.path)


async def test_a_physics_topic_finds_physics_papers(app_factory, recordings: Path, sink: RecordingSink) -> None:  # type: ignore[no-untyped-def]
    router = feed_router(recordings)
    app = app_factory(router, now=THURSDAY)
    app.sinks["console"] = sink
    confirmation = await _say(app, "subscribe topic dark matter")
    assert "Searches all of arXiv." in confirmation
    report = await ingest(app, researchers=False)
    # One request for every archive: the recorded all-archives feed, all of it stored.
    assert _one_feed_request(router) == all_archives_path(recordings)
    assert report.stored == 1504 and report.complete
    view, text = await ask_text(app, "digest now")
    assert isinstance(view, Notice) and "Sent the digest" in text, text
    (digest,) = sink.views
    ids = [item.paper_id for item in digest.items]
    assert AXION_SEARCH in ids and BARYONIC_DARK_MATTER in ids
    axions = next(item for item in digest.items if item.paper_id == AXION_SEARCH)
    assert axions.why[0].kind == "topic" and '"dark", "matter" in title' in axions.why[0].text
    assert "https://arxiv.org/abs/2411.17947" in sink.text.getvalue()


async def test_a_channel_digest_does_not_depend_on_other_channels(app_factory, recordings: Path) -> None:  # type: ignore[no-untyped-def]
    router = feed_router(recordings)
    app = app_factory(router, now=THURSDAY, OPENALEX_API_KEY="test-key-not-secret")
    router.add("openalex", "/works", {"meta": {"count": 1, "next_cursor": None}, "results": [
        {**_work("A5000000001"), "title": "Diffusion on Sparse Random Graphs",
         "display_name": "Diffusion on Sparse Random Graphs"}]})
    await _say(app, "subscribe topic diffusion")
    await ingest(app)
    alone = await _planned(app)
    # The math.PR paper on diffusions is A's although no channel follows math: every archive is read.
    assert DRAWDOWNS_OF_DIFFUSIONS in alone

    # Channel B follows math.PR, and a researcher whose journal paper is about diffusion; the next ingest
    # reads the same feed again, with B's researcher's works.
    await _say(app, "subscribe category math.PR", LAB_B)
    await _say(app, 'import {"format": "paper-radar/1", "subscriptions": [{"kind": "researcher", '
                    '"name": "Zoë Ångström-Nakamura", "openalex_id": "A5000000001"}]}', LAB_B)
    await ingest(app)
    assert [r.url.path for r in router.calls("arxiv_rss")] == [all_archives_path(recordings)] * 2
    assert await _planned(app) == alone  # the same papers, in the same order
    # B gets its own: the probability papers and its researcher's journal paper, which only B follows.
    theirs = await _planned(app, LAB_B)
    assert DRAWDOWNS_OF_DIFFUSIONS in theirs and "doi:10.1000/jmlr.2024.77" in theirs
    assert "doi:10.1000/jmlr.2024.77" not in alone


async def test_a_restricted_server_reads_and_names_its_scope(app_factory, recordings: Path) -> None:  # type: ignore[no-untyped-def]
    router = feed_router(recordings)
    app = app_factory(router, now=THURSDAY, RADAR_INGEST_CATEGORIES="cs.*,stat.ML")
    confirmation = await _say(app, "subscribe topic dark matter")
    assert "Searches cs.*, stat.ML (this server's arXiv scope; RADAR_INGEST_CATEGORIES)." in confirmation
    view, text = await ask_text(app, "subscribe category math.PR")
    assert isinstance(view, Problem) and view.title == "Not searched on this server", text
    assert "reads only cs.*, stat.ML" in text and "math.PR" in text
    report = await ingest(app, researchers=False)
    assert _one_feed_request(router) == "/rss/cs+stat.ML"
    assert 0 < report.stored < 1504
    # Only what the server reads is searched, for every channel alike: the physics papers never arrive.
    planned = await _planned(app)
    assert AXION_SEARCH not in planned and BARYONIC_DARK_MATTER not in planned



async def test_a_paper_looked_up_elsewhere_stays_out_of_a_channel_digest(app_factory, recordings: Path) -> None:  # type: ignore[no-untyped-def]
    router = feed_router(recordings)
    router.add("arxiv_api", "/api/query", httpx.Response(200, headers={"content-type": "application/atom+xml"},
               content=(recordings / "arxiv_api" / "id_1605.08386_s0_m100_199195aa31ad.xml").read_bytes()))
    router.add("semantic_scholar", "/graph/v1/paper/", httpx.Response(404, json={"error": "Paper not found"}))
    router.add("huggingface", "/api/papers/", httpx.Response(404, json={"error": "not found"}))
    app = app_factory(router, now=THURSDAY)
    await _say(app, 'subscribe topic "random walks"')
    await ingest(app, researchers=False)
    before = await _planned(app)
    # Someone in channel B looks up a 2016 paper on random walks: stored for the card, announced long ago.
    view = await handle_text("paper 1605.08386", MANAGER, LAB_B, app=app)
    assert isinstance(view, PaperCard) and view.title == "Heat-bath random walks with Markov bases"
    assert await _planned(app) == before and "arXiv:1605.08386" not in before
