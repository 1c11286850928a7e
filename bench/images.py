"""How long a researcher card's two pictures take to draw: the collaboration graph and the per-year bar chart.

Goal (issue 20): each under 300 ms. Drawn from scratch every run (the card's cache is bypassed), after one
warm-up that pays for importing matplotlib and loading its fonts once per process (reported apart).
Ends with `BENCH images graph_ms=<median> chart_ms=<median>`.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import ROOT, machine
from core.researchers.pictures import _drawn, draw_chart, draw_graph
from core.views import YearCount

RUNS = 20
GOAL_MS = 300
CARD = ROOT / "tests" / "fixtures" / "synthetic_researcher_card.json"


def main() -> int:
    data = json.loads(CARD.read_text(encoding="utf-8"))
    people = [(name, n) for name, n in data["people"]]
    pairs = [(a, b, n) for a, b, n in data["pairs"]]
    per_year = [YearCount(*row) for row in data["per_year"]]
    started = time.perf_counter()
    _drawn(lambda: draw_graph(data["name"], people, pairs))
    _drawn(lambda: draw_chart(data["name"], per_year, data["source"]))
    first_ms = (time.perf_counter() - started) * 1000
    times: dict[str, list[float]] = {"graph": [], "chart": []}
    sizes: dict[str, int] = {}
    for _ in range(RUNS):
        for name, draw in (("graph", lambda: draw_graph(data["name"], people, pairs)),
                           ("chart", lambda: draw_chart(data["name"], per_year, data["source"]))):
            started = time.perf_counter()
            png = _drawn(draw)
            times[name].append((time.perf_counter() - started) * 1000)
            sizes[name] = len(png)
    print(f"machine: {machine()}")
    print(f"first two pictures of a process (matplotlib import and fonts): {first_ms:.0f} ms")
    print("| picture | median ms | p90 ms | PNG bytes |\n|---|---|---|---|")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values):.0f} | {statistics.quantiles(values, n=10)[-1]:.0f} | "
              f"{sizes[name]:,} |")
    graph_ms, chart_ms = statistics.median(times["graph"]), statistics.median(times["chart"])
    met = graph_ms < GOAL_MS and chart_ms < GOAL_MS
    print(f"goal: each under {GOAL_MS} ms: {'met' if met else 'MISSED'}")
    print(f"BENCH images graph_ms={graph_ms:.0f} chart_ms={chart_ms:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
