"""Every View rendered as Block Kit: valid by slack_sdk's models, within the size budget, pinging nobody."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from bots.slack.actions import (
    ACTION_DIGEST_MORE,
    ACTION_FOLLOW,
    ACTION_RATE_DISLIKE,
    ACTION_RATE_LIKE,
    ACTION_RESEARCHER,
    ACTION_UNSUBSCRIBE,
)
from bots.slack.blocks import MAX_BLOCKS, MESSAGE_BUDGET, split_text
from bots.slack.mrkdwn import escape, link, unescape_incoming
from bots.slack.render import render
from bots.slack.render_digest import REPLY_ITEMS, TOP_ITEMS, render_digest
from bots.slack.sink import SlackSink
from core import views as v
from core.help import help_view
from tests.slack.blockcheck import check_message
from tests.slack.conftest import buttons

HOSTILE = "<!channel> @here @Everyone <@U0BADBAD1> <https://evil.example|click> & more"
LONG = "word " * 2000


def _payloads(view: v.View, actor: str | None = None) -> list[dict[str, object]]:
    return [{"text": m.payload()["text"], "blocks": m.blocks} for m in render(view, actor_id=actor)]


def digest(count: int, *, title: str = "Paper", snippet: str = "An abstract.", more: int = 0) -> v.DigestView:
    items = tuple(
        v.DigestItem(paper_id=f"arXiv:2411.{i:05d}", title=f"{title} {i}", url=f"https://arxiv.org/abs/2411.{i:05d}",
                     authors="Ada Lovelace, Alan Turing et al.", snippet=snippet, categories=("cs.LG", "stat.ML"),
                     why=(v.DigestReason("topic", 'matched "diffusion" in title'),
                          v.DigestReason("researcher", "follows Ada Lovelace", by_name=True)),
                     pdf_url=f"https://arxiv.org/pdf/2411.{i:05d}", is_update=i % 7 == 0, version=2)
        for i in range(1, count + 1))
    return v.DigestView(day=date(2024, 11, 28), title="Paper Radar digest", items=items, more_count=more,
                        total_matched=count + more, subscriptions=3, visibility=v.Visibility.CHANNEL)


SAMPLES: list[v.View] = [
    v.Notice("Subscribed this channel to topic #1: " + HOSTILE, title="Subscribed", actor_id="UADMIN001",
             visibility=v.Visibility.CHANNEL),
    v.Problem("Not found", "Nobody matches " + HOSTILE, "Try `researcher <name>`", code="not_found"),
    *[h for h in (help_view(), help_view("subscribe")) if h is not None],
    v.ResearcherCard(name=HOSTILE * 3, openalex_id="A5100000002", orcid="0000-0001-9876-5439",
                     institutions=("University of Toronto", HOSTILE), works_count=48, cited_by_count=1234, h_index=19,
                     i10_index=25, topics=("Graph Neural Networks", HOSTILE), collaborators=(("Kenji", 3), (HOSTILE, 1)),
                     recent_papers=tuple(v.PaperLine(HOSTILE + LONG[:300], "https://arxiv.org/abs/2406.01234", 2024,
                                                     venue="JMLR") for _ in range(30)),
                     works_per_year=(v.YearCount(2015, 1), v.YearCount(2024, 9)), sparkline="▁▂▃▅█",
                     source="OpenAlex", profile_url="https://openalex.org/A5100000002"),
    v.ResearcherCard(name=HOSTILE, openalex_id="A5100000002", identity="ORCID", identity_note=HOSTILE + LONG[:500],
                     followers=12, followed=True, claimed_by=("UADMIN001", "not a user id"),
                     images=(v.CardImage("researcher-A5100000002-collaborators.png", "X: frequent co-authors", "alt " * 600, b"\x89PNG..."),
                             v.CardImage("researcher-A5100000002-per-year.png", "X: works and citations per year",
                                         "alt", b"\x89PNG...")),
                     collaborators=((HOSTILE, 2),), works_per_year=(v.YearCount(2024, 3, 9),), sparkline="█"),
    v.PickList(query=HOSTILE, action="iam", candidates=tuple(
        v.Candidate(n, HOSTILE, HOSTILE, 10, "Topic", f"A51000000{n:02d}", identity="name only") for n in range(1, 26))),
    v.PickList(query=HOSTILE, action="follow", candidates=tuple(
        v.Candidate(n, f"Maria Garcia {HOSTILE}", HOSTILE, 10, "Topic", f"A51000000{n:02d}") for n in range(1, 26))),
    v.PaperCard(title=HOSTILE + LONG[:600], canonical_id="arXiv:2401.01234", authors=tuple([HOSTILE] * 200),
                more_authors=5, date=date(2024, 1, 3), categories=("cs.LG",), abstract=LONG,
                abs_url="https://arxiv.org/abs/2401.01234", pdf_url="https://arxiv.org/pdf/2401.01234",
                doi="10.1/x", code_url="javascript:alert(1)", sources=("arXiv",), first_author_key="A5100000002"),
    v.TrendingView(day=date(2024, 3, 14), items=tuple(
        v.TrendingItem(i, HOSTILE + LONG[:400], f"https://arxiv.org/abs/2403.{i:05d}", i, authors=HOSTILE,
                       code_url="https://github.com/x/y") for i in range(1, 60))),
    v.SubscriptionList(items=tuple(v.SubscriptionItem(i, "topic", HOSTILE + LONG[:500], LONG[:500], 3)
                                   for i in range(1, 51))),
    v.SubscriptionList(items=()),
    v.SettingsView(timezone="Europe/Paris", digest_time="08:00", weekdays="mon-fri", max_items=10, paused=True,
                   paused_reason=HOSTILE, include_updates=False, include_crosslists=True, quiet_notice=False,
                   changed="time", visibility=v.Visibility.CHANNEL),
    v.SettingsView(timezone="UTC", digest_time="08:00", weekdays="mon-fri", max_items=10, paused=False,
                   paused_reason=None, include_updates=True, include_crosslists=True, quiet_notice=True,
                   next_digest=datetime(2024, 11, 29, 8, tzinfo=UTC)),
    v.StatusView(last_run=datetime(2024, 11, 28, 8, tzinfo=UTC), last_run_state="done", last_run_items=7,
                 next_run=None, papers_today=1504, subscriptions=3, paused=True, paused_reason=HOSTILE,
                 problems=tuple(HOSTILE + LONG[:800] for _ in range(20))),
    v.ExportView(payload=json.dumps({"subscriptions": [{"query": HOSTILE + str(i)} for i in range(400)]}, indent=2),
                 subscriptions=400),
    v.ImportReport(added=tuple(HOSTILE for _ in range(100)), skipped=(HOSTILE,), settings_changed=("time",)),
    digest(12, title=HOSTILE, more=30),
    v.DigestView(day=date(2024, 11, 28), title="Paper Radar digest", items=tuple(
        v.DigestItem(paper_id=f"arXiv:2411.{i:05d}", title=HOSTILE + LONG[:600], url=f"https://arxiv.org/abs/2411.{i:05d}",
                     authors=HOSTILE, why=(v.DigestReason("topic", HOSTILE),), summary=HOSTILE + LONG[:900],
                     code_url=f"https://github.com/x/y{i}", code_stars=123456, project_url="https://x.github.io/y",
                     venue="accepted at " + HOSTILE + LONG[:400], pdf_url=f"https://arxiv.org/pdf/2411.{i:05d}")
        for i in range(1, 40)), total_matched=39, subscriptions=1, visibility=v.Visibility.CHANNEL),
    v.PaperCard(title="Paper", canonical_id="arXiv:2401.01234", abstract=LONG, summary=HOSTILE + LONG[:2000],
                summary_source="Hugging Face", code_url="https://github.com/x/y", code_stars=9999,
                project_url="https://x.github.io/y", venue="accepted at " + HOSTILE, abs_url="https://arxiv.org/abs/2401.01234"),
    v.DigestView(day=date(2024, 11, 28), title="Paper Radar digest", items=(), note=HOSTILE, preview=True),
    v.FeedbackView(ratings=40, raters=7, liked=25, disliked=9, learning=True, terms_for=(HOSTILE,) * 8,
                   terms_against=(LONG[:400],) * 8, weight=0.8,
                   liked_examples=(v.PaperLine(HOSTILE + LONG[:600], "https://arxiv.org/abs/2411.18562", 2024),) * 3,
                   disliked_examples=(v.PaperLine(HOSTILE, "javascript:alert(1)"),) * 3),
    v.FeedbackView(ratings=3, raters=1, liked=0, disliked=0, learning=False),
    v.FeedbackView(ratings=12, raters=0, liked=0, disliked=0, learning=True, reset=True,
                   visibility=v.Visibility.CHANNEL),
    v.FeedbackView(ratings=0, raters=0, liked=0, disliked=0, learning=True),
    v.SimilarView(paper=v.PaperLine(HOSTILE + LONG[:600], "https://arxiv.org/abs/2411.18562"),
                  items=tuple(v.SimilarItem(HOSTILE + LONG[:600], f"https://arxiv.org/abs/2411.{i:05d}", HOSTILE * 5,
                                            similarity=0.5, paper_id=f"arXiv:2411.{i:05d}") for i in range(8)),
                  recommended=tuple(v.SimilarItem(HOSTILE + LONG[:600], None, HOSTILE, source="recommended",
                                                  paper_id="doi:10.1/" + HOSTILE) for _ in range(8)),
                  note=HOSTILE),
    v.SimilarView(paper=v.PaperLine("A paper"), note="No papers arrived this week to compare with yet."),
    v.InstitutionCard(name=HOSTILE * 3, openalex_id="I33213144", ror="02y3ad647", type=HOSTILE, place=HOSTILE,
                      acronyms=(HOSTILE,), homepage="javascript:alert(1)", parents=(HOSTILE,) * 3,
                      children=(HOSTILE + LONG[:200],) * 8, more_children=40, works_count=325080,
                      cited_by_count=10440674, h_index=809, topics=(HOSTILE,) * 5,
                      active_researchers=((HOSTILE, 9),) * 5, active_since=2024, note=HOSTILE, source="OpenAlex",
                      recent_papers=tuple(v.MemberPaper(HOSTILE + LONG[:300], "https://openalex.org/W1", 2025,
                                                        ((HOSTILE, True), (HOSTILE, False)) * 5, 40, LONG[:200])
                                          for _ in range(5))),
    v.PickList(query=HOSTILE, action="institution", candidates=tuple(
        v.Candidate(n, f"MIT {HOSTILE}", HOSTILE, 10, None, f"I40000000{n:02d}") for n in range(1, 11))),
]


@pytest.mark.parametrize("view", SAMPLES, ids=lambda view: view.kind)
def test_every_view_renders_valid_harmless_messages(view: v.View) -> None:
    payloads = _payloads(view, actor="UADMIN001")
    assert 1 <= len(payloads) <= 5
    for payload in payloads:
        check_message(payload, may_mention=("UADMIN001",))
        assert "U0BADBAD1" not in json.dumps(payload) or "&lt;@U0BADBAD1&gt;" in json.dumps(payload)


def test_channel_visible_answers_name_the_actor() -> None:
    notice = v.Notice("Removed #1.", title="Unsubscribed", visibility=v.Visibility.CHANNEL)
    (message,) = render(notice, actor_id="UADMIN001")
    assert message.in_channel and "<@UADMIN001>" in json.dumps(message.blocks)
    (private,) = render(v.Notice("Only you"), actor_id="UADMIN001")
    assert not private.in_channel and "<@" not in json.dumps(private.blocks)


def test_escaping_and_links() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert "@\u200dhere" in escape("hi @here") and "@\u200dEVERYONE" in escape("@EVERYONE")
    assert escape("mail me@hereford.ac.uk") == "mail me@hereford.ac.uk"  # not a broadcast
    assert link("https://a.b/x?q=1&r=2|>", "T <b>") == "<https://a.b/x?q=1&amp;r=2%7C%3E|T &lt;b&gt;>"
    assert link("javascript:alert(1)", "x") == "x"
    assert unescape_incoming("a &lt;b&gt; &amp;lt;") == "a <b> &lt;"


def test_buttons_carry_what_the_typed_command_takes() -> None:
    picks = v.PickList(query="Maria", action="researcher", candidates=(
        v.Candidate(1, "Maria A", None, 1, None, "A1"), v.Candidate(2, "Maria B", None, 2, None, "s2:99")))
    found = [(b["action_id"], b["value"]) for m in render(picks) for b in buttons(m.blocks)]
    assert found == [(ACTION_RESEARCHER, "A1"), (ACTION_FOLLOW, "A1"), (ACTION_RESEARCHER, "s2:99"),
                     (ACTION_FOLLOW, "s2:99")]
    card = v.PaperCard(title="T", canonical_id="arXiv:1", first_author_key="A5100000002",
                       abs_url="https://arxiv.org/abs/1")
    assert (ACTION_FOLLOW, "A5100000002") in [(b["action_id"], b.get("value")) for b in buttons(render(card)[0].blocks)]
    listed = v.SubscriptionList(items=(v.SubscriptionItem(3, "category", "cs.LG"),))
    (remove,) = buttons(render(listed)[0].blocks)
    assert (remove["action_id"], remove["value"]) == (ACTION_UNSUBSCRIBE, "3") and remove["confirm"]


def _items_in(messages: list[dict[str, object]]) -> list[int]:
    numbers = []
    for message in messages:
        for block in message["blocks"]:  # type: ignore[attr-defined]
            if block["type"] == "section" and "text" in block:
                found = re.match(r"\*(\d+)\. <https://arxiv", block["text"]["text"])
                if found:
                    numbers.append(int(found.group(1)))
    return numbers


def test_two_hundred_item_digest_splits_cleanly_in_order() -> None:
    view = digest(200, title="Diffusion " + "x" * 280, snippet="s" * 280, more=40)
    messages = render_digest(view)
    payloads = [{"text": m.payload()["text"], "blocks": m.blocks, "channel": "C1", "unfurl_links": False,
                 "unfurl_media": False} for m in messages]
    for payload in payloads:
        check_message(payload)
    assert len(messages) > 10
    assert _items_in(payloads) == list(range(1, 201))
    assert [p for m in messages for p in m.paper_ids] == [i.paper_id for i in view.items]
    assert len(messages[0].paper_ids) == TOP_ITEMS and messages[0].blocks[0]["type"] == "header"
    total = len(messages)
    for part, message in enumerate(messages, 1):
        assert f"part {part} of {total}" in json.dumps(message.blocks, ensure_ascii=False)
    assert messages[-1].blocks[-1]["accessory"]["action_id"] == ACTION_DIGEST_MORE
    assert all(ACTION_DIGEST_MORE not in json.dumps(m.blocks) for m in messages[:-1])


def test_small_digest_is_one_message_and_resume_continues_the_labels() -> None:
    (only,) = render_digest(digest(3))
    assert "part" not in json.dumps(only.blocks) and len(only.paper_ids) == 3
    resumed = render_digest(digest(30), resume_after=2)
    assert resumed[0].blocks[0]["type"] == "context"
    assert f"part 3 of {2 + len(resumed)} (continued)" in resumed[0].blocks[0]["elements"][0]["text"]
    empty = render_digest(digest(0))
    assert len(empty) == 1 and "No new papers" in json.dumps(empty[0].blocks)


def test_long_answers_are_cut_at_five_messages_with_a_note() -> None:
    huge = v.SubscriptionList(items=tuple(v.SubscriptionItem(i, "topic", LONG[:600], LONG[:600]) for i in range(1, 400)),
                              limit=400)
    messages = render(huge)
    assert len(messages) == 5 and "more messages not shown" in json.dumps(messages[-1].blocks)
    for message in messages:
        assert len(message.blocks) <= MAX_BLOCKS
        check_message({"text": message.text, "blocks": message.blocks})


def test_export_splits_into_code_blocks_that_rejoin_to_the_payload() -> None:
    payload = json.dumps({"subscriptions": [{"query": f"topic <{i}> & more"} for i in range(300)]}, indent=2)
    chunks = [b["text"]["text"] for m in render(v.ExportView(payload=payload)) for b in m.blocks
              if b["text"]["text"].startswith("```")]
    joined = "".join(c.removeprefix("```").removesuffix("```") for c in chunks)
    assert unescape_incoming(joined).replace("\n", "") == payload.replace("\n", "")


def test_split_text_never_cuts_an_entity() -> None:
    text = escape("&" * 5000)
    pieces = split_text(text, 3000)
    assert all(len(p) <= 3000 and not re.search(r"&[a-z]{0,3}$", p) for p in pieces)
    assert "".join(pieces) == text


def test_digest_header_counts_each_subscription_and_more_numbers_on() -> None:
    counts = (v.MatchCount(1, "topic", "diffusion", 48), v.MatchCount(2, "topic", HOSTILE + LONG, 64),
              v.MatchCount(3, "category", "cs.CV", 150))
    view = replace(digest(12, more=200), matched_by=counts)
    messages = _payloads(view)
    for message in messages:
        check_message(message)
    top = json.dumps(messages[0]["blocks"], ensure_ascii=False)
    assert "diffusion 48 · " in top and "cs.CV 150" in top and "<!channel>" not in top
    more = replace(digest(10), first_number=11, visibility=v.Visibility.EPHEMERAL)
    text = json.dumps([m["blocks"] for m in _payloads(more)], ensure_ascii=False)
    assert "*11. " in text and "*20. " in text and "*1. " not in text


def _long_digest(count: int) -> v.DigestView:
    """Papers as long as every field can be: the worst case the page cut has to hold with its buttons."""
    items = tuple(
        v.DigestItem(paper_id=f"arXiv:2411.{i:05d}", title="Long " + "t" * 1000, url=f"https://arxiv.org/abs/2411.{i:05d}",
                     authors="A. Author, " * 100, snippet="s " * 1000, categories=tuple(f"cs.{c}" for c in "ABCDEFGH"),
                     why=tuple(v.DigestReason("topic", f'topic #{n}: matched "{"w" * 200}" in title') for n in range(9)),
                     pdf_url=f"https://arxiv.org/pdf/2411.{i:05d}")
        for i in range(1, count + 1))
    return v.DigestView(day=date(2024, 11, 28), title="Paper Radar digest", items=items, more_count=9,
                        total_matched=count + 9, subscriptions=9, visibility=v.Visibility.CHANNEL)


def _ratings_in(message: dict[str, object] | list[dict[str, object]]) -> list[tuple[str, str]]:
    blocks = message if isinstance(message, list) else message["blocks"]
    return [(b["action_id"], b["value"]) for b in buttons(blocks)  # type: ignore[arg-type]
            if b["action_id"] in (ACTION_RATE_LIKE, ACTION_RATE_DISLIKE)]


def _rated_pairs(paper_ids: tuple[str, ...]) -> list[tuple[str, str]]:
    return [pair for paper in paper_ids for pair in ((ACTION_RATE_LIKE, paper), (ACTION_RATE_DISLIKE, paper))]


@pytest.mark.parametrize("view", [_long_digest(25), digest(25, title=HOSTILE, more=3),
                                  digest(REPLY_ITEMS + TOP_ITEMS, more=2)],
                         ids=["longest papers", "hostile", "short papers"])
def test_every_paper_has_its_thumbs_in_the_message_that_carries_it(view: v.DigestView) -> None:
    messages = render_digest(view)
    assert [p for m in messages for p in m.paper_ids] == [i.paper_id for i in view.items]
    for message in messages:
        check_message({"text": message.text, "blocks": message.blocks, "channel": "C1", "unfurl_links": False,
                       "unfurl_media": False})
        assert len(message.blocks) <= MAX_BLOCKS and message.size() <= MESSAGE_BUDGET
        # 👍 then 👎 for each paper the message carries, in its order, with the paper's id as `like` takes it.
        assert _ratings_in(message.blocks) == _rated_pairs(message.paper_ids)
        for index, block in enumerate(message.blocks):
            if block["type"] == "actions" and _ratings_in([block]):
                above = json.dumps(message.blocks[index - 2 : index], ensure_ascii=False)
                assert block["elements"][0]["value"].removeprefix("arXiv:") in above  # right under its paper
    assert messages[-1].blocks[-1]["accessory"]["action_id"] == ACTION_DIGEST_MORE  # "more" still closes it


def test_short_papers_still_make_full_pages_with_their_buttons() -> None:
    messages = render_digest(digest(TOP_ITEMS + 2 * REPLY_ITEMS, more=5))
    assert [len(m.paper_ids) for m in messages] == [TOP_ITEMS, REPLY_ITEMS, REPLY_ITEMS]
    assert max(len(m.blocks) for m in messages) <= MAX_BLOCKS


@pytest.mark.parametrize("view", [_long_digest(25), digest(40, title=HOSTILE, more=3)], ids=["longest", "hostile"])
def test_the_claim_time_cut_keeps_the_buttons_of_each_page(view: v.DigestView) -> None:
    """The run's pages are cut when it claims its papers (`paginate`) and posted later as cut: every message
    posted that way is within Slack's limits and carries the thumbs of exactly its papers."""
    sink = SlackSink(lambda team: None, base_url="http://127.0.0.1:1")  # type: ignore[arg-type,return-value]
    pages = sink.paginate(view)
    claimed = replace(view, pages=tuple(v.DigestPage(i, ids) for i, ids in enumerate(pages)), page_count=len(pages))
    messages = render_digest(claimed)
    assert [m.paper_ids for m in messages] == pages
    for message in messages:
        check_message({"text": message.text, "blocks": message.blocks})
        assert len(message.blocks) <= MAX_BLOCKS and message.size() <= MESSAGE_BUDGET
        assert _ratings_in(message.blocks) == _rated_pairs(message.paper_ids)


def test_previews_and_more_pages_can_be_rated_too() -> None:
    preview = replace(digest(3, more=4), preview=True, visibility=v.Visibility.EPHEMERAL)
    (message,) = render_digest(preview)
    assert _ratings_in(message.blocks) == _rated_pairs(message.paper_ids)
    assert ACTION_DIGEST_MORE not in json.dumps(message.blocks)  # a preview's "more" is text: nothing was sent
    more = replace(digest(3), first_number=11, visibility=v.Visibility.EPHEMERAL)
    assert _ratings_in(render(more)[0].blocks) == _rated_pairs(tuple(i.paper_id for i in more.items))


def _text(view: v.View) -> str:
    return " ".join(m.text + json.dumps(m.blocks, ensure_ascii=False) for m in render(view, actor_id="UADMIN001"))


def test_feedback_says_what_the_ratings_taught_and_who_may_forget_them() -> None:
    view = v.FeedbackView(ratings=14, raters=3, liked=9, disliked=2, learning=True,
                          terms_for=("time series", "forecasting"), terms_against=("author A. Lovelace",),
                          liked_examples=(v.PaperLine("DualCast <b>", "https://arxiv.org/abs/2411.18286", 2024),),
                          disliked_examples=(v.PaperLine("Class-incremental learning", None),), weight=0.58)
    text = _text(view)
    assert "14 ratings by 3 people: 9 papers liked, 2 disliked." in text
    assert "at 58%" in text and "time series, forecasting" in text and "author A. Lovelace" in text
    assert "<https://arxiv.org/abs/2411.18286|DualCast &lt;b&gt;> (2024)" in text and "Class-incremental" in text
    assert "`/radar feedback reset` forgets every rating" in text
    assert not render(view)[0].in_channel
    off = _text(replace(view, learning=False, weight=0.0))
    assert "Learning is off here" in off and "`settings learning on`" in off and "at 58%" not in off
    assert "No ratings in this channel yet" in _text(v.FeedbackView(0, 0, 0, 0, learning=True))
    reset = v.FeedbackView(14, 0, 0, 0, learning=True, reset=True, visibility=v.Visibility.CHANNEL)
    (posted,) = render(reset, actor_id="UADMIN001")
    assert posted.in_channel and "Forgot this channel's 14 ratings" in _text(reset) and "<@UADMIN001>" in _text(reset)


def test_similar_marks_semantic_scholar_s_recommendations_and_gives_ids_to_type() -> None:
    view = v.SimilarView(
        paper=v.PaperLine("MTS-UNMixers", "https://arxiv.org/abs/2411.17770"),
        items=(v.SimilarItem("DualCast", "https://arxiv.org/abs/2411.18286", "Xu, Li", similarity=0.312,
                             paper_id="arXiv:2411.18286"),),
        recommended=(v.SimilarItem("A recommended paper", None, source="recommended", paper_id="doi:10.1/abc"),),
        note="Semantic Scholar's recommendations did not answer (timed out).")
    text = _text(view)
    assert "*Papers like* <https://arxiv.org/abs/2411.17770|MTS-UNMixers>" in text
    assert "<https://arxiv.org/abs/2411.18286|DualCast>" in text and "similarity 0.31" in text
    assert "`2411.18286`" in text and "`doi:10.1/abc`" in text
    assert text.index("Closest papers that arrived this week") < text.index("DualCast") < text.index(
        "Recommended by Semantic Scholar") < text.index("A recommended paper")
    assert "did not answer (timed out)" in text
    empty = _text(v.SimilarView(paper=v.PaperLine("X"), note="No papers arrived this week to compare with yet."))
    assert "No close papers found." in empty and "arrived this week" in empty and "Recommended" not in empty


def test_only_the_last_message_keeps_room_for_the_more_button() -> None:
    """Pages are packed with room for their label; the footer's room is kept in every page only when the last
    one would otherwise have none. Either way every message fits and the last ends with the button."""
    repacked = 0
    for snippet in ("s " * 100, "s " * 300, "s " * 450):
        for count in range(6, 41):
            view = digest(count, snippet=snippet, more=3)
            with_footer, without = render_digest(view), render_digest(replace(view, more_count=0))
            for message in with_footer:
                check_message({"text": message.text, "blocks": message.blocks})
                assert message.size() <= MESSAGE_BUDGET and len(message.blocks) <= MAX_BLOCKS
            assert with_footer[-1].blocks[-1]["accessory"]["action_id"] == ACTION_DIGEST_MORE
            repacked += [m.paper_ids for m in with_footer] != [m.paper_ids for m in without]
    assert repacked  # some last pages were too full for the footer: those digests were cut again


def test_researcher_card_says_who_claimed_how_sure_and_who_follows() -> None:
    card = v.ResearcherCard(name="Maria Garcia", openalex_id="A5100000002", identity="ORCID",
                            identity_note="linked to ORCID 0000-0001-9876-5439: the person's own record",
                            followers=2, followed=True, claimed_by=("UADMIN001", "not a user id"))
    (message,) = render(card, actor_id="UADMIN001")
    text = json.dumps(message.blocks)
    assert "*On this workspace:* <@UADMIN001>" in text and "not a user id" not in text
    assert "*Followed by* 2 channels of this workspace, this one included" in text
    assert "*How sure:* linked to ORCID 0000-0001-9876-5439" in text
    (unclaimed,) = render(v.ResearcherCard(name="X", claimed_by=("nobody here",)), actor_id="UADMIN001")
    assert "On this workspace" not in json.dumps(unclaimed.blocks)


def test_iam_pick_list_has_this_is_me_buttons() -> None:
    picks = v.PickList(query="Maria Garcia", action="iam", candidates=(
        v.Candidate(1, "Maria Garcia", "University of Toronto", 48, None, "A5100000002", identity="ORCID"),))
    (message,) = render(picks)
    assert [(b["action_id"], b["value"]) for b in buttons(message.blocks)] == [
        ("radar_iam", "A5100000002"), (ACTION_RESEARCHER, "A5100000002")]
    assert "_ORCID_" in json.dumps(message.blocks)
