"""Papers by example on the real 2024-11-28 feed: `subscribe similar` brings papers close to an example with no
keyword in common, and `similar` answers with stored papers and Semantic Scholar's recommendations."""

from __future__ import annotations

from pathlib import Path

import httpx
import yaml

from core.digest.ingest import ingest
from core.views import DigestView, Notice, Problem, SimilarView, SubscriptionList
from tests.digest.conftest import THURSDAY, feed_router
from tests.fakes import ask, ask_text

DEX = "2411.18562"  # DexDiffuser: diffusion planning for dexterous manipulation (cs.RO)


async def _ingest_the_day(app) -> None:  # type: ignore[no-untyped-def]
    """The day's feed stored (ingest skips a deployment that follows nothing, so follow something first)."""
    await ask(app, "subscribe category cs.RO")
    await ingest(app, researchers=False)
    await ask(app, "unsubscribe 1")


def _recorded_recommendations(recordings: Path) -> bytes:
    tape = yaml.safe_load((recordings / "semanticscholar" / "cassette_test_get_recommended_papers.yaml").read_text())
    body = tape["interactions"][0]["response"]["body"]["string"]
    return body.encode() if isinstance(body, str) else bytes(body)


async def test_subscribe_similar_brings_close_papers_with_their_why_line(channel_app) -> None:  # type: ignore[no-untyped-def]
    app = channel_app
    await _ingest_the_day(app)
    view, text = await ask_text(app, f"subscribe similar {DEX}")
    assert isinstance(view, Notice) and "similar to “DexDiffuser" in text and "#2" in text, text
    preview = await ask(app, "digest preview")
    assert isinstance(preview, DigestView) and preview.items
    ids = [i.paper_id for i in preview.items]
    assert f"arXiv:{DEX}" not in ids  # the example itself is not news to the channel
    why = {i.paper_id: i.why[0].text for i in preview.items}
    assert all(w.startswith('similar to "DexDiffuser') for w in why.values())
    # G3Flow (object manipulation) shares no query word with anything the channel typed: it has none.
    assert "arXiv:2411.18369" in ids or any("Manipulation" in i.title for i in preview.items), ids
    assert len(ids) <= 20
    listing = await ask(app, "list")
    assert isinstance(listing, SubscriptionList) and listing.items[0].kind == "similar"
    assert listing.items[0].label.startswith("similar to “DexDiffuser")


async def test_subscribe_similar_is_refused_kindly(channel_app) -> None:  # type: ignore[no-untyped-def]
    app = channel_app
    view, text = await ask_text(app, "subscribe similar")
    assert isinstance(view, Problem) and "one or more papers" in text
    view, text = await ask_text(app, "subscribe similar " + " ".join(f"2411.1{n:04d}" for n in range(11)))
    assert isinstance(view, Problem) and "at most 10" in text


async def test_similar_answers_with_stored_papers_and_recommendations(app_factory, recordings: Path) -> None:  # type: ignore[no-untyped-def]
    router = feed_router(recordings).add(
        "semantic_scholar", f"/recommendations/v1/papers/forpaper/ARXIV:{DEX}",
        httpx.Response(200, content=_recorded_recommendations(recordings),
                       headers={"content-type": "application/json"}))
    app = app_factory(router, now=THURSDAY)
    await _ingest_the_day(app)
    view = await ask(app, f"similar https://arxiv.org/abs/{DEX}v1")
    assert isinstance(view, SimilarView), view
    assert view.paper.title.startswith("DexDiffuser") and len(view.items) == 8
    assert all(i.source == "stored" and i.paper_id != f"arXiv:{DEX}" for i in view.items)
    assert view.items[0].similarity is not None and view.items[0].similarity >= view.items[-1].similarity  # type: ignore[operator]
    assert view.recommended and all(i.source == "recommended" for i in view.recommended) and view.note is None


async def test_similar_without_recommendations_still_answers(app_factory, recordings: Path) -> None:  # type: ignore[no-untyped-def]
    router = feed_router(recordings).add("semantic_scholar", "/recommendations/v1/",
                                         httpx.Response(503, json={"message": "down"}))
    app = app_factory(router, now=THURSDAY)
    await _ingest_the_day(app)
    view = await ask(app, f"similar {DEX}")
    assert isinstance(view, SimilarView) and view.items and not view.recommended
    assert view.note is not None and "Semantic Scholar" in view.note


async def test_a_similar_subscription_survives_export_and_import(channel_app) -> None:  # type: ignore[no-untyped-def]
    from core.commands import DigestPreview, Export, Import
    from core.model.context import Actor, Destination
    from core.service import handle
    from core.views import ExportView, ImportReport

    app = channel_app
    await _ingest_the_day(app)
    await ask(app, f"subscribe similar {DEX}")
    manager = Actor("console", "alice", can_manage=True)
    exported = await handle(Export(), manager, Destination("console", "local", "console"), app=app)
    assert isinstance(exported, ExportView) and '"kind": "similar"' in exported.payload
    elsewhere = Destination("console", "local", "elsewhere")
    report = await handle(Import(exported.payload), manager, elsewhere, app=app)
    assert isinstance(report, ImportReport) and any(a.startswith("similar: similar to “DexDiffuser") for a in report.added)
    preview = await handle(DigestPreview(), manager, elsewhere, app=app)
    assert isinstance(preview, DigestView) and preview.items
    assert all(i.why[0].text.startswith('similar to "DexDiffuser') for i in preview.items)
