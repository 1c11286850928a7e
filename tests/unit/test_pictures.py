"""The card's pictures drawn from recorded OpenAlex data: counts_by_year for the chart, authorships for the graph.

What a person would notice: a real PNG at chat width, the right people and years in the alt text, the same
picture again without drawing it twice, and a card that still comes when drawing fails.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PIL import Image

from core.researchers import pictures
from core.researchers.profile import build_card, collaboration_graph, summarize_works
from core.sources.openalex import parse_author, parse_work
from core.views import ResearcherCard, YearCount


def _priem(recordings: Path) -> tuple[ResearcherCard, object]:
    author = parse_author(json.loads((recordings / "openalex" / "single_author_mmgeorge.json").read_text()))
    work = parse_work(json.loads((recordings / "openalex" / "single_work_mmgeorge.json").read_text()))
    summary = summarize_works(author, [work], since=date(2017, 1, 1))
    return build_card(author, summary, now=datetime(2020, 6, 1, tzinfo=UTC)), summary


def _png(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "PNG"
    return picture


async def test_pictures_from_the_recordings(recordings: Path) -> None:
    card, summary = _priem(recordings)
    graph, chart = await pictures.card_images(card, summary)  # type: ignore[arg-type]
    # The recorded work's authorships: Priem's co-authors, one paper each, and they wrote it together.
    assert graph.alt.startswith("Collaboration graph of Jason Priem, last 3 years: Ashley Farley (1 paper "
                                "together); Bree Norlander (1 paper together)")
    assert "Heather Piwowar" in graph.alt and "Co-authors who also wrote together" in graph.alt
    # counts_by_year: 2011-2020 with 2016 missing (zero), citations alongside.
    assert chart.alt.startswith("Bar charts of Jason Priem's works and citations per year, 2011–2020: 2011:")
    assert "2016: 0 works, " in chart.alt
    for image in (graph, chart):
        picture = _png(image.png)
        assert picture.width == 800 and 400 <= picture.height <= 700
        # Not a blank canvas: the drawing uses several colours (bars, nodes, text).
        assert len(picture.convert("RGB").getcolors(maxcolors=1_000_000) or ()) > 50
        assert len(image.png) < 150_000  # small enough for a chat upload


def test_collaboration_pairs_count_papers_written_together(recordings: Path) -> None:
    author = parse_author(json.loads((recordings / "openalex" / "single_author_mmgeorge.json").read_text()))
    work = parse_work(json.loads((recordings / "openalex" / "single_work_mmgeorge.json").read_text()))
    people, pairs = collaboration_graph(author, [work, work], since=date(2017, 1, 1))
    assert all(n == 1 for _, n in people)  # the same title twice is one collaboration
    assert len(pairs) == len(people) * (len(people) - 1) // 2 and all(n == 1 for *_, n in pairs)


async def test_the_same_picture_is_not_drawn_twice(recordings: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    card, summary = _priem(recordings)
    drawn = []
    real = pictures.draw_chart

    def counting(*args: object) -> bytes:
        drawn.append(args)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pictures, "draw_chart", counting)
    pictures._cache.clear()
    first = await pictures.card_images(card, summary)  # type: ignore[arg-type]
    again = await pictures.card_images(card, summary)  # type: ignore[arg-type]
    assert first == again and len(drawn) == 1


async def test_a_failed_drawing_leaves_the_card_without_pictures(recordings: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    card, summary = _priem(recordings)
    pictures._cache.clear()

    def broken(*args: object) -> bytes:
        raise ValueError("no fonts")

    monkeypatch.setattr(pictures, "draw_graph", broken)
    assert await pictures.card_images(card, summary) == ()  # type: ignore[arg-type]


async def test_nothing_to_draw_means_no_pictures() -> None:
    empty = ResearcherCard(name="Nobody Yet", works_per_year=(YearCount(2024, 0, 0),))
    assert await pictures.card_images(empty, None) == ()


def test_long_names_are_shortened_and_initials_drawn() -> None:
    assert pictures.short_name("Oluwaseun Adeyemi-Williams") == "O. Adeyemi-Williams"
    assert len(pictures.short_name("Maximiliana Wolfeschlegelsteinhausenbergerdorff")) <= pictures.MAX_NAME
    assert pictures.initials("María-José García") == "MG"


async def test_console_writes_the_pictures_or_says_why_not(recordings: Path, tmp_path: Path) -> None:
    from bots.console.pictures import picture_lines

    card, summary = _priem(recordings)
    from dataclasses import replace

    card = replace(card, images=await pictures.card_images(card, summary))  # type: ignore[arg-type]
    printed = picture_lines(card, tmp_path / "new")
    assert printed.splitlines()[0] == (f"  Picture: {tmp_path / 'new' / 'researcher-A5023888391-collaborators.png'}"
                                       "  (Jason Priem: frequent co-authors)")
    assert (tmp_path / "new" / "researcher-A5023888391-per-year.png").read_bytes().startswith(b"\x89PNG")
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    assert "could not write them to" in picture_lines(card, blocked) and "RADAR_IMAGE_DIR" in picture_lines(card, blocked)
