"""A channel's ratings on the real 2024-11-28 feed: what they change in the next digest, what `feedback` shows,
and that without ratings (or with learning off, or after a reset) the digest is what it was."""

from __future__ import annotations

import json

from bots.console.adapter import CONSOLE_DESTINATION
from core.commands import DigestPreview, RatePaper, ShowFeedback
from core.digest.ingest import ingest
from core.model.context import Actor
from core.service import handle
from core.views import DigestView, FeedbackView, Notice, Problem
from tests.fakes import ask, ask_text

# Reinforcement-learning papers announced in cs.LG that day: the group likes four, and the digest should find
# the others among cs.LG's 218 papers.
LIKED = ("2411.17861", "2411.18050", "2411.18060", "2411.18195")
HIDDEN = ("arXiv:2411.18261", "arXiv:2411.18305", "arXiv:2411.18612")
ALICE, BOB = Actor("console", "alice"), Actor("console", "bob")


async def _ask(app, *commands: str) -> None:  # type: ignore[no-untyped-def]
    for command in commands:
        view, text = await ask_text(app, command)
        assert not isinstance(view, Problem), text


async def _preview(app) -> DigestView:  # type: ignore[no-untyped-def]
    view, text = await ask_text(app, "digest preview")
    assert isinstance(view, DigestView), text
    return view


async def _rate(app, who: Actor, paper: str, value: int, *, toggle: bool = False) -> Notice:  # type: ignore[no-untyped-def]
    answer = await handle(RatePaper(paper, value, toggle=toggle), who, CONSOLE_DESTINATION, app=app)
    assert isinstance(answer, Notice), answer
    return answer


async def test_likes_bring_the_groups_theme_into_the_top_ten(channel_app) -> None:  # type: ignore[no-untyped-def]
    app = channel_app
    await _ask(app, "subscribe category cs.LG", "settings max 10")
    await ingest(app, researchers=False)
    before = await _preview(app)
    assert not {i.paper_id for i in before.items} & set(HIDDEN)
    for number, paper in enumerate(LIKED):
        await _rate(app, ALICE if number % 2 else BOB, paper, 1)
    after = await _preview(app)
    shown = {i.paper_id: i for i in after.items}
    found = [p for p in HIDDEN if p in shown]
    assert len(found) >= 2, [i.title for i in after.items]
    # The why-line says the profile moved it up, and how many liked papers it is close to.
    why = [r.text for r in shown[found[0]].why]
    assert why[0].startswith("new in cs.LG") and any(t.startswith("close to ") and "liked here" in t for t in why)
    # The papers the profile moved up pushed others past the cap; nothing was lost.
    assert after.total_matched == before.total_matched


async def test_the_digest_is_unchanged_without_ratings_learning_off_or_after_a_reset(channel_app) -> None:  # type: ignore[no-untyped-def]
    app = channel_app
    await _ask(app, "subscribe category cs.LG", 'subscribe topic "language model"', "settings max 10")
    await ingest(app, researchers=False)
    plain = [i.paper_id for i in (await _preview(app)).items]
    for paper in LIKED:
        await _rate(app, ALICE, paper, 1)
    learned = [i.paper_id for i in (await _preview(app)).items]
    assert learned != plain
    await _ask(app, "settings learning off")
    assert [i.paper_id for i in (await _preview(app)).items] == plain
    await _ask(app, "settings learning on")
    view = await ask(app, "feedback reset")
    assert isinstance(view, FeedbackView) and view.reset and view.ratings == 4, view
    assert [i.paper_id for i in (await _preview(app)).items] == plain


async def test_a_dislike_sinks_a_paper_below_the_cap(channel_app) -> None:  # type: ignore[no-untyped-def]
    app = channel_app
    await _ask(app, "subscribe category cs.LG", "settings max 10")
    await ingest(app, researchers=False)
    first = (await _preview(app)).items[0]
    for paper in ("2411.17861", "2411.18050"):
        await _rate(app, ALICE, paper, 1)
    await _rate(app, ALICE, first.paper_id.removeprefix("arXiv:"), -1)
    assert first.paper_id not in {i.paper_id for i in (await _preview(app)).items}


async def test_one_rating_per_person_the_last_counts_and_a_second_click_undoes(channel_app) -> None:  # type: ignore[no-untyped-def]
    app = channel_app
    await _ask(app, "subscribe category cs.LG")
    await ingest(app, researchers=False)
    answer = await _rate(app, ALICE, "arXiv:2411.17861", 1, toggle=True)
    assert "You like" in answer.text and "1 👍 · 0 👎" in answer.text and answer.visibility == "ephemeral"
    answer = await _rate(app, BOB, "https://arxiv.org/abs/2411.17861v1", -1)
    assert "1 👍 · 1 👎" in answer.text
    answer = await _rate(app, BOB, "2411.17861", 1)  # Bob changes his mind: his last rating counts
    assert "2 👍 · 0 👎" in answer.text
    answer = await _rate(app, ALICE, "arXiv:2411.17861", 1, toggle=True)  # the same button again: taken back
    assert "Took back" in answer.text and "1 👍 · 0 👎" in answer.text
    view = await ask(app, "feedback")
    assert isinstance(view, FeedbackView) and view.ratings == 1 and view.raters == 1 and view.liked == 1, view


async def test_feedback_names_the_terms_and_papers_that_weigh_most(channel_app) -> None:  # type: ignore[no-untyped-def]
    app = channel_app
    await _ask(app, "subscribe category cs.LG")
    await ingest(app, researchers=False)
    for who, paper in zip((ALICE, BOB, ALICE, BOB), LIKED, strict=True):
        await _rate(app, who, paper, 1)
    await _rate(app, BOB, "2411.17773", -1)  # a multimodal LLM paper
    view = await ask(app, "feedback")
    assert isinstance(view, FeedbackView), view
    assert (view.ratings, view.raters, view.liked, view.disliked) == (5, 2, 4, 1)
    assert any("reinforcement" in t or "learning" in t for t in view.terms_for[:4]), view.terms_for
    assert any("language" in t or "multimodal" in t or "token" in t for t in view.terms_against), view.terms_against
    assert view.liked_examples and view.disliked_examples and 0 < view.weight < 1
    assert "Reinforcement" in json.dumps([p.title for p in view.liked_examples])


async def test_rating_an_unknown_paper_is_a_friendly_answer(channel_app) -> None:  # type: ignore[no-untyped-def]
    app = channel_app
    view, text = await ask_text(app, "like xyz")
    assert isinstance(view, Problem) and "arXiv id" in text
    view, text = await ask_text(app, "like")
    assert isinstance(view, Problem) and "like" in text


async def test_export_and_import_carry_the_ratings(channel_app) -> None:  # type: ignore[no-untyped-def]
    from core.commands import Export, Import
    from core.model.context import Destination
    from core.views import ExportView, ImportReport

    app = channel_app
    await _ask(app, "subscribe category cs.LG", "settings max 10")
    await ingest(app, researchers=False)
    for who, paper in zip((ALICE, BOB, ALICE, BOB), LIKED, strict=True):
        await _rate(app, who, paper, 1)
    learned = [i.paper_id for i in (await _preview(app)).items]
    exported = await handle(Export(), ALICE, CONSOLE_DESTINATION, app=app)
    assert isinstance(exported, ExportView)
    payload = json.loads(exported.payload)
    assert sorted(r["paper"] for r in payload["ratings"]) == sorted(f"arXiv:{p}" for p in LIKED)
    payload["ratings"].append({"paper": "arXiv:9999.99999", "user": "carol", "value": 1})  # not stored here
    payload["ratings"].append({"paper": "arXiv:2411.18261", "user": "mallory", "value": 7})  # not a rating
    elsewhere = Destination("console", "local", "another-channel")
    manager = Actor("console", "alice", can_manage=True)
    report = await handle(Import(json.dumps(payload)), manager, elsewhere, app=app)
    assert isinstance(report, ImportReport)
    assert "ratings: 4 (the digest learns from them from the next one)" in report.added
    assert any("1 papers this server has not stored" in s for s in report.skipped)
    assert any("not a paper, a user and +1 or -1" in s for s in report.skipped)
    feedback = await handle(ShowFeedback(), manager, elsewhere, app=app)
    assert isinstance(feedback, FeedbackView) and (feedback.ratings, feedback.raters) == (4, 2)
    preview = await handle(DigestPreview(), manager, elsewhere, app=app)
    assert isinstance(preview, DigestView) and [i.paper_id for i in preview.items] == learned
