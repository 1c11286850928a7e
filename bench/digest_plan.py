"""The clock's real path: plan each channel's digest from the database, one channel at a time.

`bench/digest.py` measures matching every subscription in one batch; this measures what a clock does when
many channels' jobs fire together: per channel, the window's arrivals (one index shared across channels),
its subscriptions, the ledger check. SQLite file, the real 1,504-paper day, 10 subscriptions per channel.
Ends with `BENCH digest_plan destinations=<n> seconds=<t> per_destination_ms=<t> items=<n>`.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import channels_option, machine, recordings
from core.commands import Destination
from core.digest.plan import plan_digest, window_for
from core.sources.arxiv_feed import parse_feed
from core.storage import repos
from core.storage.db import Database, upgrade

DESTINATIONS = channels_option(1000)
CATEGORIES = ["cs.LG", "cs.CV", "cs.CL", "stat.ML", "math.PR", "hep-th", "cs.RO", "quant-ph", "cs.*", "math.CO"]
TOPICS = ["diffusion model", '"graph neural network"', "language model -survey", '"reinforcement learning"',
          "transformer OR attention", "quantum error correction", '"dark matter" -review', "protein folding"]


async def main_async() -> int:
    feed = parse_feed((recordings() / "arxiv_rss" / "rss_all_archives_2024-11-28.xml").read_bytes())
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        db = Database(url)
        now = datetime.now(UTC)
        try:
            async with db.session() as session:
                await repos.upsert_papers(session, list(feed.items), now=now - timedelta(hours=2))
                destinations = []
                for i in range(DESTINATIONS):
                    destination = await repos.ensure_destination(session, Destination("slack", "T1", f"C{i}"))
                    for j in range(5):
                        await repos.add_subscription(session, destination, kind="category",
                                                     query=CATEGORIES[(i + j) % len(CATEGORIES)])
                        await repos.add_subscription(session, destination, kind="topic",
                                                     query=TOPICS[(i * 3 + j) % len(TOPICS)])
                    destinations.append(destination)
                await session.commit()
            started = time.perf_counter()
            items = 0
            for destination in destinations:
                async with db.session() as session:
                    plan = await plan_digest(session, destination, window_for(destination, now))
                items += len(plan.items)
            seconds = time.perf_counter() - started
        finally:
            await db.dispose()
    print(f"machine: {machine()}")
    print("| destinations | subscriptions | matched items | seconds | per destination ms |\n|---|---|---|---|---|")
    print(f"| {DESTINATIONS} | {DESTINATIONS * 10} | {items} | {seconds:.2f} | {seconds * 1000 / DESTINATIONS:.1f} |")
    print(f"BENCH digest_plan destinations={DESTINATIONS} seconds={seconds:.2f} "
          f"per_destination_ms={seconds * 1000 / DESTINATIONS:.1f} items={items}")
    return 0


def main() -> int:
    return asyncio.run(main_async())


if __name__ == "__main__":
    sys.exit(main())
