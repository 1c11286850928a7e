"""Helpers for the crash and outage tests (and bench/crash.py): a slow Slack fake that keeps channel history, a
database seeder, `radar serve` run as a real process, a throwaway PostgreSQL server to stop and start, and what
the ledger and Slack each say was sent.

The fake records a chat.postMessage as accepted *before* it answers, then waits `delay_s`: a process killed
while the answer is on its way leaves a message Slack has taken that the ledger has not marked sent. That is
the window the crash test aims at. conversations.history / conversations.replies answer from what was posted
(the base fake does that).
"""

from __future__ import annotations

import asyncio
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import Response

from core.config import PROJECT_ROOT
from core.digest.ingest import ingest
from core.model.context import Destination
from core.storage import repos
from core.storage.models import DeliveryRow, DestinationRow, DigestRunRow, PaperRow, SubscriptionRow
from tests.digest.conftest import THURSDAY, feed_router
from tests.fakes import make_app
from tests.loopback import free_port
from tests.slack.fake_slack import FakeSlack

WORKSPACE = "T1"
RADAR = [sys.executable, "-m", "bots.cli", "serve"]

ARXIV_LINK = re.compile(r"arxiv\.org/abs/([0-9]{4}\.[0-9]{4,5})")


@dataclass
class SlowFakeSlack(FakeSlack):
    delay_s: float = 0.03
    # The first thread reply posted in this channel is accepted, then its answer is held back until `release`
    # is set: the test kills the process meanwhile, so Slack has a message the ledger never marked sent.
    hold_channel: str | None = None  # (`held` and `release` are the base fake's)

    async def _api(self, request: Request) -> Response:
        response = await super()._api(request)
        if request.path_params["method"] == "chat.postMessage":
            await asyncio.sleep(self.delay_s)  # accepted and recorded; the answer is still on its way
            replies = [p for p in self.posts(self.hold_channel) if p.get("thread_ts")] if self.hold_channel else []
            if len(replies) == 1 and not self.held.is_set():
                self.held.set()
                await asyncio.to_thread(self.release.wait, 30)  # set by the test thread once it has killed
        return response

    def arxiv_ids(self, channel: str) -> list[str]:
        """The arXiv ids of the papers a channel received, in message order (each message's blocks)."""
        found: list[str] = []
        for params in self.posts(channel):
            found += ARXIV_LINK.findall(str(params.get("blocks") or params.get("text") or ""))
        return found


async def prepare_channels(database_url: str, recordings: Path, channels: dict[str, int],
                           workspace: str = WORKSPACE) -> None:
    """Slack channels (channel id -> its max papers) following cs.LG, today's papers arrived, and a digest missed
    since two days ago (so a starting clock catches every channel up at once)."""
    app = make_app(database_url, feed_router(recordings), now=THURSDAY)
    try:
        async with app.db.session() as session:
            for channel, max_items in channels.items():
                destination = await repos.ensure_destination(session, Destination("slack", workspace, channel))
                destination.max_items = max_items
                destination.weekdays, destination.digest_time = "mon-sun", "08:00"
                session.add(destination)
                await session.flush()
                assert destination.id is not None
                session.add(SubscriptionRow(destination_id=destination.id, number=1, kind="category",
                                               query="cs.LG"))
            await session.commit()
        report = await ingest(app, researchers=False)
        assert report.stored > 0, report
        now = datetime.now(UTC)
        async with app.db.session() as session:
            await session.execute(update(PaperRow).values(arrived_at=now - timedelta(hours=1)))
            await session.execute(update(DestinationRow).values(
                created_at=now - timedelta(days=10), last_digest_at=now - timedelta(days=2)))
            await session.commit()
    finally:
        await app.aclose()


async def ledger_rows(database_url: str) -> tuple[dict[str, list[tuple[str, str]]], list[str]]:
    """Per channel, its delivery rows in position order as (arXiv id, state); and every run's state."""
    app = make_app(database_url)
    try:
        async with app.db.session() as session:
            rows = (await session.exec(
                select(DestinationRow.channel_id, PaperRow.arxiv_id, DeliveryRow.state)
                .join(DeliveryRow, col(DeliveryRow.destination_id) == col(DestinationRow.id))
                .join(PaperRow, col(PaperRow.id) == col(DeliveryRow.paper_id))
                .order_by(col(DeliveryRow.destination_id), col(DeliveryRow.run_id), col(DeliveryRow.position))
            )).all()
            runs = (await session.exec(select(DigestRunRow.state))).all()
    finally:
        await app.aclose()
    ledger: dict[str, list[tuple[str, str]]] = {}
    for channel, arxiv_id, state in rows:
        ledger.setdefault(channel, []).append((arxiv_id or "", state))
    return ledger, list(runs)


def killable_env(sources: dict[str, str], database_url: str, fake: FakeSlack) -> dict[str, str]:
    """The environment of a `radar serve` that a test kills mid-digest and starts again: the loopback sources and
    Slack, and one catch-up digest at a time, so that the kill interrupts exactly the held run (start-up runs
    many at once by default; tests/e2e/test_clock_processes.py covers that)."""
    return {**os.environ, **sources, "DATABASE_URL": database_url, "SLACK_BOT_TOKEN": "xoxb-crash-test",
            "SLACK_SIGNING_SECRET": "crash-test-secret", "SLACK_API_URL": fake.api_url,
            "RADAR_ARXIV_INTERVAL": "0", "RADAR_LOG_LEVEL": "INFO", "RADAR_DIGEST_CONCURRENCY": "1"}


@contextmanager
def serve_radar(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        process = subprocess.Popen([*RADAR, "--port", str(free_port())], stdout=out, stderr=subprocess.STDOUT,
                                   cwd=PROJECT_ROOT, env=env)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(condition, within: float, what: str, process: subprocess.Popen[bytes], log: Path) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"radar serve exited ({process.returncode}) while waiting for {what}:\n"
                                 + log.read_text(errors="replace")[-4000:])
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n" + log.read_text(errors="replace")[-4000:])
        time.sleep(0.02)


async def sent_ledger(database_url: str) -> tuple[dict[str, dict[str, tuple[str, str | None]]], list[str]]:
    """Per channel, arXiv id -> (state, message ts) of each of its deliveries; and every run's state."""
    app = make_app(database_url)
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


def carried(fake: FakeSlack, channel: str) -> list[tuple[str, list[str]]]:
    """Each message Slack took in a channel: its ts and the arXiv ids of the papers it carried, in order."""
    return [(post["_ts"], list(dict.fromkeys(ARXIV_LINK.findall(str(post.get("blocks") or post.get("text"))))))
            for post in fake.posts(channel)]


def find_postgres() -> str | None:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl), if they are installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [p for p in [shutil.which("initdb")] if p]
    if not found or (os.geteuid() == 0 and not shutil.which("runuser")):
        return None
    return str(Path(found[-1]).parent)


class PostgresServer:
    """A throwaway PostgreSQL server on a free loopback port, which a test may stop and start."""

    def __init__(self, bin_dir: str, data: str) -> None:
        self.bin_dir, self.data, self.port = bin_dir, data, free_port()
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []  # it refuses root

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        subprocess.run([*self.prefix, f"{self.bin_dir}/{program}", *args], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120)

    def start(self) -> None:
        self._run("pg_ctl", "-D", self.data, "-w", "-l", f"{self.data}/server.log", "-o",
                  f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.data} -c fsync=off", "start")

    def stop(self) -> None:
        """As abruptly as a crash or a network cut: every connection is dropped, nothing is flushed politely."""
        self._run("pg_ctl", "-D", self.data, "-m", "immediate", "stop")


@contextmanager
def postgres_server(bin_dir: str) -> Iterator[PostgresServer]:
    data = tempfile.mkdtemp(prefix="radar-outage-pg.")
    server = PostgresServer(bin_dir, data)
    if server.prefix:
        shutil.chown(data, "postgres", "postgres")
    server._run("initdb", "-D", data, "-A", "trust", "-U", "postgres")
    server.start()
    try:
        yield server
    finally:
        try:
            server.stop()
        except subprocess.SubprocessError:
            pass
        shutil.rmtree(data, ignore_errors=True)


@dataclass
class Burst:
    at_outage: int = 0  # messages Slack had taken when the database went down
    recover_s: float = 0.0  # from the database's return (or the burst's start) to the last run done
    runs_done: bool = False


async def clock_burst(database_url: str, fake: FakeSlack, *, pacer_s: float, concurrency: int,
                      outage: tuple[PostgresServer, int, float] | None = None,
                      tick_every: float | None = None) -> Burst:
    """Every channel's digest job at once, run in this process as the clock runs them (bounded by `concurrency`)
    through the real Slack sink into `fake`. `outage` = (server, after this many messages, for this many seconds)
    stops the database in the middle; `tick_every` runs the clock's tick meanwhile. Then ticks (back to back, a
    minute apart in production) until every run is done."""
    from bots.slack.sink import ChannelPacer, SlackSink
    from core.app import set_current_app
    from core.digest import schedule

    app = make_app(database_url, now=datetime.now(UTC), RADAR_DIGEST_CONCURRENCY=str(concurrency))

    async def token(team: str) -> str:
        return "xoxb-burst"

    app.sinks["slack"] = sink = SlackSink(token, base_url=fake.api_url, pacer=ChannelPacer(pacer_s))
    set_current_app(app)
    report = Burst()
    try:
        async with app.db.session() as session:
            ids = [d.id for d in (await session.exec(select(DestinationRow))).all()]
        started = time.monotonic()
        burst = asyncio.gather(*(schedule.digest_job(i) for i in ids))
        if outage is not None:
            server, after, seconds = outage
            for _ in range(6000):
                if len(fake.posts()) >= after:
                    break
                await asyncio.sleep(0.01)
            report.at_outage = len(fake.posts())
            await asyncio.to_thread(server.stop)
            await asyncio.sleep(seconds)
            await asyncio.to_thread(server.start)
            started = time.monotonic()
        while tick_every is not None and not burst.done():
            await asyncio.sleep(tick_every)
            await schedule.tick_job()
        await burst
        for _ in range(30):
            await schedule.tick_job()
            await schedule.tick_work_done()
            async with app.db.session() as session:
                states = (await session.exec(select(DigestRunRow.state))).all()
            if len(states) >= len(ids) and set(states) <= {"done", "empty"}:
                report.runs_done = True
                break
            await asyncio.sleep(0.2)
        report.recover_s = time.monotonic() - started
        return report
    finally:
        set_current_app(None)
        await sink.aclose()
        await app.aclose()


async def due_now(database_url: str) -> None:
    """Every channel's slot was five minutes ago: its job would be firing now, and a tick may serve it."""
    app = make_app(database_url)
    slot = datetime.now(UTC) - timedelta(minutes=5)
    try:
        async with app.db.session() as session:
            await session.execute(update(DestinationRow).values(timezone="UTC", digest_time=f"{slot:%H:%M}"))
            await session.commit()
    finally:
        await app.aclose()
