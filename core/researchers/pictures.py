"""The researcher card's two pictures: who they write with (a graph) and their works and citations per year (bars).

Drawn with matplotlib's object API (a `Figure` on the Agg canvas, never pyplot's global state), sized for chat:
Slack and Discord show an image about 400 px wide, so the PNG is 800 px wide with 13-point text, which reads as
small print there and never as a smudge. Each picture has alt text that says what it shows, for screen readers
and for places that do not show images.

Drawing takes about 100 ms, so it runs in a worker thread (the event loop keeps answering), one picture at a time
(matplotlib's font and text caches are shared), and the PNGs of the last few cards are kept: asking for the
same card again costs nothing. A picture that cannot be drawn only leaves the card without it.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import math
import re
import threading
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from core.views import CardImage, ResearcherCard, YearCount

if TYPE_CHECKING:
    from core.researchers.profile import WorkSummary

log = logging.getLogger(__name__)

WIDTH_IN, DPI = 6.4, 125  # 800 px wide
FONT = 13
PURPLE, BLUE, GREY, INK, LIGHT = "#8B5CF6", "#3B82F6", "#94A3B8", "#1E293B", "#CBD5E1"
MAX_NAME = 20
# Names in scripts DejaVu Sans lacks are drawn with the first of these the machine has (fonts-noto-cjk and the
# like); without one they show as boxes in the picture (the alt text still names everyone).
FALLBACK_FONTS = ("Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans CJK KR", "Noto Sans CJK TC",
                  "Source Han Sans", "WenQuanYi Zen Hei", "Droid Sans Fallback", "Noto Sans")
CACHE_SIZE = 64
MAX_ALT = 1000  # Slack's alt_txt and Discord's attachment description both stop near here

_draw_lock = threading.Lock()
_cache: OrderedDict[str, bytes] = OrderedDict()


_families: list[str] = []


def _font_families() -> list[str]:
    """DejaVu Sans, then the fallback fonts this machine has (asking for a missing one logs a warning)."""
    if not _families:
        from matplotlib import font_manager

        present = {font.name for font in font_manager.fontManager.ttflist}
        _families.extend(["DejaVu Sans", *(name for name in FALLBACK_FONTS if name in present)])
    return _families


def _figure(height_in: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a glyph no font has draws as a box, not a log line
        figure.savefig(buffer, format="png", facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def _drawn(draw: Any) -> bytes:
    from matplotlib import rc_context

    with rc_context({"font.family": _font_families()}):
        return bytes(draw())


def short_name(name: str) -> str:
    """A name that fits a label: "Maria-Luisa Garcia-Fernandez" -> "M. Garcia-Fernandez" when too long."""
    name = " ".join(name.split())
    if len(name) <= MAX_NAME:
        return name
    parts = name.split(" ")
    shortened = f"{parts[0][0]}. {parts[-1]}" if len(parts) > 1 else name
    return shortened if len(shortened) <= MAX_NAME else shortened[: MAX_NAME - 1] + "…"


# ---------------------------------------------------------------- the collaboration graph


def initials(name: str) -> str:
    letters = [part[0] for part in name.replace("-", " ").split() if part[:1].isalpha()]
    return "".join(letters[:1] + letters[-1:]).upper() if letters else "?"


def draw_graph(name: str, people: Sequence[tuple[str, int]], pairs: Sequence[tuple[int, int, int]],
               years: int = 3) -> bytes:
    """The researcher in the middle, co-authors around, edge width = papers written together (number on the
    edge); co-authors who also wrote together are joined by a thin line."""
    figure = _figure(5.2)
    axes = figure.add_axes((0.0, 0.05, 1.0, 0.84))
    axes.set_axis_off()
    # Wider than high, and the co-authors on an ellipse: long names get the room beside them.
    axes.set_xlim(-2.3, 2.3)
    axes.set_ylim(-1.3, 1.3)
    most = max((n for _, n in people), default=1)
    # Strongest at the top, then clockwise: the eye starts where the most shared papers are.
    angles = [math.pi / 2 - 2 * math.pi * i / max(1, len(people)) for i in range(len(people))]
    points = [(0.75 * math.cos(a), math.sin(a)) for a in angles]
    for a, b, n in pairs:
        if a < len(points) and b < len(points):
            (x1, y1), (x2, y2) = points[a], points[b]
            axes.plot([x1, x2], [y1, y2], color=LIGHT, linewidth=0.8 + 2.0 * n / most, zorder=1,
                      solid_capstyle="round")
    for (x, y), (_, n) in zip(points, people, strict=True):
        axes.plot([0, x], [0, y], color=GREY, linewidth=1.5 + 7.0 * n / most, zorder=2, solid_capstyle="round")
        axes.text(x * 0.62, y * 0.62, str(n), ha="center", va="center", fontsize=FONT - 2, color=INK, zorder=4,
                  bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": GREY, "linewidth": 0.6})
    for (x, y), (person, n), angle in zip(points, people, angles, strict=True):
        axes.scatter([x], [y], s=140 + 360 * n / most, color=BLUE, zorder=3, edgecolors="white", linewidths=1.5)
        cos = math.cos(angle)
        align = "center" if abs(cos) < 0.3 else ("left" if cos > 0 else "right")
        offset = 0.14 + 0.06 * n / most
        axes.text(x + offset * cos, y + 1.1 * offset * math.sin(angle), short_name(person), ha=align,
                  va="center", fontsize=FONT - 1, color=INK, zorder=5)
    # The title names the person; the middle node carries their initials, so no label crosses an edge.
    axes.scatter([0], [0], s=1100, color=PURPLE, zorder=6, edgecolors="white", linewidths=2)
    axes.text(0, 0, initials(name), ha="center", va="center", fontsize=FONT, fontweight="bold", color="white",
              zorder=7)
    figure.suptitle(f"{short_name(name)}: frequent co-authors, last {years} years", fontsize=FONT + 2, color=INK,
                    y=0.97)
    figure.text(0.5, 0.02, "line width and number: papers written together", ha="center", fontsize=FONT - 3,
                color=GREY)
    return _png(figure)


def graph_alt(name: str, people: Sequence[tuple[str, int]], pairs: Sequence[tuple[int, int, int]]) -> str:
    listed = "; ".join(f"{person} ({n} {'paper' if n == 1 else 'papers'} together)" for person, n in people)
    text = f"Collaboration graph of {name}, last 3 years: {listed}."
    joint = [f"{people[a][0]} and {people[b][0]} ({n})" for a, b, n in sorted(pairs, key=lambda p: -p[2])
             if a < len(people) and b < len(people)]
    if joint:
        text += " Co-authors who also wrote together: " + "; ".join(joint[:8]) + "."
    return _fit(text)


# ---------------------------------------------------------------- works and citations per year


def draw_chart(name: str, per_year: Sequence[YearCount], source: str = "") -> bytes:
    """Two bar charts on one year axis: works (top) and citations (bottom), each bar labelled with its value."""
    figure = _figure(4.6)
    top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={"hspace": 0.35})
    years = [y.year for y in per_year]
    for axes, values, color, label in ((top, [y.works for y in per_year], BLUE, "works"),
                                       (bottom, [y.citations for y in per_year], PURPLE, "citations")):
        bars = axes.bar(years, values, color=color, width=0.7)
        axes.set_ylabel(label, fontsize=FONT, color=INK)
        axes.set_ylim(0, max(max(values, default=0) * 1.3, 1))
        axes.bar_label(bars, labels=[f"{v:,}" if v else "" for v in values], fontsize=FONT - 3, color=INK, padding=2)
        axes.tick_params(axis="both", labelsize=FONT - 2, colors=INK, length=0)
        axes.yaxis.set_major_locator(_integer_locator())
        axes.grid(axis="y", color=LIGHT, linewidth=0.6)
        axes.set_axisbelow(True)
        for side in ("top", "right", "left"):
            axes.spines[side].set_visible(False)
    bottom.set_xticks(years, [str(y) if len(years) <= 10 or i % 2 == 0 else "" for i, y in enumerate(years)])
    figure.suptitle(f"{short_name(name)}: works and citations per year", fontsize=FONT + 2, color=INK, y=0.98)
    if source:
        figure.text(0.5, 0.01, f"Source: {source} · {years[-1]} so far", ha="center", fontsize=FONT - 4, color=GREY)
    return _png(figure)


def _integer_locator() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(nbins=3, integer=True)


def chart_alt(name: str, per_year: Sequence[YearCount]) -> str:
    rows = "; ".join(f"{y.year}: {y.works:,} works, {y.citations:,} citations" for y in per_year)
    return _fit(f"Bar charts of {name}'s works and citations per year, {per_year[0].year}–{per_year[-1].year}: "
                f"{rows}.")


def _fit(text: str) -> str:
    return text if len(text) <= MAX_ALT else text[: MAX_ALT - 1].rsplit(" ", 1)[0] + "…"


# ---------------------------------------------------------------- for the card


def _cached(key: str, draw: Any) -> bytes:
    with _draw_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
        png = _drawn(draw)
        _cache[key] = png
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
        return png


def _slug(card: ResearcherCard) -> str:
    key = card.openalex_id or (f"s2-{card.s2_id}" if card.s2_id else None) or card.orcid or card.name
    return re.sub(r"[^A-Za-z0-9-]+", "-", key).strip("-")[:60] or "researcher"


def _pictures(card: ResearcherCard, people: tuple[tuple[str, int], ...],
              pairs: tuple[tuple[int, int, int], ...]) -> tuple[CardImage, ...]:
    images: list[CardImage] = []
    slug = _slug(card)
    if people:
        key = hashlib.sha256(repr(("graph", card.name, people, pairs)).encode()).hexdigest()
        images.append(CardImage(f"researcher-{slug}-collaborators.png", f"{card.name}: frequent co-authors",
                                graph_alt(card.name, people, pairs),
                                _cached(key, lambda: draw_graph(card.name, people, pairs))))
    per_year = card.works_per_year
    if per_year and any(y.works or y.citations for y in per_year):
        source = card.source.split(" (")[0]
        key = hashlib.sha256(repr(("chart", card.name, per_year, source)).encode()).hexdigest()
        images.append(CardImage(f"researcher-{slug}-per-year.png", f"{card.name}: works and citations per year",
                                chart_alt(card.name, per_year), _cached(key, lambda: draw_chart(card.name, per_year,
                                                                                                  source))))
    return tuple(images)


async def card_images(card: ResearcherCard, summary: WorkSummary | None) -> tuple[CardImage, ...]:
    """The card's pictures, drawn off the event loop; none when there is nothing to draw or drawing fails."""
    people = (summary.graph_people or summary.collaborators) if summary is not None else card.collaborators
    pairs = summary.graph_pairs if summary is not None and summary.graph_people else ()
    try:
        return await asyncio.to_thread(_pictures, card, tuple(people), tuple(pairs))
    except Exception as error:  # a picture is an extra: the card goes out without it
        log.warning("could not draw the pictures of %s's card: %s: %s", card.name, type(error).__name__, error)
        return ()
