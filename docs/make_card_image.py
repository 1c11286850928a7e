"""Draw the README's picture of a researcher card: its two pictures, stacked, from a synthetic fixture.

    .venv/bin/python docs/make_card_image.py        # writes docs/researcher-card.png

The drawings are the ones Slack and Discord get (`core.researchers.pictures`); only here are they stacked into
one image and reduced to a 64-colour palette, so the committed file stays small.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402  (Pillow comes with matplotlib)

from core.researchers.pictures import _drawn, draw_chart, draw_graph  # noqa: E402
from core.views import YearCount  # noqa: E402

CARD = ROOT / "tests" / "fixtures" / "synthetic_researcher_card.json"
OUT = ROOT / "docs" / "researcher-card.png"


def main() -> int:
    data = json.loads(CARD.read_text(encoding="utf-8"))
    people = [(name, n) for name, n in data["people"]]
    pairs = [(a, b, n) for a, b, n in data["pairs"]]
    per_year = [YearCount(*row) for row in data["per_year"]]
    graph = Image.open(io.BytesIO(_drawn(lambda: draw_graph(data["name"], people, pairs))))
    chart = Image.open(io.BytesIO(_drawn(lambda: draw_chart(data["name"], per_year, data["source"]))))
    both = Image.new("RGB", (max(graph.width, chart.width), graph.height + chart.height), "white")
    both.paste(graph.convert("RGB"), (0, 0))
    both.paste(chart.convert("RGB"), (0, graph.height))
    both.quantize(colors=64, dither=Image.Dither.NONE).save(OUT, optimize=True)
    print(f"{OUT.relative_to(ROOT)}: {both.width}x{both.height}, {OUT.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
