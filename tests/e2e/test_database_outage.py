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
import logging
from pathlib import Path

import pytest

from core.storage.db import upgrade
from tests.e2e.crash_helpers import (
    carried,
    clock_burst,
    due_now,
    find_postgres,
    postgres_server,
    prepare_channels,
    sent_ledger,
)
from tests.slack.fake_slack import FakeSlack, serve_fake

CHANNELS = {f"C{n}": 25 for n in range(30)}


def test_a_ten_second_database_outage_mid_burst_loses_and_repeats_nothing(
    recordings: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bin_dir = find_postgres()
    if bin_dir is None:
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    caplog.set_level(logging.INFO)
    with postgres_server(bin_dir) as server, serve_fake(FakeSlack()) as fake:
        upgrade(server.url)
        asyncio.run(prepare_channels(server.url, recordings, CHANNELS))
        asyncio.run(due_now(server.url))
        burst = asyncio.run(clock_burst(server.url, fake, pacer_s=0.3, concurrency=10, outage=(server, 20, 10.0)))
        ledger, runs = asyncio.run(sent_ledger(server.url))

    assert 20 <= burst.at_outage < 3 * len(CHANNELS), "the outage did not fall in the middle of the burst"
    assert burst.runs_done and sorted(runs) == ["done"] * len(CHANNELS)
    for channel in CHANNELS:
        messages = carried(fake, channel)
        assert [len(papers) for _, papers in messages] == [5, 10, 10], (channel, messages)
        posted = {paper: ts for ts, papers in messages for paper in papers}
        assert len(posted) == 25 and ledger[channel] == {p: ("sent", ts) for p, ts in posted.items()}, channel
    tracebacks = [r for r in caplog.records if r.exc_info and r.levelno >= logging.INFO]
    assert tracebacks == [], [f"{r.name}: {r.getMessage()}" for r in tracebacks][:5]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) <= 3 * len(CHANNELS), [r.getMessage() for r in warnings][:10]
    print(f"accepted before the outage: {burst.at_outage}; warnings: {len(warnings)}; "
          f"recovered in {burst.recover_s:.1f} s")
