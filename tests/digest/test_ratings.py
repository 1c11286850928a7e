"""Ratings on the real 2024-11-28 feed, typed as in the console (`radar console`, `radar ask`): what a channel
likes moves up in its next digest with the reason said, what it dislikes leaves the top, `unrate` puts the order
back, `feedback` tells what was learned, and the digest text shows the ids people type."""

from __future__ import annotations

from typing import Any

from core.digest.ingest import ingest
from core.views import DigestView, FeedbackView, Notice, Problem
from tests.digest.conftest import RecordingSink
from tests.fakes import ask_text

LIKED_HERE = "close to 1 paper liked here"
# Three multivariate time-series papers of the day's cs.LG list, none of them in its first five.
THEME = ("2411.18008", "2411.18043", "2411.18286")


async def channel_on_the_feed(app: Any, max_items: int = 5) -> DigestView:
    """A channel subscribed to cs.LG with a cap of `max_items`, the day ingested; its preview before any rating."""
    for command in ("subscribe category cs.LG", f"settings max {max_items}"):
        view, text = await ask_text(app, command)
        assert not isinstance(view, Problem), text
    await ingest(app, researchers=False)
    preview, _ = await ask_text(app, "digest preview")
    assert isinstance(preview, DigestView) and len(preview.items) == max_items
    return preview


def order(view: DigestView) -> list[str]:
    return [item.paper_id for item in view.items]


def why(view: DigestView, paper_id: str) -> list[str]:
    return [reason.text for item in view.items if item.paper_id == paper_id for reason in item.why]


async def preview(app: Any) -> tuple[DigestView, str]:
    view, text = await ask_text(app, "digest preview")
    assert isinstance(view, DigestView), text
    return view, text


async def test_a_like_moves_a_paper_up_a_dislike_sinks_one_and_unrate_undoes_both(channel_app: Any) -> None:
    app = channel_app
    before = await channel_on_the_feed(app)
    first, fourth = before.items[0], before.items[3]
    _, text = await ask_text(app, "digest preview")
    # The digest shows the id `like` takes next to each paper, and says how to rate.
    assert f"  4. {fourth.title}" in text and f"     {fourth.paper_id.removeprefix('arXiv:')}  {fourth.url}" in text
    assert "Rate a paper with `like <id>` or `dislike <id>`" in text

    liked, said = await ask_text(app, f"like {fourth.paper_id.removeprefix('arXiv:')}")
    assert isinstance(liked, Notice) and said.startswith("Rated\n👍 You like “") and "(1 👍 · 0 👎" in said
    after, text = await preview(app)
    # It leads now; being the liked paper itself, it is not "close to" a liked paper.
    assert order(after)[0] == fourth.paper_id and not any("liked here" in w for w in why(after, fourth.paper_id))

    # A link works as well as the id; the disliked paper leaves the top five.
    _, said = await ask_text(app, f"dislike {first.url}")
    assert "👎 You dislike" in said
    after, _ = await preview(app)
    assert first.paper_id not in order(after) and order(after)[0] == fourth.paper_id

    for paper in (fourth, first):
        taken, said = await ask_text(app, f"unrate {paper.paper_id}")
        assert isinstance(taken, Notice) and said.startswith("Rated\nTook back your rating"), said
    again, _ = await preview(app)
    assert order(again) == order(before) and not any(LIKED_HERE in w for i in again.items for w in why(again, i.paper_id))
    _, said = await ask_text(app, f"unrate {fourth.paper_id}")
    assert "You had not rated" in said


async def test_liking_a_theme_brings_it_into_the_next_digest(channel_app: Any, sink: RecordingSink) -> None:
    app = channel_app
    before = await channel_on_the_feed(app)
    assert not set(order(before)) & {f"arXiv:{p}" for p in THEME}
    for paper in THEME:
        _, said = await ask_text(app, f"like {paper}")
        assert "👍 You like" in said
    _, sent = await ask_text(app, "digest now")
    assert "Sent the digest: 5 new papers" in sent
    (digest,) = sink.views
    theme = [item for item in digest.items if item.paper_id.removeprefix("arXiv:") in THEME]
    assert theme, [item.title for item in digest.items]
    # Each liked paper that came is close to the other liked ones, never to itself.
    assert any(any(r.text.startswith("close to ") and r.text.endswith(" liked here") for r in item.why)
               for item in theme)
    assert not any("close to 3 papers liked here" in r.text for item in theme for r in item.why)

    shown, text = await ask_text(app, "feedback")
    assert isinstance(shown, FeedbackView) and shown.liked == 3
    assert text.startswith("3 ratings by 1 person: 3 papers liked, 0 disliked.")
    assert "The digest blends them into each subscription's own order at 23%" in text
    assert "Terms that weigh for a paper:" in text and "series" in text
    assert "Liked papers closest to what it learned:" in text and "https://arxiv.org/abs/2411.18" in text

    reset, text = await ask_text(app, "feedback reset")
    assert isinstance(reset, FeedbackView) and reset.reset
    assert text == "Forgot this channel's 3 ratings: the digest is back to its subscriptions' own order."
    _, text = await ask_text(app, "feedback")
    assert text.startswith("No ratings in this channel yet.")


async def test_learning_off_keeps_the_ratings_but_not_the_order(channel_app: Any) -> None:
    app = channel_app
    before = await channel_on_the_feed(app)
    await ask_text(app, f"like {before.items[3].paper_id}")
    _, changed = await ask_text(app, "settings learning off")
    assert "learning    off" in changed
    after, _ = await preview(app)
    assert order(after) == order(before)
    _, text = await ask_text(app, "feedback")
    assert "1 rating by 1 person" in text and "Learning is off here" in text
    await ask_text(app, "settings learning on")
    after, _ = await preview(app)
    assert order(after)[0] == before.items[3].paper_id
