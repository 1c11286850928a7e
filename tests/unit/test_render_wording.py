"""What every adapter's renderer says (issue 21): counted words without `(s)`, one spelling of source names,
"(matched by name)" once, LaTeX abstracts as readable text, the sparkline's scale, all of a long `list` in Slack,
and no Discord digest part holding a lone paper."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from bots.console.render import render as console_render
from bots.discord.limits import check_message_limits
from bots.discord.render import render as discord_render
from bots.discord.render_digest import render_digest as discord_digest
from bots.slack.render import MAX_RESPONSES
from bots.slack.render import render as slack_render
from core import views as v
from tests.slack.blockcheck import check_message


def console_text(view: v.View) -> str:
    return console_render(view)


def slack_text(view: v.View) -> str:
    return " ".join(m.text + json.dumps(m.blocks, ensure_ascii=False) for m in slack_render(view))


def discord_text(view: v.View) -> str:
    # Markdown escapes (Λ\_b) show as the plain character in Discord: read the text as it appears.
    return " ".join(json.dumps(m.payload(), ensure_ascii=False) for m in discord_render(view)).replace("\\\\_", "_")


ADAPTERS = pytest.mark.parametrize("text_of", [console_text, slack_text, discord_text], ids=["console", "slack", "discord"])


def digest(count: int, *, matched: int | None = None, subscriptions: int = 3, by_name: bool = False,
           snippet: str = "We propose a new architecture.") -> v.DigestView:
    why = (v.DigestReason("researcher", "follows Ada Lovelace (matched by name)", by_name=True),) if by_name else (
        v.DigestReason("topic", 'matched "attention" in title'),)
    items = tuple(v.DigestItem(
        paper_id=f"arXiv:2411.{i:05d}", title=f"Paper {i}", url=f"https://arxiv.org/abs/2411.{i:05d}",
        authors="Ada Lovelace", why=why, snippet=snippet, categories=("cs.LG",)) for i in range(1, count + 1))
    return v.DigestView(day=date(2024, 11, 28), title="Paper Radar digest", items=items,
                        total_matched=count if matched is None else matched, subscriptions=subscriptions)


@ADAPTERS
def test_counts_are_worded_without_parentheses(text_of: Any) -> None:
    one = text_of(digest(1, subscriptions=1))
    assert "(s)" not in one and "1 new paper match" in one.replace("*", "") and "1 subscription" in one
    assert "1 new papers" not in one and "1 subscriptions" not in one
    many = text_of(digest(2, subscriptions=2))
    assert "(s)" not in many and "2 new papers match" in many.replace("*", "")
    for view in (v.ImportReport(added=("topic: diffusion",), skipped=()), v.ExportView(payload="{}", subscriptions=1)):
        assert "(s)" not in text_of(view) and "1 subscriptions" not in text_of(view)


@ADAPTERS
def test_source_names_have_one_spelling(text_of: Any) -> None:
    card = v.PaperCard(title="Attention", canonical_id="arXiv:1706.03762", sources=("arxiv", "semanticscholar"),
                       abs_url="https://arxiv.org/abs/1706.03762")
    text = text_of(card)
    assert "arXiv, Semantic Scholar" in text and "semanticscholar" not in text.replace("www.semanticscholar", "")
    person = v.ResearcherCard(name="Jason Priem", source="openalex")
    assert "OpenAlex" in text_of(person)


@pytest.mark.parametrize("text_of", [slack_text, discord_text], ids=["slack", "discord"])
def test_matched_by_name_is_said_once(text_of: Any) -> None:
    text = text_of(digest(2, by_name=True))
    assert text.count("matched by name") == 2  # once per paper, from core's reason
    assert "(by name)" not in text


@ADAPTERS
def test_latex_in_abstracts_reads_as_text(text_of: Any) -> None:
    abstract = r"We measure $\Lambda_b$ decays at $\sqrt{s}=13$ TeV, a 5% gain."
    card = v.PaperCard(title="Beauty baryons", canonical_id="arXiv:2401.01234", abstract=abstract)
    text = text_of(card)
    assert "Λ_b" in text and "√(s)=13 TeV" in text and "5% gain" in text and "\\Lambda" not in text
    text = text_of(digest(1, snippet=abstract))
    assert "Λ_b" in text and "\\Lambda" not in text


@ADAPTERS
def test_sparkline_says_its_scale(text_of: Any) -> None:
    card = v.ResearcherCard(name="Jason Priem", works_per_year=(v.YearCount(2017, 3), v.YearCount(2018, 12),
                                                                v.YearCount(2026, 7)), sparkline="▁█▅")
    assert "2017 ▁█▅ 2026, max 12 a year" in text_of(card)


@pytest.mark.parametrize("before_first_digest", [False, True])
def test_slack_list_of_fifty_long_topics_shows_all_of_them(before_first_digest: bool) -> None:
    topic = " ".join(f"term{i}" for i in range(80))[:500]
    matched = 0 if before_first_digest else 2  # before a first digest, each line says so at more length
    view = v.SubscriptionList(items=tuple(v.SubscriptionItem(n, "topic", topic, topic, matched,
                                                             before_first_digest=before_first_digest)
                                          for n in range(1, 51)), limit=50)
    messages = slack_render(view)
    assert len(messages) <= MAX_RESPONSES
    text = " ".join(json.dumps(m.blocks) for m in messages)
    assert "not shown" not in text
    assert all(f"*#{n}*" in text for n in range(1, 51))
    for message in messages:
        check_message({"text": message.text, "blocks": message.blocks})


@pytest.mark.parametrize("count", range(2, 41))
def test_a_discord_digest_never_leaves_one_paper_alone(count: int) -> None:
    parts = discord_digest(digest(count, snippet="We propose a new architecture. " * 20))
    papers = [len(part.paper_ids) for part in parts]
    assert sum(papers) == count and all(n >= 2 for n in papers[1:]) and papers[0] >= 1, papers
    ids = [paper for part in parts for paper in part.paper_ids]
    assert ids == [f"arXiv:2411.{i:05d}" for i in range(1, count + 1)]  # order kept
    for part in parts:
        assert check_message_limits(part.payload()) == []
        numbers = [e.title.split(".")[0] for e in part.embeds if e.title and e.title[0].isdigit()]
        assert len(numbers) == len(part.paper_ids)
