"""Every View as Discord messages: the console's content, inside Discord's limits, with user text made inert."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import discord
import pytest

from bots.discord.buttons import RATE_PREFIX, build_view, command_for
from bots.discord.limits import check_message_limits, fit, safe
from bots.discord.message import Outgoing, components, safe_prose
from bots.discord.render import render
from bots.discord.render_digest import render_digest
from core import views as v
from core.commands import DigestMore, Follow, LookupResearcher, RatePaper, Unsubscribe
from core.help import help_view

NASTY = "@everyone **bold** [click me](https://evil.example/) <@123456789012345678> # heading\n> quote `tick` \\"
LONG = "Ω" * 5000 + NASTY


def digest(n: int, *, text: str = "Attention is all you need", more: int = 0, preview: bool = False) -> v.DigestView:
    items = tuple(v.DigestItem(
        paper_id=f"arXiv:2411.{i:05d}", title=f"{text} {i}", url=f"https://arxiv.org/abs/2411.{i:05d}",
        authors="Ada Lovelace, Alan Turing, Grace Hopper et al.",
        why=(v.DigestReason("topic", 'matched "attention" in title'), v.DigestReason("category", "new in cs.LG")),
        snippet="We propose a new architecture. " * 8, categories=("cs.LG", "cs.CL"),
        pdf_url=f"https://arxiv.org/pdf/2411.{i:05d}") for i in range(1, n + 1))
    return v.DigestView(day=date(2024, 11, 28), title="Paper Radar digest", items=items, more_count=more,
                        total_matched=n + more, subscriptions=3, preview=preview, visibility=v.Visibility.CHANNEL)


def every_view(text: str) -> list[v.View]:
    when = datetime(2024, 11, 28, 8, 0, tzinfo=UTC)
    paper = v.PaperLine(title=text, url="https://doi.org/10.1/x", year=2020, venue=text)
    return [
        v.Notice(text, title=text, actor_id="123456789012345678", visibility=v.Visibility.CHANNEL),
        v.Problem(text, text, text, code="usage"),
        help_view() or v.Notice("no help"), help_view("subscribe") or v.Notice("no help"),
        v.ResearcherCard(name=text, openalex_id="A5023888391", orcid="0000-0001-6187-6610", institutions=(text,) * 30,
                         works_count=60, cited_by_count=4245, h_index=17, i10_index=20, topics=(text,) * 20,
                         collaborators=((text, 3),) * 20, recent_papers=(paper,) * 30,
                         works_per_year=(v.YearCount(2011, 1), v.YearCount(2020, 9)), sparkline="▁▂█",
                         source="OpenAlex", profile_url="https://openalex.org/A5023888391"),
        v.PickList(query=text, action="researcher", candidates=tuple(
            v.Candidate(n, text, text, 10, text, f"A50000000{n:02d}") for n in range(1, 9))),
        v.PaperCard(title=text, canonical_id="arXiv:1706.03762", authors=(text,) * 50, more_authors=3,
                    date=date(2017, 6, 12), categories=("cs.CL", "cs.LG"), abstract=text * 3,
                    abs_url="https://arxiv.org/abs/1706.03762", pdf_url="https://arxiv.org/pdf/1706.03762",
                    doi="10.48550/arXiv.1706.03762", venue=text, citation_count=100000,
                    code_url="javascript:alert(1)", sources=("arxiv",), first_author_key="A5000000001"),
        v.TrendingView(day=date(2026, 8, 21), items=tuple(v.TrendingItem(
            i, text, "https://huggingface.co/papers/1", 100 - i, code_url="https://github.com/x/y") for i in range(1, 51))),
        v.TrendingView(day=date(2026, 8, 21), items=()),
        v.SubscriptionList(items=tuple(v.SubscriptionItem(n, "topic", text, text, 3) for n in range(1, 51))),
        v.SubscriptionList(items=()),
        v.SettingsView("Europe/Paris", "08:30", "mon-fri", 10, True, text, False, True, False, when, changed=text),
        v.SettingsView("UTC", "08:00", "mon-fri", 10, False, None, True, True, True, when),
        v.StatusView(when, "done", 12, when, 1504, 4, True, text, problems=(text,) * 10),
        v.ExportView(payload=json.dumps({"subscriptions": [{"query": text}] * 3}), subscriptions=3),
        v.ExportView(payload=json.dumps({"subscriptions": [{"query": "q" * 100}] * 200}), subscriptions=200),
        v.ImportReport(added=(text,) * 40, skipped=(text,) * 40, settings_changed=("time",)),
        digest(200, text=text, more=5),
        digest(0),
        v.FeedbackView(ratings=40, raters=7, liked=25, disliked=9, learning=True, terms_for=(text,) * 8,
                       terms_against=(text,) * 8, weight=0.8,
                       liked_examples=(v.PaperLine(text, "https://arxiv.org/abs/2411.18562", 2024),) * 3,
                       disliked_examples=(v.PaperLine(text, "javascript:alert(1)"),) * 3),
        v.FeedbackView(ratings=3, raters=1, liked=0, disliked=0, learning=False),
        v.FeedbackView(ratings=12, raters=0, liked=0, disliked=0, learning=True, reset=True),
        v.FeedbackView(ratings=0, raters=0, liked=0, disliked=0, learning=True),
        v.SimilarView(paper=v.PaperLine(text, "https://arxiv.org/abs/2411.18562"), note=text,
                      items=tuple(v.SimilarItem(text, "https://arxiv.org/abs/2411.00001", text, 0.5,
                                                paper_id="arXiv:2411.00001") for _ in range(8)),
                      recommended=tuple(v.SimilarItem(text, None, text, source="recommended", paper_id=f"doi:10.1/{text}")
                                        for _ in range(8))),
        v.SimilarView(paper=v.PaperLine(text)),
        v.DigestView(day=date(2024, 11, 28), title="Paper Radar digest", items=tuple(v.DigestItem(
            paper_id=f"arXiv:2411.{i:05d}", title=text, url=f"https://arxiv.org/abs/2411.{i:05d}", authors=text,
            why=(v.DigestReason("topic", text),), summary=text, code_url=f"https://github.com/x/y{i}", code_stars=99999,
            project_url="https://x.github.io/y", venue="accepted at " + text, pdf_url="https://arxiv.org/pdf/1")
            for i in range(1, 60)), total_matched=59, subscriptions=1, visibility=v.Visibility.CHANNEL),
        v.ResearcherCard(name=text, openalex_id="A5023888391", identity="ORCID", identity_note=text, followers=3,
                         claimed_by=("123456789012345678", text), images=(
                             v.CardImage("researcher-A5023888391-collaborators.png", text, text, b"\x89PNG..."),
                             v.CardImage("researcher-A5023888391-per-year.png", text, text, b"\x89PNG...")),
                         collaborators=((text, 3),) * 20, recent_papers=(paper,) * 30, topics=(text,) * 20),
        v.PickList(query=text, action="iam", candidates=tuple(
            v.Candidate(n, text, text, 10, text, f"A50000000{n:02d}", identity="OpenAlex id") for n in range(1, 9))),
        v.PaperCard(title=text, canonical_id="arXiv:1706.03762", abstract=text, summary=text, summary_source=text,
                    code_url="https://github.com/x/y", code_stars=5, project_url="https://x.github.io/y",
                    venue="accepted at " + text),
        institution_card(text),
        v.PickList(query=text, action="institution", candidates=tuple(
            v.Candidate(n, text, text, 10, None, f"I40000000{n:02d}") for n in range(1, 9))),
    ]


def institution_card(text: str) -> v.InstitutionCard:
    paper = v.MemberPaper(title=text, url="https://openalex.org/W1", year=2025, authors=((text, True), (text, False)) * 5,
                          more_authors=40, abstract=text)
    return v.InstitutionCard(name=text, openalex_id="I33213144", ror="02y3ad647", type=text, place=text,
                             acronyms=(text,) * 3, homepage="https://www.ufl.edu", parents=(text,) * 3,
                             children=(text,) * 8, more_children=30, works_count=325080, cited_by_count=10440674,
                             h_index=809, topics=(text,) * 5, active_researchers=((text, 9),) * 5, active_since=2024,
                             recent_papers=(paper,) * 5, note=text, source="OpenAlex", followed=True)


@pytest.mark.parametrize("text", ["Attention", NASTY, LONG], ids=["plain", "nasty", "long"])
@pytest.mark.parametrize("can_manage", [True, False])
async def test_every_view_renders_within_limits(text: str, can_manage: bool) -> None:
    for view in every_view(text):
        messages = render(view, can_manage=can_manage)
        assert messages, view.kind
        for message in messages:
            assert check_message_limits(message.payload()) == [], view.kind
            # What discord.py would send for the buttons is what the payload check judged.
            built = build_view(message.buttons)
            assert (built.to_components() if built else []) == components(message.buttons)


def test_user_text_cannot_ping_link_or_format() -> None:
    text = safe(NASTY)
    assert "@everyone" not in text and "<@123456789012345678>" not in text
    assert "\\[click me](" in text and "**bold**" not in text and "\n> quote" not in text  # escaped: inert
    assert text.startswith("@\u200beveryone \\*\\*bold")
    # Core's own `code spans` stay (nothing renders inside one); the rest is escaped.
    assert safe_prose("Use `resume` to start **again**") == "Use `resume` to start \\*\\*again\\*\\*"
    assert not fit("a\\" * 10, 9).endswith("\\…")


def test_channel_confirmation_names_the_actor_without_pinging() -> None:
    (message,) = render(v.Notice("Subscribed to cs.LG", title="Subscribed", actor_id="123456789012345678",
                                 visibility=v.Visibility.CHANNEL))
    assert (message.embeds[0].description or "").endswith("— <@123456789012345678>")
    assert message.payload()["allowed_mentions"] == {"parse": []}
    (spoofed,) = render(v.Notice("x", actor_id="<@&1> @everyone"))
    assert "<@" not in (spoofed.embeds[0].description or "")


def test_a_long_digest_is_split_in_order_and_labelled() -> None:
    messages = render_digest(digest(200, more=7))
    assert len(messages) > 1
    carried = [paper for message in messages for paper in message.paper_ids]
    assert carried == [f"arXiv:2411.{i:05d}" for i in range(1, 201)]  # every paper once, in order
    total = len(messages)
    for index, message in enumerate(messages, 1):
        assert message.content and message.content.endswith(f"part {index} of {total}")
        assert check_message_limits(message.payload()) == []
    titles = [e.title for m in messages for e in m.embeds][1:]
    assert (titles[0] or "").startswith("1. ") and (titles[-1] or "").startswith("200. ")
    assert [b.custom_id for b in messages[-1].buttons][-1] == "radar:more"
    assert all("radar:more" not in [b.custom_id for b in m.buttons] for m in messages[:-1])


def test_a_short_digest_is_one_unlabelled_message() -> None:
    (message,) = render_digest(digest(3))
    assert message.content is None and len(message.embeds) == 4 and message.paper_ids[0] == "arXiv:2411.00001"
    header = message.embeds[0]
    assert header.title == "Paper Radar digest — Thu 28 Nov 2024"
    assert "3 new papers match this channel's 3 subscriptions." in (header.description or "")
    item = message.embeds[1].to_dict()
    assert item["url"] == "https://arxiv.org/abs/2411.00001" and "**Why:** matched" in item["description"]
    assert "[PDF](https://arxiv.org/pdf/2411.00001)" in item["description"]
    (quiet,) = render_digest(digest(0))
    assert "No new papers" in (quiet.embeds[0].description or "") and quiet.paper_ids == ()
    (continued,) = render_digest(digest(2), continued=True)
    assert "Continuing a digest" in (continued.embeds[0].description or "")
    (preview,) = render_digest(digest(2, more=4, preview=True))
    assert (preview.embeds[0].title or "").startswith("Preview (only you see this)")
    # A preview's papers can be rated; its "more" is only text (nothing was sent to page through).
    assert [b.custom_id for b in preview.buttons] == [
        "radar:rate:+:arXiv:2411.00001", "radar:rate:-:arXiv:2411.00001",
        "radar:rate:+:arXiv:2411.00002", "radar:rate:-:arXiv:2411.00002"]


def test_buttons_carry_their_command_in_the_id() -> None:
    assert command_for("radar:pick:researcher:A5023888391") == LookupResearcher("A5023888391")
    assert command_for("radar:pick:follow:s2:48000001") == Follow("s2:48000001")
    assert command_for("radar:follow:0000-0001-6187-6610") == Follow("0000-0001-6187-6610")
    assert command_for("radar:unsub:12") == Unsubscribe("12")
    assert command_for("radar:more") == DigestMore()
    assert command_for("radar:rate:+:arXiv:2411.18562") == RatePaper("arXiv:2411.18562", 1, toggle=True)
    assert command_for("radar:rate:-:doi:10.1038/nphys1170") == RatePaper("doi:10.1038/nphys1170", -1, toggle=True)
    assert command_for("radar:rate:0:arXiv:2411.18562") is None and command_for("radar:rate:+:") is None
    assert command_for("radar:unsub:twelve") is None and command_for("other:more") is None


def test_buttons_only_for_people_who_may_use_them() -> None:
    subs = v.SubscriptionList(items=tuple(v.SubscriptionItem(n, "category", "cs.LG") for n in range(1, 31)))
    (managed,) = render(subs, can_manage=True)
    assert [b.custom_id for b in managed.buttons][:2] == ["radar:unsub:1", "radar:unsub:2"]
    assert len(components(managed.buttons)) == 5  # 25 buttons: the most a message can hold
    (plain,) = render(subs, can_manage=False)
    assert plain.buttons == []
    card = every_view("x")[4]
    assert [b.custom_id for b in render(card, can_manage=True)[0].buttons] == ["radar:follow:A5023888391"]
    assert render(card, can_manage=False)[0].buttons == []
    picks = render(every_view("x")[5])[0]
    assert [b.custom_id for b in picks.buttons][:2] == ["radar:pick:researcher:A5000000001",
                                                        "radar:pick:researcher:A5000000002"]


def test_a_long_export_becomes_a_file() -> None:
    big = every_view("x")[15]
    (message,) = render(big)
    assert message.file is not None and message.file[0] == "paper-radar-export.json"
    assert json.loads(message.file[1])["subscriptions"][0]["query"] == "q" * 100
    (small,) = render(every_view("x")[14])
    assert small.file is None and (small.embeds[0].description or "").startswith("```json\n")


@pytest.mark.parametrize(("payload", "problem"), [
    ({"content": "x" * 2001}, "content is 2001"),
    ({"embeds": [{"title": "t"}] * 11}, "11 embeds"),
    ({"embeds": [{"title": "t" * 257}]}, "title is 257"),
    ({"embeds": [{"description": "d" * 4097}]}, "description is 4097"),
    ({"embeds": [{"description": "d" * 3000}, {"description": "d" * 3001}]}, "6001 characters"),
    ({"embeds": [{"title": "t", "fields": [{"name": "n", "value": "v"}] * 26}]}, "26 fields"),
    ({"embeds": [{"title": "t", "fields": [{"name": "n", "value": "v" * 1025}]}]}, "value is 1025"),
    ({"embeds": [{"title": "t", "footer": {"text": "f" * 2049}}]}, "footer is 2049"),
    ({"embeds": [{"title": "t", "url": "javascript:x"}]}, "not an http"),
    ({"content": "x", "components": [{"type": 1, "components": [{"type": 2, "label": "b", "custom_id": "c" * 101}]}]},
     "custom id"),
    ({"content": ""}, "empty"),
])
def test_the_limit_check_catches_each_limit(payload: dict[str, Any], problem: str) -> None:
    body = {"allowed_mentions": {"parse": []}, **payload}
    assert any(problem in p for p in check_message_limits(body)), check_message_limits(body)
    assert any("mentions" in p for p in check_message_limits({"content": "hi"}))


def test_packing_starts_a_new_message_at_ten_embeds() -> None:
    from bots.discord.message import embed, pack

    messages = pack([embed(title=str(i)) for i in range(23)])
    assert [len(m.embeds) for m in messages] == [10, 10, 3]
    assert isinstance(messages[0], Outgoing) and isinstance(messages[0].embeds[0], discord.Embed)


def test_digest_header_counts_each_subscription_and_more_numbers_on() -> None:
    counts = (v.MatchCount(1, "topic", "diffusion", 48), v.MatchCount(2, "topic", NASTY + LONG, 64),
              v.MatchCount(3, "category", "cs.CV", 150))
    parts = render_digest(replace(digest(12, more=200), matched_by=counts))
    for part in parts:
        assert check_message_limits(part.payload()) == []
    header = parts[0].embeds[0].description or ""
    assert "diffusion 48 · " in header and "cs.CV 150" in header and "@everyone" not in header
    more = render_digest(replace(digest(10), first_number=11))
    titles = [e.title or "" for part in more for e in part.embeds]
    assert titles[1].startswith("11. ") and titles[-1].startswith("20. ")


def _rows(message: Outgoing) -> list[list[str]]:
    return [[b["label"] for b in row["components"]] for row in message.payload()["components"]]


def test_every_digest_paper_gets_thumbs_numbered_two_papers_to_a_row() -> None:
    parts = render_digest(digest(19, more=6))
    assert [len(p.paper_ids) for p in parts] == [9, 10]
    first, last = parts
    assert _rows(first) == [["👍 1", "👎 1", "👍 2", "👎 2"], ["👍 3", "👎 3", "👍 4", "👎 4"],
                            ["👍 5", "👎 5", "👍 6", "👎 6"], ["👍 7", "👎 7", "👍 8", "👎 8"], ["👍 9", "👎 9"]]
    # Ten papers fill the five rows Discord allows; "Show more" still fits at the end of the last one.
    assert len(_rows(last)) == 5 and _rows(last)[-1] == ["👍 18", "👎 18", "👍 19", "👎 19", "Show 6 more"]
    for part in parts:
        assert check_message_limits(part.payload()) == []
        built = build_view(part.buttons)
        assert built is not None and built.to_components() == components(part.buttons)
        ids = [b.custom_id for b in part.buttons if b.custom_id != "radar:more"]
        assert ids == [f"radar:rate:{sign}:{paper}" for paper in part.paper_ids for sign in "+-"]
        # Each button's number is the one in its paper's title.
        titles = {(e.title or "").split(".")[0]: e.url for e in part.embeds if e.url}
        for button in part.buttons[:-1] if part is last else part.buttons:
            number = button.label.split()[1]
            assert (titles[number] or "").endswith((button.custom_id or "").rsplit(":", 1)[1])


def test_an_id_too_long_for_a_button_is_rated_by_typing() -> None:
    fits = "doi:10.1000/" + "x" * (100 - len(RATE_PREFIX) - len("doi:10.1000/"))
    too_long = fits + "y"
    items = tuple(replace(item, paper_id=paper) for item, paper in zip(digest(3).items, ("arXiv:2411.00001", fits,
                                                                                          too_long), strict=True))
    (message,) = render_digest(replace(digest(3), items=items))
    assert check_message_limits(message.payload()) == []
    assert [b.label for b in message.buttons] == ["👍 1", "👎 1", "👍 2", "👎 2"]
    assert len(message.buttons[-1].custom_id or "") == 100
    assert command_for(message.buttons[-1].custom_id or "") == RatePaper(fits, -1, toggle=True)
    footers = [(e.footer.text or "") for e in message.embeds[1:]]
    assert "rate it with /radar like" not in footers[1]
    assert footers[2].endswith(f"rate it with /radar like {too_long}") and footers[2].startswith("cs.LG, cs.CL")


def test_a_resumed_run_numbers_its_buttons_as_its_titles() -> None:
    view = replace(digest(25), first_number=11, pages=(v.DigestPage(1, tuple(f"arXiv:2411.{i:05d}" for i in range(1, 11))),
                                                     v.DigestPage(2, tuple(f"arXiv:2411.{i:05d}" for i in range(11, 26)))),
                   page_count=3, resumed=True, more_count=4)
    parts = render_digest(view)
    assert _rows(parts[0])[0] == ["👍 11", "👎 11", "👍 12", "👎 12"]
    assert (parts[0].embeds[0].title or "").startswith("11. ")
    assert [b.custom_id for b in parts[-1].buttons][-1] == "radar:more"


def _text(view: v.View, can_manage: bool = False) -> str:
    return " ".join(json.dumps(m.payload(), ensure_ascii=False) for m in render(view, can_manage=can_manage))


def test_feedback_and_similar_read_as_in_the_console() -> None:
    view = v.FeedbackView(ratings=14, raters=3, liked=9, disliked=2, learning=True,
                          terms_for=("time series", "forecasting"), terms_against=("author A. Lovelace",),
                          liked_examples=(v.PaperLine("DualCast *bold*", "https://arxiv.org/abs/2411.18286", 2024),),
                          disliked_examples=(v.PaperLine("Class-incremental", None),), weight=0.58)
    text = _text(view, can_manage=True)
    assert "14 ratings by 3 people: 9 papers liked, 2 disliked." in text and "at 58%" in text
    assert "time series, forecasting" in text and "author A. Lovelace" in text
    assert "[DualCast \\\\*bold\\\\*](https://arxiv.org/abs/2411.18286) (2024)" in text
    assert "feedback reset:True" in text and "feedback reset" not in _text(view, can_manage=False)
    assert "`settings learning on`" in _text(replace(view, learning=False))
    assert "Ratings forgotten" in _text(v.FeedbackView(5, 0, 0, 0, learning=True, reset=True))
    assert "No ratings in this channel yet" in _text(v.FeedbackView(0, 0, 0, 0, learning=True))
    similar = v.SimilarView(
        paper=v.PaperLine("MTS-UNMixers", "https://arxiv.org/abs/2411.17770"),
        items=(v.SimilarItem("DualCast", "https://arxiv.org/abs/2411.18286", "Xu, Li", 0.312, paper_id="arXiv:2411.18286"),),
        recommended=(v.SimilarItem("Recommended one", None, source="recommended", paper_id="doi:10.1/abc"),),
        note="Semantic Scholar's recommendations did not answer (timed out).")
    text = _text(similar)
    assert "Papers like “MTS-UNMixers”" in text and "[DualCast](https://arxiv.org/abs/2411.18286)" in text
    assert "similarity 0.31" in text and "`2411.18286`" in text and "`doi:10.1/abc`" in text
    assert text.index("Closest papers") < text.index("DualCast") < text.index("Recommended by Semantic Scholar")
    assert "did not answer (timed out)" in text


def test_researcher_card_claims_identity_and_pictures() -> None:
    card = v.ResearcherCard(
        name="Maria Garcia", openalex_id="A5100000002", identity="ORCID", followers=1,
        identity_note="linked to ORCID 0000-0001-9876-5439: the person's own record",
        claimed_by=("123456789012345678", "not-a-discord-id"),
        images=(v.CardImage("g.png", "Maria Garcia: frequent co-authors", "graph alt", b"\x89PNG1"),
                v.CardImage("c.png", "Maria Garcia: works and citations per year", "chart alt", b"\x89PNG2")))
    (message,) = render(card)
    payload = message.payload()
    assert check_message_limits(payload) == []
    here = next(f["value"] for f in payload["embeds"][0]["fields"] if f["name"] == "Here")
    assert here.splitlines() == ["**On this server:** <@123456789012345678>",
                                 "**Followed by** 1 channel of this server",
                                 "**How sure:** linked to ORCID 0000-0001-9876-5439: the person's own record"]
    assert payload["allowed_mentions"] == {"parse": []}  # shown, never pinged
    assert [e.get("image", {}).get("url") for e in payload["embeds"]] == ["attachment://g.png", "attachment://c.png"]
    assert payload["attachments"] == [{"id": 0, "filename": "g.png", "description": "graph alt"},
                                      {"id": 1, "filename": "c.png", "description": "chart alt"}]
    assert message.attachments()[1] == ("c.png", b"\x89PNG2", "chart alt")
    # A picture named by an embed but not attached would show as a broken image: the limit check says so.
    broken = dict(payload, attachments=[payload["attachments"][0]])
    assert "embed 1 shows attachment://c.png, which is not attached" in check_message_limits(broken)
