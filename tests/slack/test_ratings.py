"""👍/👎 in Slack, through the real bolt app on the real 2024-11-28 feed: anyone in the channel may click, the
click is answered to the clicker alone (never posted in the channel), the next digest is ordered by it, a second
click takes it back, and `feedback` / `feedback reset` read and clear what was learned.

Clicks on messages posted in the channel are sent as Slack sends them: the recorded `block_actions` body
(shared fixtures, opsdroid's) with our team, channel, message and button put in, signed like Slack's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import pytest

from bots.slack.actions import ACTION_RATE_DISLIKE, ACTION_RATE_LIKE
from core.digest.ingest import ingest
from tests.digest.conftest import THURSDAY, learning_router
from tests.slack.blockcheck import check_message
from tests.slack.conftest import ADMIN, CHANNEL, MEMBER, Harness, HarnessFactory, buttons, text_of
from tests.slack.fake_slack import TEAM

RECORDED_CLICK = "slack/opsdroid_payload_block_action_button.urlencoded"


@pytest.fixture
async def on_the_feed(make_harness: HarnessFactory, recordings: Path) -> Harness:
    harness = await make_harness(learning_router(recordings), now=THURSDAY)
    for command in ("subscribe category cs.LG", "settings max 5"):
        (answer,) = await harness.ask(command)
        assert ":warning:" not in text_of(answer), text_of(answer)
    await ingest(harness.app, researchers=False)
    return harness


def ratings(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in buttons(message["blocks"]) if b["action_id"] in (ACTION_RATE_LIKE, ACTION_RATE_DISLIKE)]


def rating(message: dict[str, Any], action_id: str, number: int) -> dict[str, Any]:
    """The 👍 or 👎 under the `number`-th paper of a message (counting from 1)."""
    return [b for b in ratings(message) if b["action_id"] == action_id][number - 1]


def paper_order(message: dict[str, Any]) -> list[str]:
    return [b["value"] for b in ratings(message) if b["action_id"] == ACTION_RATE_LIKE]


class Clicks:
    """Clicks on messages in the channel, as the recorded Slack payload makes them."""

    def __init__(self, harness: Harness, recordings: Path) -> None:
        self.harness = harness
        self.recorded = json.loads(parse_qs((recordings / RECORDED_CLICK).read_text())["payload"][0])
        self.count = 0

    async def click(self, message: dict[str, Any], button: dict[str, Any], *, user: str) -> dict[str, Any]:
        """Click `button` of `message` (a posted message); returns the one answer, for the clicker."""
        self.count += 1
        key = f"rate{self.count}"
        payload = json.loads(json.dumps(self.recorded))
        payload["team"]["id"] = TEAM
        payload["user"] |= {"id": user, "team_id": TEAM}
        payload["channel"]["id"] = CHANNEL
        payload["container"] |= {"channel_id": CHANNEL, "message_ts": message["_ts"], "is_ephemeral": False}
        payload["message"] |= {"ts": message["_ts"], "text": message["text"], "blocks": message["blocks"],
                               "team": TEAM}
        payload["response_url"] = self.harness.fake.response_url(key)
        payload["actions"] = [{**payload["actions"][0], "action_id": button["action_id"], "value": button["value"],
                               "text": button["text"]}]
        ack = await self.harness.post("/slack/events", "payload=" + quote(json.dumps(payload)),
                                      "application/x-www-form-urlencoded")
        assert ack.status_code == 200 and not ack.content, ack.text  # acked at once, empty: nothing in the channel
        (answer,) = await self.harness.fake.wait_for_answers(1, key)
        check_message(answer, may_mention=(ADMIN, MEMBER))
        assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
        return answer


async def test_a_member_s_click_orders_the_next_digest_and_a_second_click_undoes_it(on_the_feed: Harness,
                                                                                    recordings: Path) -> None:
    harness = on_the_feed
    (before,) = await harness.ask("digest preview", user=MEMBER)
    check_message(before)
    order = paper_order(before)
    assert len(order) == 5 and len(ratings(before)) == 10
    fourth = order[3]

    # A member (no manage rights) clicks 👍 under the fourth paper of the preview: told privately.
    (answer,) = await harness.click(ACTION_RATE_LIKE, rating(before, ACTION_RATE_LIKE, 4)["value"], user=MEMBER)
    assert answer["response_type"] == "ephemeral"
    assert "👍 You like “" in text_of(answer) and "(1 👍 · 0 👎 in this channel)" in text_of(answer)
    assert "Click again to take it back." in text_of(answer)
    assert harness.fake.posts() == []  # nothing said in the channel
    (odd,) = await harness.click(ACTION_RATE_DISLIKE, "", user=MEMBER)  # a button without a paper: told so
    assert odd["response_type"] == "ephemeral" and "`like` needs a paper" in text_of(odd)

    # The next digest, posted in the channel, opens with it and says why.
    (sent,) = await harness.ask("digest now")
    assert "Sent the digest: 5 new papers" in text_of(sent)
    (posted,) = harness.fake.posts(CHANNEL)
    check_message(posted)
    # The liked paper leads the next digest (the profile may bring papers like it in with it).
    assert paper_order(posted)[0] == fourth and len(paper_order(posted)) == 5
    first_why = next(b for b in posted["blocks"] if b["type"] == "context" and ":dart:" in json.dumps(b))
    assert "liked here" not in json.dumps(first_why, ensure_ascii=False)  # not "close to" itself

    # The same member clicks 👍 again on the posted digest: the rating is taken back, still privately.
    clicks = Clicks(harness, recordings)
    undone = await clicks.click(posted, rating(posted, ACTION_RATE_LIKE, 1), user=MEMBER)
    assert "Took back your rating of “" in text_of(undone) and "(0 👍 · 0 👎 in this channel)" in text_of(undone)
    assert len(harness.fake.posts()) == 1
    (learned,) = await harness.ask("feedback", user=MEMBER)
    assert "No ratings in this channel yet" in text_of(learned)


async def test_one_rating_per_person_the_last_counts_and_feedback_needs_no_rights_to_read(
        on_the_feed: Harness, recordings: Path) -> None:
    harness = on_the_feed
    await harness.ask("digest now")
    (posted,) = harness.fake.posts(CHANNEL)
    clicks = Clicks(harness, recordings)
    liked = await clicks.click(posted, rating(posted, ACTION_RATE_LIKE, 2), user=MEMBER)
    assert "(1 👍 · 0 👎 in this channel)" in text_of(liked)
    # Changing one's mind replaces the rating (it is not a second vote, and not an undo).
    changed = await clicks.click(posted, rating(posted, ACTION_RATE_DISLIKE, 2), user=MEMBER)
    assert "👎 You dislike" in text_of(changed) and "(0 👍 · 1 👎 in this channel)" in text_of(changed)
    other = await clicks.click(posted, rating(posted, ACTION_RATE_LIKE, 2), user=ADMIN)
    assert "(1 👍 · 1 👎 in this channel)" in text_of(other)
    await clicks.click(posted, rating(posted, ACTION_RATE_LIKE, 3), user=ADMIN)
    assert len(harness.fake.posts()) == 1 and not harness.fake.called("chat.postEphemeral")

    (shown,) = await harness.ask("feedback", user=MEMBER)
    assert shown["response_type"] == "ephemeral"
    assert "3 ratings by 2 people: 1 paper liked, 0 disliked." in text_of(shown), text_of(shown)

    (refused,) = await harness.ask("feedback reset", user=MEMBER)
    assert refused["response_type"] == "ephemeral" and "You can't change this channel" in text_of(refused)
    (reset,) = await harness.ask("feedback reset", user=ADMIN)
    check_message(reset, may_mention=(ADMIN,))
    assert reset["response_type"] == "in_channel" and "Forgot this channel's 3 ratings" in text_of(reset)
    assert f"<@{ADMIN}> via `/radar`" in text_of(reset)
    (empty,) = await harness.ask("feedback", user=MEMBER)
    assert "No ratings in this channel yet" in text_of(empty)


async def test_typed_like_and_similar_in_slack(on_the_feed: Harness) -> None:
    harness = on_the_feed
    (liked,) = await harness.ask("like https://arxiv.org/abs/2411.18286", user=MEMBER)
    assert "👍 You like “DualCast" in text_of(liked) and "`unrate 2411.18286` takes it back" in text_of(liked)
    (similar,) = await harness.ask("similar 2411.18286", user=MEMBER)
    check_message(similar)
    text = text_of(similar)
    assert "*Papers like* <https://arxiv.org/abs/2411.18286|DualCast" in text
    assert "Closest papers that arrived this week" in text and "similarity 0." in text
    # Semantic Scholar's own answer (recorded), after the stored papers and marked as theirs.
    assert text.index("similarity 0.") < text.index("Recommended by Semantic Scholar") < text.index(
        "Report shows slight improvement on grantmaker diversity")
