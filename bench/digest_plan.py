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

from sqlmodel import col, select

from bench._common import int_option, machine, recordings
from core.digest.plan import plan_digest, window_for
from core.sources.arxiv_feed import parse_feed
from core.storage import repos
from core.storage.db import Database, upgrade
from core.storage.models import DestinationRow, SubscriptionRow, utcnow

DESTINATIONS = int_option("channels", 1000)
CATEGORIES = ["cs.LG", "cs.CV", "cs.CL", "stat.ML", "math.PR", "hep-th", "cs.RO", "quant-ph", "cs.*", "math.CO"]
TOPICS = ["diffusion model", '"graph neural network"', "language model -survey", '"reinforcement learning"',
          "transformer OR attention", "quantum error correction", '"dark matter" -review', "protein folding"]


def subscriptions_of(channel: int) -> list[tuple[str, str]]:
    """Five categories and five topics, varied across channels so that their digests differ."""
    kinds = []
    for j in range(5):
        kinds.append(("category", CATEGORIES[(channel + j) % len(CATEGORIES)]))
        kinds.append(("topic", TOPICS[(channel * 3 + j) % len(TOPICS)]))
    return kinds


async def add_channels(db: Database, count: int) -> list[DestinationRow]:
    """The channels and their subscriptions, in bulk: at 10,000 channels the commands' one-at-a-time path
    (an atomic number per subscription) would take longer to set up than the measurement itself."""
    created = utcnow()
    async with db.session() as session:
        session.add_all(DestinationRow(platform="slack", workspace_id="T1", channel_id=f"C{i}", created_at=created,
                                          next_subscription_number=11) for i in range(count))
        await session.commit()
        rows = (await session.exec(select(DestinationRow).order_by(col(DestinationRow.id)))).all()
        for index, destination in enumerate(rows):
            assert destination.id is not None
            session.add_all(SubscriptionRow(destination_id=destination.id, number=number, kind=kind, query=query,
                                               created_at=created)
                            for number, (kind, query) in enumerate(subscriptions_of(index), start=1))
        await session.commit()
    return list(rows)


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
                await session.commit()
            destinations = await add_channels(db, DESTINATIONS)
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
