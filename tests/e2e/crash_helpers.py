"""Helpers for the crash-safety tests: a slow Slack fake that keeps channel history, a database seeder, and
`radar serve` run as a real process.

The fake records a chat.postMessage as accepted *before* it answers, then waits `delay_s`: a process killed
while the answer is on its way leaves a message Slack has taken that the ledger has not marked sent. That is
the window the crash test aims at. conversations.history / conversations.replies answer from what was posted
(the base fake does that).
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
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
