"""Crash and outage scenarios at 200 channels: does every channel get every paper of its digest exactly once?

Every channel follows cs.LG over the real arXiv feed of 2024-11-28; one in ten gets a three-message digest
(5 + 10 + 10 papers), the others one message of 4. Slack is the loopback fake, which keeps channel history.

1. `kill`: `radar serve` (a real process, SQLite) is killed with SIGKILL while Slack holds its answer to
   message 2 of a long digest, then started again.
2. `tick`: the clock's tick runs every 0.3 s during the burst, in the process that is delivering it.
3. `outage`: a PostgreSQL server of its own is stopped for 10 s a third of the way through the burst, then
   started again; the clock's ticks finish the rest. Skipped where PostgreSQL's server programs are missing.

For each: duplicates (papers a channel got more than once), lost (papers the ledger does not count as sent in
the message that carried them, or that never went out), skipped channels (no digest at all), and the seconds
from the fault's end to the last digest done. Ends with
`BENCH crash scenarios=<n> duplicates=<n> lost=<n> skipped_channels=<n> recover_s=<worst>`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import int_option, recordings  # noqa: E402  (the project root goes first)

CHANNELS = int_option("channels", 200)
PLAN = {f"C{n}": 25 if n % 10 == 0 else 4 for n in range(CHANNELS)}
HELD = "C10"


def judge(name: str, database_url: str, fake: object, recover_s: float) -> tuple[int, int, int, float]:
    from tests.e2e.crash_helpers import carried, sent_ledger

    ledger, _runs = asyncio.run(sent_ledger(database_url))
    duplicates = lost = skipped = 0
    for channel in PLAN:
        messages = carried(fake, channel)  # type: ignore[arg-type]
        posted = Counter(paper for _, papers in messages for paper in papers)
        duplicates += sum(count - 1 for count in posted.values())
        skipped += not messages
        ts_of = {paper: ts for ts, papers in messages for paper in papers}
        rows = ledger.get(channel, {})
        lost += sum(state != "sent" or ts_of.get(paper) != message for paper, (state, message) in rows.items())
        lost += len(set(ts_of) - set(rows))  # posted without the ledger knowing (would come again)
    print(f"{name}: duplicates={duplicates} lost={lost} skipped_channels={skipped} recover_s={recover_s:.1f}",
          flush=True)
    return duplicates, lost, skipped, recover_s


def kill(folder: Path) -> tuple[int, int, int, float]:
    from core.storage.db import upgrade
    from tests.digest.conftest import feed_router
    from tests.e2e.crash_helpers import SlowFakeSlack, prepare_channels, sent_ledger, serve_radar, wait_for
    from tests.loopback import serve_sources
    from tests.slack.fake_slack import serve_fake

    url = f"sqlite:///{folder}/kill.db"
    upgrade(url)
    asyncio.run(prepare_channels(url, recordings(), PLAN))
    fake = SlowFakeSlack(delay_s=0.03, hold_channel=HELD)
    log = folder / "kill.log"
    with serve_sources(feed_router(recordings())) as sources, serve_fake(fake):
        env = {**os.environ, **sources, "DATABASE_URL": url, "SLACK_BOT_TOKEN": "xoxb-bench",
               "SLACK_SIGNING_SECRET": "bench-secret", "SLACK_API_URL": fake.api_url, "RADAR_ARXIV_INTERVAL": "0"}
        with serve_radar(env, log) as first:
            wait_for(fake.held.is_set, 120, f"{HELD}'s second message", first, log)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        fake.release.set()
        started = time.monotonic()

        def finished() -> bool:
            runs = asyncio.run(sent_ledger(url))[1]
            return len(runs) == len(PLAN) and set(runs) <= {"done", "empty"}

        with serve_radar(env, log) as second:
            wait_for(finished, 300, "every digest", second, log)
            recover_s = time.monotonic() - started
            time.sleep(1)  # room for a stray duplicate
    return judge("kill", url, fake, recover_s)


def in_process(name: str, url: str, *, tick_every: float | None = None,
               server: object = None) -> tuple[int, int, int, float]:
    from core.storage.db import upgrade
    from tests.e2e.crash_helpers import clock_burst, due_now, prepare_channels
    from tests.slack.fake_slack import FakeSlack, serve_fake

    upgrade(url)
    asyncio.run(prepare_channels(url, recordings(), PLAN))
    asyncio.run(due_now(url))
    with serve_fake(FakeSlack()) as fake:
        outage = (server, len(PLAN) // 3, 10.0) if server is not None else None
        burst = asyncio.run(clock_burst(url, fake, pacer_s=0.3, concurrency=50, outage=outage,  # type: ignore[arg-type]
                                        tick_every=tick_every))
    if not burst.runs_done:
        print(f"{name}: some runs never finished", flush=True)
    return judge(name, url, fake, burst.recover_s if server is not None else 0.0)


def main() -> int:
    from tests.e2e.crash_helpers import find_postgres, postgres_server

    # An outage writes one warning line per digest it interrupts: true, and not what this benchmark reports.
    logging.basicConfig(level=logging.ERROR)

    results = []
    with tempfile.TemporaryDirectory(prefix="radar-crash-bench.") as tmp:
        folder = Path(tmp)
        scenarios: list[tuple[str, Callable[[], tuple[int, int, int, float]]]] = [
            ("kill", lambda: kill(folder)),
            ("tick", lambda: in_process("tick", f"sqlite:///{folder}/tick.db", tick_every=0.3)),
        ]
        for name, scenario in scenarios:
            print(f"== {name}", flush=True)
            results.append(scenario())
        bin_dir = find_postgres()
        if bin_dir is None:
            print("outage: skipped (PostgreSQL's server programs are not installed)", flush=True)
        else:
            print("== outage", flush=True)
            with postgres_server(bin_dir) as server:
                results.append(in_process("outage", server.url, server=server))
    duplicates, lost, skipped = (sum(r[i] for r in results) for i in range(3))
    worst = max(r[3] for r in results)
    print(f"BENCH crash scenarios={len(results)} duplicates={duplicates} lost={lost} skipped_channels={skipped} "
          f"recover_s={worst:.1f}")
    return 0 if duplicates == lost == skipped == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
