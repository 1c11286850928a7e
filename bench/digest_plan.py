"""The clock's real path when many channels' digests fire in the same minute: plan and claim them from the
database (`claim_runs`: set-based reads, one shared index, bulk claims), as the clock does before delivering.

The real 1,504-paper day, 10 subscriptions per channel as `bench/digest.py` makes them, Slack's own pagination.
The database is `DATABASE_URL` (a PostgreSQL server you started: the bench makes its own database on it and
drops it after) or, without it, a temporary SQLite file. `--channels N` (default 1000). Compared with the batch
build of the same subscriptions (`bench/digest.py`'s measure) as `batch_ratio`. The channels go through the
clock's own gatherer (`core.digest.gather`: batches of `CLAIM_CHUNK`, `CLAIM_IN_FLIGHT` at once); `single_ms` is the cost of one
channel planned and claimed alone (a `digest now`), on a sample. `peak_mb` is the process's maximum RSS before the batch build (setting up the channels included);
`clock_rss_mb` the highest resident memory while the channels were planned and claimed.
Ends with `BENCH digest_plan destinations=<n> seconds=<t> per_destination_ms=<t> db=<sqlite|postgresql>
batch_ratio=<r> ...`.
"""

from __future__ import annotations

import asyncio
import gc
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from bench._common import int_option, machine, recordings
from bench.digest import PER_DESTINATION, generate, load
from bots.slack.sink import SlackSink
from core.bootstrap import build_app
from core.config import Settings
from core.digest.deliver import CLAIM_CHUNK, CLAIM_IN_FLIGHT, RunRequest, claim_runs
from core.digest.gather import Gatherer
from core.digest.matching import DigestOptions, SubscriptionSpec, build_digests
from core.digest.plan import plan_many, window_for
from core.model.papers import PaperRecord
from core.sources.arxiv_feed import parse_feed
from core.storage import digest_inputs, repos
from core.storage.db import Database, upgrade
from core.storage.models import DestinationRow, SubscriptionRow, utcnow

DESTINATIONS = int_option("channels", 1000)


async def add_channels(db: Database, papers: list[PaperRecord], count: int) -> tuple[list[int], list[SubscriptionSpec],
                                                                                    dict[int, DigestOptions]]:
    """`count` channels with `bench/digest.py`'s subscriptions (ten each: 60% topics, 20% categories, 20%
    researchers, shared across channels by a Zipf law), stored in bulk with Core statements: at 100,000 channels
    the commands' one-at-a-time path would take far longer than the measurement itself."""
    rows, options = generate(papers, count * PER_DESTINATION)
    created = utcnow()
    channels = DestinationRow.__table__  # type: ignore[attr-defined]
    subscriptions = SubscriptionRow.__table__  # type: ignore[attr-defined]
    defaults = {c.name: c.default.arg for c in channels.columns
                if c.default is not None and not callable(c.default.arg)}
    async with db.session() as session:
        result = await session.execute(insert(channels).returning(channels.c.id, sort_by_parameter_order=True), [
            {**defaults, "platform": "slack", "workspace_id": "T1", "channel_id": f"C{n}", "created_at": created,
             "next_subscription_number": PER_DESTINATION + 1,
             "include_crosslists": options[n].include_crosslists, "include_updates": options[n].include_updates}
            for n in sorted(options)])
        ids = dict(zip(sorted(options), (row[0] for row in result.all()), strict=True))
        await session.execute(insert(subscriptions), [
            {"destination_id": ids[row["destination_id"]], "number": row["number"], "kind": row["kind"],
             "query": row.get("query"), "display_name": row.get("display_name"),
             "name_variants": list(row.get("name_variants", ())), "openalex_id": row.get("openalex_id"),
             "created_at": created}
            for row in rows])
        await session.commit()
    return list(ids.values()), load(rows), options


SAMPLE = 200  # channels planned and claimed one at a time, for `single_ms`


def _fresh_database(folder: str) -> tuple[str, str | None]:
    """(url, database to drop after): a new database on the server `DATABASE_URL` names, else a SQLite file."""
    given = os.environ.get("DATABASE_URL", "")
    if not given.startswith("postgres"):
        return f"sqlite:///{folder}/bench.db", None
    name = f"radar_bench_{os.getpid()}"
    server = make_url(given.replace("postgres://", "postgresql://", 1)).set(drivername="postgresql+psycopg")
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server.set(database=name).render_as_string(hide_password=False), name


def _drop(name: str | None) -> None:
    if name is None:
        return
    server = make_url(os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)).set(
        drivername="postgresql+psycopg")
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _batch_seconds(papers: list[PaperRecord], specs: list[SubscriptionSpec],
                   options: dict[int, DigestOptions]) -> float:
    """`bench/digest.py`'s batch build (index, match, dedupe, rank) of the same subscriptions, best of 2."""
    best = float("inf")
    for _ in range(2):
        gc.collect()  # from a collected heap, as the clock's figure is
        started = time.perf_counter()
        build_digests(papers, specs, options)
        best = min(best, time.perf_counter() - started)
    return best


async def main_async() -> int:
    feed = parse_feed((recordings() / "arxiv_rss" / "rss_all_archives_2024-11-28.xml").read_bytes())
    with tempfile.TemporaryDirectory() as folder:
        url, dropped = _fresh_database(folder)
        try:
            upgrade(url)
            settings = Settings(_env_file=None, DATABASE_URL=url)  # type: ignore[call-arg]
            app = build_app(settings, sinks={"slack": SlackSink(_no_tokens, base_url="http://127.0.0.1:9/api/")})
            db = app.db
            now = datetime.now(UTC)
            try:
                async with db.session() as session:
                    await repos.upsert_papers(session, list(feed.items), now=now - timedelta(hours=2))
                    await session.commit()
                everyone, specs, options = await add_channels(db, list(feed.items), DESTINATIONS + SAMPLE)
                ids, sample = everyone[:DESTINATIONS], everyone[DESTINATIONS:]
                # Planning alone (reads only), as `digest preview` of every channel would.
                started = time.perf_counter()
                async with db.session() as session:
                    items = 0
                    for first in range(0, len(ids), CLAIM_CHUNK):
                        channels = await digest_inputs.digest_channels(session, ids[first:first + CLAIM_CHUNK])
                        plans = await plan_many(session, list(channels.values()),
                                                {i: window_for(c, now) for i, c in channels.items()})
                        items += sum(len(p.items) for p in plans.values())
                        del plans
                plan_s = time.perf_counter() - started
                # The clock's path: every channel's job of the minute hands its channel to the clock's gatherer,
                # which plans and claims them in batches, `CLAIM_IN_FLIGHT` under way at once (each batch's runs
                # go on to be delivered, and are then let go).
                clock_mb = _rss_mb()

                async def claim_batch(batch: list[int]) -> dict[int, object]:
                    nonlocal clock_mb
                    claimed = await claim_runs(app, [RunRequest(i) for i in batch])
                    clock_mb = max(clock_mb, _rss_mb())
                    return dict(claimed)

                gatherer = Gatherer(claim_batch, gather_s=0, most=CLAIM_CHUNK, in_flight=CLAIM_IN_FLIGHT)
                # The planning-only pass above left a million-odd dead objects behind: collected now, or the full
                # collection they bring on (a second, walking the matcher's shared tables too) would land in the
                # clock's figure, though the clock never runs that pass.
                gc.collect()
                started = time.perf_counter()
                answers = await asyncio.gather(*(gatherer(i) for i in ids))
                seconds = time.perf_counter() - started
                runs = sum(1 for r in answers if hasattr(r, "item_count"))
                count = len(ids)
                # One at a time (a `digest now` each), on channels of their own.
                started = time.perf_counter()
                for destination_id in sample:
                    await claim_runs(app, [RunRequest(destination_id)])
                single_ms = (time.perf_counter() - started) * 1000 / len(sample)
            finally:
                await app.aclose()
        finally:
            _drop(dropped)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the batch build's own peak
    batch_s = _batch_seconds(list(feed.items), specs, options)
    backend = "postgresql" if dropped else "sqlite"
    per_ms = seconds * 1000 / count
    ratio = per_ms / (batch_s * 1000 / len(options))  # per subscription, as per channel: ten each in both
    print(f"machine: {machine()}; database: {backend}")
    print("| channels | subscriptions | matched items | plan only s | plan + claim s | per channel ms | "
          "batch build s | ratio | one at a time ms | peak MB | clock RSS MB |\n|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {count} | {count * 10} | {items} | {plan_s:.2f} | {seconds:.2f} | {per_ms:.2f} | {batch_s:.2f} | "
          f"{ratio:.1f} | {single_ms:.1f} | {peak_mb:.0f} | {clock_mb:.0f} |")
    assert runs == count, f"{count - runs} channels got no run"
    print(f"BENCH digest_plan destinations={count} seconds={seconds:.2f} per_destination_ms={per_ms:.2f} "
          f"db={backend} batch_ratio={ratio:.2f} plan_s={plan_s:.2f} single_ms={single_ms:.1f} "
          f"peak_mb={peak_mb:.0f} clock_rss_mb={clock_mb:.0f}")
    return 0


def _rss_mb() -> float:
    """The process's resident memory now (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _no_tokens(_team: str) -> str | None:
    return None


def main() -> int:
    return asyncio.run(main_async())


if __name__ == "__main__":
    sys.exit(main())
