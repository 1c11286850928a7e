"""Every View as Discord messages: the console's content, inside Discord's limits, with user text made inert."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import discord
import pytest

from bots.discord.buttons import build_view, command_for
from bots.discord.limits import check_message_limits, fit, safe
from bots.discord.message import Outgoing, components, safe_prose
from bots.discord.render import render
from bots.discord.render_digest import render_digest
from core import views as v
from core.commands import DigestMore, Follow, LookupResearcher, Unsubscribe
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
    assert [b.custom_id for b in messages[-1].buttons] == ["radar:more"]
    assert all(not m.buttons for m in messages[:-1])


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
    assert (preview.embeds[0].title or "").startswith("Preview (only you see this)") and not preview.buttons


def test_buttons_carry_their_command_in_the_id() -> None:
    assert command_for("radar:pick:researcher:A5023888391") == LookupResearcher("A5023888391")
    assert command_for("radar:pick:follow:s2:48000001") == Follow("s2:48000001")
    assert command_for("radar:follow:0000-0001-6187-6610") == Follow("0000-0001-6187-6610")
    assert command_for("radar:unsub:12") == Unsubscribe("12")
    assert command_for("radar:more") == DigestMore()
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
