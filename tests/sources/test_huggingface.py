"""Hugging Face daily papers: the 2026 recording and a synthetic 2024-shape day, served through the hub."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.sources.http import BadRequest, RateLimited, Unavailable
from core.sources.huggingface import HuggingFaceSource
from tests.sources.cassettes import FakeTime, json_response, make_hub

RECORDED_DAY = date(2026, 8, 21)


def source_for(handler: Any, time: FakeTime | None = None) -> HuggingFaceSource:
    return HuggingFaceSource(make_hub(handler, time).huggingface)


def serve_file(path: Path, seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=path.read_bytes(), headers={"Content-Type": "application/json"})

    return httpx.MockTransport(handler)


async def test_2026_recording(recordings: Path) -> None:
    seen: list[httpx.Request] = []
    path = recordings / "hf_daily_papers" / "daily_papers_date_2026-08-21.json"
    items = await source_for(serve_file(path, seen)).daily_papers(RECORDED_DAY)

    assert seen[0].url.path == "/api/daily_papers" and seen[0].url.params["date"] == "2026-08-21"
    assert len(items) == 17
    upvotes = [item.upvotes for item in items]
    assert upvotes == sorted(upvotes, reverse=True) and upvotes[0] == 163
    top = items[0]
    assert top.paper.arxiv_id == "2608.19880" and top.paper.title == "EnvHarness: Awakening Static Worlds for Agent Learning"
    assert top.github_url == "https://github.com/google-research/envharness"
    assert top.project_url == "https://envharness.com/" and top.github_stars == 8
    assert top.organization == "Google" and top.ai_summary and top.ai_summary.startswith("EnvHarness and EnvRigger")
    assert top.thumbnail_url and top.thumbnail_url.startswith("https://cdn-thumbnails.huggingface.co/")
    assert len(top.paper.authors) == 17 and top.paper.authors[-1].name == "Chen-Yu Lee"
    assert top.paper.links["code"] == top.github_url and top.hf_url == "https://huggingface.co/papers/2608.19880"
    assert top.paper.sources == ("huggingface",) and top.paper.canonical_id == "arXiv:2608.19880"
    assert top.paper.published == datetime(2026, 8, 20, tzinfo=UTC)
    assert "\n" not in top.paper.abstract and top.paper.abstract.startswith("LLM agents learn by interacting")
    # Not every paper has code or a project page; those stay empty instead of failing.
    without_code = [item for item in items if item.github_url is None]
    assert len(without_code) == 5 and all("code" not in item.paper.links for item in without_code)
    assert sum(1 for item in items if item.project_url is None) == 8


async def test_2024_shape_synthetic(synthetic: Path, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[httpx.Request] = []
    path = synthetic / "synthetic_hf_daily_papers_2024-03-14.json"
    with caplog.at_level(logging.WARNING):
        items = await source_for(serve_file(path, seen)).daily_papers(date(2024, 3, 14))

    # Ties on upvotes go to the more discussed paper; the item without an id is skipped and logged.
    assert [(i.paper.arxiv_id, i.upvotes) for i in items] == [
        ("2403.08002", 57),
        ("2403.08003", 12),
        ("2403.08001", 12),
        ("2403.08004", 0),
    ]
    assert "skipped daily paper #2" in caplog.text
    assert all(i.github_url is None and i.project_url is None and i.github_stars is None for i in items)
    assert all(i.thumbnail_url and i.organization is None for i in items)
    assert [a.name for a in items[2].paper.authors] == ["Zoë Ångström-Nakamura", "李小龙"]
    assert items[3].paper.versions == (2,)
    assert items[0].paper.abstract == "Abstract of Scaling Laws for Fish. Second line."
    assert items[0].num_comments == 4


async def test_latest_day_when_no_date_is_given() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response([])

    assert await source_for(handler).daily_papers() == []  # a quiet day is an empty list
    assert "date" not in seen[0].url.params


async def test_upvotes_at_top_level_and_bad_links_are_tolerated() -> None:
    item = {
        "paper": {"id": "2403.08009", "title": "Top-level votes", "githubRepo": "javascript:alert(1)"},
        "upvotes": 5,
    }
    [trending] = await source_for(lambda request: json_response([item])).daily_papers(RECORDED_DAY)
    assert trending.upvotes == 5 and trending.github_url is None and trending.paper.authors == ()


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<!doctype html><html><body>Hugging Face is down</body></html>"),
        httpx.Response(200, json={"error": "unexpected"}),
    ],
)
async def test_unreadable_answers_are_unavailable(response: httpx.Response) -> None:
    with pytest.raises(Unavailable):
        await source_for(lambda request: response).daily_papers(RECORDED_DAY)


async def test_503_retries_then_gives_up() -> None:
    time = FakeTime()
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503)

    with pytest.raises(Unavailable):
        await source_for(handler, time).daily_papers(RECORDED_DAY)
    assert len(seen) == 4 and len(time.sleeps) == 3


async def test_429_with_retry_after_then_success() -> None:
    time = FakeTime()
    answers = iter([httpx.Response(429, headers={"Retry-After": "4"}), json_response([])])
    assert await source_for(lambda request: next(answers), time).daily_papers(RECORDED_DAY) == []
    assert time.sleeps[0] >= 4


async def test_long_rate_limit_is_reported_not_slept_through() -> None:
    time = FakeTime()
    with pytest.raises(RateLimited):
        await source_for(lambda request: httpx.Response(429, headers={"Retry-After": "3600"}), time).daily_papers()
    assert time.sleeps == []


async def test_bad_date_is_a_bad_request() -> None:
    body = {"error": "Invalid date format"}
    with pytest.raises(BadRequest, match="Invalid date"):
        await source_for(lambda request: httpx.Response(400, json=body)).daily_papers(RECORDED_DAY)
