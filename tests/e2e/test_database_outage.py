"""A real PostgreSQL stopped for ten seconds in the middle of a digest burst, then started again.

Thirty Slack channels are due at once, each a three-message digest (5 + 10 + 10 papers). A third of the way
through, the database server goes down (`pg_ctl stop -m immediate`): messages Slack has taken cannot be marked,
digests not yet claimed cannot start. Ten seconds later it is back. The clock's ticks then finish every
interrupted run (looking in each thread for what Slack already has) and start every digest that never got a run.
In the end every channel has every paper exactly once, each marked with the message that carried it, and the
outage left warning lines in the log, not tracebacks.

The test runs its own PostgreSQL server (on a free loopback port, in a temporary directory), so stopping it
touches nothing else; it is skipped where PostgreSQL's server programs are not installed.
"""

from __future__ import annotations

import asyncio
import glob
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bots.slack.sink import ChannelPacer, SlackSink
from core.app import set_current_app
from core.digest import schedule
from core.storage.db import upgrade
from core.storage.models import DeliveryRow, DestinationRow, DigestRunRow, PaperRow
from tests.e2e.crash_helpers import ARXIV_LINK, prepare_channels
from tests.fakes import make_app
from tests.loopback import free_port
from tests.slack.fake_slack import FakeSlack, serve_fake

CHANNELS = {f"C{n}": 25 for n in range(30)}
OUTAGE_S = 10


class PostgresServer:
    """A throwaway PostgreSQL server on loopback, which the test may stop and start."""

    def __init__(self, bin_dir: str, data: str, port: int) -> None:
        self.bin_dir, self.data, self.port = bin_dir, data, port
        # initdb and the server refuse to run as root.
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run([*self.prefix, f"{self.bin_dir}/pg_ctl", "-D", self.data, *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)

    def start(self) -> None:
        self._ctl("-w", "-l", f"{self.data}/server.log", "-o",
                  f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.data} -c fsync=off", "start")

    def stop(self) -> None:
        self._ctl("-m", "immediate", "stop")


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or ([shutil.which("initdb")] if shutil.which(
        "initdb") else [])
    if not bins or (os.geteuid() == 0 and not shutil.which("runuser")):
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    bin_dir = str(Path(bins[-1]).parent)
    data = tempfile.mkdtemp(prefix="radar-outage-pg.")
    server = PostgresServer(bin_dir, data, free_port())
    if server.prefix:
        shutil.chown(data, "postgres", "postgres")
    subprocess.run([*server.prefix, f"{bin_dir}/initdb", "-D", data, "-A", "trust", "-U", "postgres"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    server.start()
    try:
        yield server
    finally:
        try:
            server.stop()
        except subprocess.SubprocessError:
            pass
        shutil.rmtree(data, ignore_errors=True)


async def _due_now(url: str) -> None:
    """Every channel's slot was five minutes ago (its job would be firing now), and today's papers are in."""
    app = make_app(url)
    slot = datetime.now(UTC) - timedelta(minutes=5)
    try:
        async with app.db.session() as session:
            await session.execute(update(DestinationRow).values(timezone="UTC", digest_time=f"{slot:%H:%M}"))
            await session.commit()
    finally:
        await app.aclose()


async def _burst_with_outage(server: PostgresServer, fake: FakeSlack) -> tuple[int, float]:
    """The burst, the outage in its middle, then ticks until every run is done; returns the messages Slack had
    taken when the database went down, and the seconds from its return to the last digest finished."""
    app = make_app(server.url, now=datetime.now(UTC), RADAR_DIGEST_CONCURRENCY="10")

    async def token(team: str) -> str:
        return "xoxb-outage-test"

    app.sinks["slack"] = sink = SlackSink(token, base_url=fake.api_url, pacer=ChannelPacer(0.3))
    set_current_app(app)
    try:
        async with app.db.session() as session:
            ids = [d.id for d in (await session.exec(select(DestinationRow))).all()]
        burst = asyncio.gather(*(schedule.digest_job(i) for i in ids))
        for _ in range(3000):  # a third of the way through
            if len(fake.posts()) >= 20:
                break
            await asyncio.sleep(0.01)
        at_outage = len(fake.posts())
        await asyncio.to_thread(server.stop)
        await asyncio.sleep(OUTAGE_S)
        await asyncio.to_thread(server.start)
        back = time.monotonic()
        await burst  # every job ended, none raised
        for _ in range(20):  # the clock's ticks (a minute apart in production; back to back here)
            await schedule.tick_job()
            await schedule.tick_work_done()
            async with app.db.session() as session:
                states = (await session.exec(select(DigestRunRow.state))).all()
            if len(states) == len(ids) and set(states) == {"done"}:
                break
            await asyncio.sleep(0.2)
        return at_outage, time.monotonic() - back
    finally:
        set_current_app(None)
        await sink.aclose()
        await app.aclose()


async def _ledger(url: str) -> tuple[dict[str, dict[str, tuple[str, str | None]]], list[str]]:
    app = make_app(url)
    try:
        async with app.db.session() as session:
            rows = (await session.exec(
                select(DestinationRow.channel_id, PaperRow.arxiv_id, DeliveryRow.state, DeliveryRow.message_id)
                .join(DeliveryRow, col(DeliveryRow.destination_id) == col(DestinationRow.id))
                .join(PaperRow, col(PaperRow.id) == col(DeliveryRow.paper_id))
            )).all()
            runs = (await session.exec(select(DigestRunRow.state))).all()
    finally:
        await app.aclose()
    ledger: dict[str, dict[str, tuple[str, str | None]]] = {}
    for channel, arxiv_id, state, message in rows:
        ledger.setdefault(channel, {})[arxiv_id or ""] = (state, message)
    return ledger, list(runs)


def test_a_ten_second_database_outage_mid_burst_loses_and_repeats_nothing(
    recordings: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with postgres_server() as server, serve_fake(FakeSlack()) as fake:
        upgrade(server.url)
        asyncio.run(prepare_channels(server.url, recordings, CHANNELS))
        asyncio.run(_due_now(server.url))
        at_outage, recover_s = asyncio.run(_burst_with_outage(server, fake))
        ledger, runs = asyncio.run(_ledger(server.url))

    assert 20 <= at_outage < 3 * len(CHANNELS), "the outage did not fall in the middle of the burst"
    assert sorted(runs) == ["done"] * len(CHANNELS)
    for channel in CHANNELS:
        messages = [(post["_ts"], list(dict.fromkeys(ARXIV_LINK.findall(str(post.get("blocks"))))))
                    for post in fake.posts(channel)]
        assert [len(papers) for _, papers in messages] == [5, 10, 10], (channel, messages)
        posted = {paper: ts for ts, papers in messages for paper in papers}
        assert len(posted) == 25 and ledger[channel] == {p: ("sent", ts) for p, ts in posted.items()}, channel
    tracebacks = [r for r in caplog.records if r.exc_info and r.levelno >= logging.INFO]
    assert tracebacks == [], [f"{r.name}: {r.getMessage()}" for r in tracebacks][:5]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) <= 3 * len(CHANNELS), [r.getMessage() for r in warnings][:10]
    print(f"accepted before the outage: {at_outage}; warnings: {len(warnings)}; recovered in {recover_s:.1f} s")

