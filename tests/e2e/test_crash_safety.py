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
import signal
import time
from pathlib import Path

from tests.digest.conftest import feed_router
from tests.e2e.crash_helpers import (
    SlowFakeSlack,
    killable_env,
    ledger_rows,
    prepare_channels,
    serve_radar,
    wait_for,
)
from tests.loopback import serve_sources
from tests.slack.fake_slack import serve_fake

CHANNELS = 200
MAX_ITEMS = 4  # one Slack message per digest (the top message carries up to five papers)
# A few channels take more: a top message and a thread reply, one second apart (Slack's pace per channel).
THREADED = {f"C{n}" for n in (0, 50, 66, 150)}
THREADED_MAX_ITEMS = 12
HELD = "C66"  # its reply is the message Slack takes while the process is killed


async def _prepare(database_url: str, recordings: Path) -> None:
    """200 Slack channels following cs.LG, today's papers arrived, and a digest missed since two days ago."""
    await prepare_channels(database_url, recordings, {
        f"C{number}": THREADED_MAX_ITEMS if f"C{number}" in THREADED else MAX_ITEMS for number in range(CHANNELS)})


def test_sigkill_mid_digest_then_restart_delivers_every_paper_exactly_once(
    database_url: str, recordings: Path, tmp_path: Path
) -> None:
    asyncio.run(_prepare(database_url, recordings))
    fake = SlowFakeSlack(delay_s=0.03, hold_channel=HELD)
    log = tmp_path / "serve.log"
    with serve_sources(feed_router(recordings)) as sources, serve_fake(fake):
        env = killable_env(sources, database_url, fake)
        with serve_radar(env, log) as first:
            # A third of the way through, Slack takes C66's thread reply and the process dies before hearing so.
            wait_for(fake.held.is_set, 40, f"{HELD}'s thread reply", first, log)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        fake.release.set()
        before_restart = len(fake.posts())
        assert before_restart < CHANNELS, "the whole digest went out before the kill: nothing was tested"

        with serve_radar(env, log) as second:
            def every_channel_served() -> bool:
                return all(fake.posts(f"C{n}") for n in range(CHANNELS))

            wait_for(every_channel_served, 45, "every channel's digest", second, log)
            wait_for(lambda: all(s in ("done", "empty") for s in asyncio.run(ledger_rows(database_url))[1]), 15,
                  "every run to finish", second, log)
            time.sleep(0.5)  # room for a stray duplicate to show up
    ledger, runs = asyncio.run(ledger_rows(database_url))

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
