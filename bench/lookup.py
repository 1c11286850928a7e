"""Researcher lookup latency through `core.handle`: cold (mock transport answers) and cached (database).

Goal (issue: commands and lookups): a cached lookup in under 50 ms median.
Ends with `BENCH lookup cached_median_ms=<t> cold_median_ms=<t>`.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import machine, recordings
from core.bootstrap import build_app
from core.commands import LookupResearcher
from core.config import Settings
from core.model.context import Actor, Destination
from core.service import handle
from core.storage.db import upgrade
from core.storage.models import LookupCacheRow, ResearcherRow
from core.views import ResearcherCard

RUNS = 40


async def main_async() -> int:
    author = json.loads((recordings() / "openalex" / "single_author_mmgeorge.json").read_text())
    works = {"meta": {"count": 0, "next_cursor": None}, "results": []}

    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        if request.url.path.startswith("/authors/"):
            return httpx.Response(200, json=author)
        if request.url.path.startswith("/works"):
            return httpx.Response(200, json=works)
        return httpx.Response(404, json={"error": "not found"})

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        settings = Settings(_env_file=None, DATABASE_URL=url, OPENALEX_API_KEY="bench",  # type: ignore[call-arg]
                            RADAR_OPENALEX_URL="http://127.0.0.1:9103")
        app = build_app(settings, transport=httpx.MockTransport(answer))
        actor, where = Actor("console", "bench", can_manage=True), Destination("console", "bench", "bench")
        command = LookupResearcher("A5023888391")
        cold, cached = [], []
        try:
            for _ in range(RUNS):
                async with app.db.session() as session:
                    for table in (LookupCacheRow, ResearcherRow):
                        for row in (await session.exec(table.__table__.select())).all():  # type: ignore[attr-defined,call-overload]
                            await session.delete(await session.get(table, row[0]))
                    await session.commit()
                started = time.perf_counter()
                view = await handle(command, actor, where, app=app)
                cold.append((time.perf_counter() - started) * 1000)
                assert isinstance(view, ResearcherCard), view
            cold_requests = len(sent)
            for _ in range(RUNS):
                started = time.perf_counter()
                view = await handle(command, actor, where, app=app)
                cached.append((time.perf_counter() - started) * 1000)
                assert isinstance(view, ResearcherCard), view
        finally:
            await app.aclose()
    # The figures mean something only if cold lookups asked the source and cached ones did not.
    assert cold_requests >= RUNS and len(sent) == cold_requests, (cold_requests, len(sent))
    cached_median, cold_median = statistics.median(cached), statistics.median(cold)
    print(f"machine: {machine()}")
    print("| lookup | median ms | p90 ms |\n|---|---|---|")
    for name, values in (("cold (mock transport)", cold), ("cached (database)", cached)):
        print(f"| {name} | {statistics.median(values):.1f} | {statistics.quantiles(values, n=10)[-1]:.1f} |")
    print(f"goal: cached median under 50 ms: {'met' if cached_median < 50 else 'MISSED'}")
    print(f"BENCH lookup cached_median_ms={cached_median:.1f} cold_median_ms={cold_median:.1f}")
    return 0


def main() -> int:
    return asyncio.run(main_async())


if __name__ == "__main__":
    sys.exit(main())
