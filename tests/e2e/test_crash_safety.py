"""Crash safety, end to end: `radar serve` is killed with SIGKILL halfway through a 200-channel digest,
restarted, and every channel ends up with every paper of its digest exactly once, in order.

The real process runs against loopback fakes (the sources, and a Slack Web API that takes 30 ms to answer each
chat.postMessage), on this test's database: SQLite, or PostgreSQL when DATABASE_URL points at one. The kill
lands in the worst place: Slack has taken a thread reply whose answer never reached the process, so the
ledger still says "claimed". The restarted clock must resume that run at once (the dead process's lease is
not waited out) and must not post the reply again (the Slack sink finds it in the thread by its metadata).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import col, select

from core.config import PROJECT_ROOT
from core.digest.ingest import ingest
from core.model.context import Destination
from core.storage import repos
from core.storage.models import DeliveryRow, DestinationRow, DigestRunRow, PaperRow, SubscriptionRow
from tests.digest.conftest import THURSDAY, feed_router
from tests.e2e.crash_helpers import SlowFakeSlack
from tests.fakes import make_app
from tests.loopback import free_port, serve_sources
from tests.slack.fake_slack import serve_fake

CHANNELS = 200
MAX_ITEMS = 4  # one Slack message per digest (the top message carries up to five papers)
# A few channels take more: a top message and a thread reply, one second apart (Slack's pace per channel).
THREADED = {f"C{n}" for n in (0, 50, 66, 150)}
THREADED_MAX_ITEMS = 12
HELD = "C66"  # its reply is the message Slack takes while the process is killed
WORKSPACE = "T1"
RADAR = [sys.executable, "-m", "bots.cli", "serve"]


async def _prepare(database_url: str, recordings: Path) -> None:
    """200 Slack channels following cs.LG, today's papers arrived, and a digest missed since two days ago."""
    app = make_app(database_url, feed_router(recordings), now=THURSDAY)
    try:
        async with app.db.session() as session:
            for number in range(CHANNELS):
                destination = await repos.ensure_destination(session, Destination("slack", WORKSPACE, f"C{number}"))
                destination.max_items = THREADED_MAX_ITEMS if f"C{number}" in THREADED else MAX_ITEMS
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


async def _ledger(database_url: str) -> tuple[dict[str, list[tuple[str, str]]], list[str]]:
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


@contextmanager
def _serve(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
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


def _wait(condition, within: float, what: str, process: subprocess.Popen[bytes], log: Path) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"radar serve exited ({process.returncode}) while waiting for {what}:\n"
                                 + log.read_text(errors="replace")[-4000:])
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n" + log.read_text(errors="replace")[-4000:])
        time.sleep(0.02)


def test_sigkill_mid_digest_then_restart_delivers_every_paper_exactly_once(
    database_url: str, recordings: Path, tmp_path: Path
) -> None:
    asyncio.run(_prepare(database_url, recordings))
    fake = SlowFakeSlack(delay_s=0.03, hold_channel=HELD)
    log = tmp_path / "serve.log"
    with serve_sources(feed_router(recordings)) as sources, serve_fake(fake):
        env = {**os.environ, **sources, "DATABASE_URL": database_url, "SLACK_BOT_TOKEN": "xoxb-crash-test",
               "SLACK_SIGNING_SECRET": "crash-test-secret", "SLACK_API_URL": fake.api_url,
               "RADAR_ARXIV_INTERVAL": "0", "RADAR_LOG_LEVEL": "INFO",
               # One catch-up digest at a time, so that the kill interrupts exactly the held run (start-up
               # runs many at once by default; tests/e2e/test_clock_processes.py covers that).
               "RADAR_DIGEST_CONCURRENCY": "1"}
        with _serve(env, log) as first:
            # A third of the way through, Slack takes C66's thread reply and the process dies before hearing so.
            _wait(fake.held.is_set, 40, f"{HELD}'s thread reply", first, log)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        fake.release.set()
        before_restart = len(fake.posts())
        assert before_restart < CHANNELS, "the whole digest went out before the kill: nothing was tested"

        with _serve(env, log) as second:
            def every_channel_served() -> bool:
                return all(fake.posts(f"C{n}") for n in range(CHANNELS))

            _wait(every_channel_served, 45, "every channel's digest", second, log)
            _wait(lambda: all(s in ("done", "empty") for s in asyncio.run(_ledger(database_url))[1]), 15,
                  "every run to finish", second, log)
            time.sleep(0.5)  # room for a stray duplicate to show up
    ledger, runs = asyncio.run(_ledger(database_url))

    assert len(runs) == CHANNELS, f"{len(runs)} digest runs for {CHANNELS} channels"
    duplicated, missing, disordered = {}, {}, {}
    for n in range(CHANNELS):
        channel = f"C{n}"
        rows = ledger.get(channel, [])
        assert rows and all(state == "sent" for _, state in rows), (channel, rows)
        expected = [arxiv_id for arxiv_id, _ in rows]
        received = fake.arxiv_ids(channel)
        if len(received) != len(set(received)):
            duplicated[channel] = len(fake.posts(channel))
        if set(expected) - set(received):
            missing[channel] = sorted(set(expected) - set(received))
        if list(dict.fromkeys(received)) != expected:
            disordered[channel] = (received, expected)
    assert not duplicated, (
        f"{len(duplicated)} channel(s) got a paper twice (messages per channel: {duplicated}); "
        f"{before_restart} messages were accepted before the kill")
    assert not missing, missing
    assert not disordered, disordered
    # One message per digest, two in the threaded channels: none sent twice.
    assert len(fake.posts()) == CHANNELS + len(THREADED)
    for channel in THREADED:
        top, reply = fake.posts(channel)
        assert "thread_ts" not in top and reply["thread_ts"] == top["_ts"]
        assert len(fake.arxiv_ids(channel)) == THREADED_MAX_ITEMS
    # The interrupted run was resumed at once, looked in its thread, and found the reply Slack already had.
    lookups = fake.called("conversations.replies")
    assert [c.params.get("channel") for c in lookups] == [HELD], lookups
    print(f"accepted before the kill: {before_restart}; resumed thread lookups: {len(lookups)}")
