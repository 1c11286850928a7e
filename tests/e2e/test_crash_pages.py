"""Crash safety with long digests, end to end: `radar serve` is killed with SIGKILL while Slack holds its answer to
message 2 of a 3-message digest (5 + 10 + 10 papers), then restarted.

Slack has message 2; the ledger never heard so. The restarted clock resumes the run with the messages it was cut
into when it claimed its papers, finds message 2 in the thread by its run, page and papers, marks exactly those
ten papers with it, and posts message 3. Every paper marked sent was really posted, in the message the ledger
names; none is lost and none goes out twice.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from tests.digest.conftest import feed_router
from tests.e2e.crash_helpers import (
    SlowFakeSlack,
    carried,
    killable_env,
    prepare_channels,
    sent_ledger,
    serve_radar,
    wait_for,
)
from tests.loopback import serve_sources
from tests.slack.fake_slack import serve_fake

LONG = {"C3", "C7", "C12"}  # 25 papers: the top message with 5, then 10 and 10 in its thread
CHANNELS = {f"C{n}": 25 if f"C{n}" in LONG else 4 for n in range(20)}
HELD = "C7"  # Slack takes its message 2 and holds the answer while the process is killed


def test_sigkill_while_slack_holds_message_two_of_three_then_restart(
    database_url: str, recordings: Path, tmp_path: Path
) -> None:
    asyncio.run(prepare_channels(database_url, recordings, CHANNELS))
    fake = SlowFakeSlack(delay_s=0.03, hold_channel=HELD)
    log = tmp_path / "serve.log"
    with serve_sources(feed_router(recordings)) as sources, serve_fake(fake):
        env = killable_env(sources, database_url, fake)
        with serve_radar(env, log) as first:
            wait_for(fake.held.is_set, 40, f"{HELD}'s second message", first, log)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        fake.release.set()
        assert [len(papers) for _, papers in carried(fake, HELD)] == [5, 10]
        before = asyncio.run(sent_ledger(database_url))[0][HELD]
        assert sorted(state for state, _ in before.values()) == ["claimed"] * 20 + ["sent"] * 5

        with serve_radar(env, log) as second:
            wait_for(lambda: all(fake.posts(c) for c in CHANNELS), 45, "every channel's digest", second, log)
            wait_for(lambda: all(s in ("done", "empty") for s in asyncio.run(sent_ledger(database_url))[1]), 20,
                     "every run to finish", second, log)
            time.sleep(0.5)  # room for a stray duplicate to show up
    ledger, runs = asyncio.run(sent_ledger(database_url))

    assert len(runs) == len(CHANNELS)
    for channel, max_items in CHANNELS.items():
        messages = carried(fake, channel)
        assert [len(papers) for _, papers in messages] == ([5, 10, 10] if max_items == 25 else [4]), channel
        posted = {paper: ts for ts, papers in messages for paper in papers}
        assert sum(len(papers) for _, papers in messages) == len(posted) == max_items, channel  # none twice
        # Every paper the ledger counts as sent went out, in the very message it names; none was lost.
        assert ledger[channel] == {paper: ("sent", ts) for paper, ts in posted.items()}, channel
    assert [c.params.get("channel") for c in fake.called("conversations.replies")] == [HELD]
