"""A group with several interests on the real 2024-11-28 feed: every subscription shows within the cap, the
header counts each one, nothing past the cap is lost, and `list` shows what each matched this week."""

from __future__ import annotations

from sqlmodel import col, func, select

from core.storage.models import DeliveryRow
from core.views import DigestView, Notice, Problem, SubscriptionList
from tests.digest.conftest import RecordingSink
from tests.fakes import ask_text

GROUP = ('subscribe topic diffusion', 'subscribe topic "large language model" -survey', "subscribe category cs.CV")


async def _ask(app, *commands: str) -> None:  # type: ignore[no-untyped-def]
    for command in commands:
        view, text = await ask_text(app, command)
        assert not isinstance(view, Problem), text


def _numbers(item) -> set[int]:  # type: ignore[no-untyped-def]
    """The subscriptions a digest line names in its why-line (`topic #2: …`; categories by their code)."""
    found = set()
    for reason in item.why:
        if reason.kind == "topic":
            found.add(int(reason.text.split("#", 1)[1].split(":", 1)[0]))
        elif reason.kind == "category" and "cs.CV" in reason.text:
            found.add(3)
    return found


async def _sent(app) -> int:  # type: ignore[no-untyped-def]
    async with app.db.session() as session:
        return (await session.exec(select(func.count()).select_from(DeliveryRow)
                                   .where(col(DeliveryRow.sent_at).is_not(None)))).one()


async def test_three_interests_each_in_the_top_ten(channel_app) -> None:  # type: ignore[no-untyped-def]
    from core.digest.ingest import ingest

    app = channel_app
    await _ask(app, *GROUP, "settings max 10")
    await ingest(app, researchers=False)
    preview, text = await ask_text(app, "digest preview")
    assert isinstance(preview, DigestView) and len(preview.items) == 10
    shown = [_numbers(item) for item in preview.items]
    # Every subscription that matched is in the top ten, and the category brings papers of its own, not only
    # the ones a topic already brought.
    for number in (1, 2, 3):
        assert any(number in numbers for numbers in shown), (number, text)
    assert sum(1 for numbers in shown if numbers == {3}) >= 2, text
    # No subscription takes more than its turn: at most four of ten for any one of three.
    for number in (1, 2, 3):
        assert sum(1 for numbers in shown if min(numbers) == number) <= 4, text
    # The header counts each subscription's matches (a paper matching two counts for both).
    counts = {m.label: m.matched for m in preview.matched_by}
    assert list(counts) == ["diffusion", '"large language model" -survey', "cs.CV"]
    assert counts["cs.CV"] > counts["diffusion"] > 10 and counts['"large language model" -survey'] > 10
    assert preview.total_matched <= sum(counts.values())
    assert f"diffusion {counts['diffusion']} · " in text and f"cs.CV {counts['cs.CV']}" in text


async def test_past_the_cap_nothing_is_lost(channel_app, sink: RecordingSink) -> None:  # type: ignore[no-untyped-def]
    from core.digest.ingest import ingest

    app = channel_app
    await _ask(app, *GROUP, "settings max 10")
    await ingest(app, researchers=False)
    view, text = await ask_text(app, "digest now")
    assert isinstance(view, Notice) and "10 new papers" in text, text
    digest = sink.views[0]
    assert len(digest.items) == 10 and digest.more_count == digest.total_matched - 10
    assert {m.label for m in digest.matched_by} == {"diffusion", '"large language model" -survey', "cs.CV"}
    assert await _sent(app) == 10  # only what a message carried counts as delivered
    seen = {i.paper_id for i in digest.items}
    more, more_text = await ask_text(app, "digest more")
    assert isinstance(more, DigestView) and len(more.items) == 10
    # The backlog keeps why each paper matched, and the numbering goes on from the digest.
    assert all(item.why for item in more.items), more_text
    assert more.first_number == 11 and " 11. " in more_text and " 20. " in more_text
    # Each page of the backlog still takes turns between the subscriptions.
    assert {n for item in more.items for n in _numbers(item)} == {1, 2, 3}
    assert not seen & {i.paper_id for i in more.items}
    again, again_text = await ask_text(app, "digest more")
    assert isinstance(again, DigestView) and again.first_number == 21 and " 21. " in again_text
    assert await _sent(app) == 30
    # What is still waiting is not marked as delivered, and a later digest does not bring it twice.
    assert again.more_count == digest.total_matched - 30


async def test_list_shows_what_each_subscription_matched_this_week(channel_app) -> None:  # type: ignore[no-untyped-def]
    from core.digest.ingest import ingest

    app = channel_app
    await _ask(app, *GROUP, "subscribe topic exoplanet atmosphere cat:cs.LG", "settings max 10")
    await ingest(app, researchers=False)
    _, before = await ask_text(app, "list")  # no digest yet: nothing to count, and no claim that nothing matched
    assert before.count("no digest yet") == 4
    assert "nothing matched this week" not in before
    await ask_text(app, "digest now")
    listing, text = await ask_text(app, "list")
    assert isinstance(listing, SubscriptionList)
    by_number = {item.number: item for item in listing.items}
    assert by_number[3].matched_this_week > 100 and 1 <= by_number[3].shown_this_week <= 10
    assert by_number[1].matched_this_week > by_number[1].shown_this_week >= 1
    assert by_number[4].matched_this_week == 0 and "nothing matched this week" in text
    assert f"{by_number[3].matched_this_week:,} matched this week, {by_number[3].shown_this_week} shown" in text


async def test_a_verbose_subscription_cannot_starve_a_narrow_one(channel_app) -> None:  # type: ignore[no-untyped-def]
    from core.digest.ingest import ingest

    app = channel_app
    # "model" matches hundreds of papers; the narrow topic a handful. Before, the narrow one only showed when
    # its papers happened to outrank the broad one's.
    await _ask(app, "subscribe category cs.LG", "subscribe topic model", "subscribe topic robot grasping",
               "settings max 6")
    await ingest(app, researchers=False)
    preview, text = await ask_text(app, "digest preview")
    assert isinstance(preview, DigestView)
    counts = {m.number: m.matched for m in preview.matched_by}
    assert counts[2] > 100 and 0 < counts[3] < 10
    assert any(n == 3 for item in preview.items for n in _numbers(item)), text
