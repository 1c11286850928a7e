"""Digest delivery at fan-out: 500 digests to 500 channels of a fake Slack that enforces its rate limit.

The fake (its own process, on loopback) answers chat.postMessage like Slack, and answers 429 with
Retry-After to any message that comes less than one second after the previous one in the same channel.
Each channel's digest has 45 papers: a top message with 5 and four thread replies of 10, so no channel can
be done in less than 4 s (the per-channel floor). All 500 go out at once through the real `SlackSink`
(renderer, per-channel pacer, rate-limit retry handler); `mark_sent` records what each message carried,
as the delivery ledger would.

`--channels N --concurrency C` sends N channels' digests C at a time, as a clock bounded by
RADAR_DIGEST_CONCURRENCY does (the scaling figures: 10,000 at 200); the floor is then one channel's per wave.

Goal: finished within 1.5x of the floor, no duplicates, nothing lost. Ends with
`BENCH slack_delivery channels=<n> seconds=<t> floor_s=<t> ratio=<x> duplicates=<n> lost=<n>`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import int_option, paper_number  # noqa: E402  (the project root goes first)

CHANNELS = int_option("channels", 500)
# Digests sent at once. The default sends every channel's together (the sink's own fan-out); the scaling run
# uses the clock's bound (RADAR_DIGEST_CONCURRENCY, 200), where the floor is one channel's per wave of them.
CONCURRENCY = int_option("concurrency", CHANNELS)
ITEMS = 45
MESSAGE_INTERVAL_S = 1.0
TOKEN = "xoxb-bench-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_fake(port: int) -> None:
    """The fake Slack, plus /_stats: per channel, the paper URLs it accepted in order, and its 429 count."""
    import uvicorn
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from tests.slack.fake_slack import FakeSlack

    fake = FakeSlack(min_interval_s=MESSAGE_INTERVAL_S)
    asgi = fake.asgi()
    paper = re.compile(r"<(https://arxiv\.org/abs/[^|>]+)\|")

    async def stats(request: object) -> JSONResponse:
        papers: dict[str, list[str]] = {}
        threads: dict[str, list[str | None]] = {}
        for call in fake.calls:
            if call.method == "chat.postMessage" and call.params.get("_accepted"):
                channel = str(call.params["channel"])
                papers.setdefault(channel, []).extend(paper.findall(json.dumps(call.params.get("blocks", []))))
                threads.setdefault(channel, []).append(call.params.get("thread_ts"))
        rate_limited = sum(1 for c in fake.calls if c.method == "chat.postMessage" and not c.params.get("_accepted"))
        return JSONResponse({"papers": papers, "threads": threads, "rate_limited": rate_limited})

    asgi.router.routes.append(Route("/_stats", stats))
    uvicorn.run(asgi, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False)


def digest_for(channel: int) -> object:
    from core.views import DigestItem, DigestReason, DigestView, Visibility

    items = tuple(
        DigestItem(paper_id=f"arXiv:{paper_number(channel, i)}", title=f"Paper {i} for channel {channel}: on "
                   + "scalable diffusion " * 6, url=f"https://arxiv.org/abs/{paper_number(channel, i)}",
                   authors="Ada Lovelace, Alan Turing, Grace Hopper et al.", snippet="We study " + "things " * 38,
                   why=(DigestReason("category", "new in cs.LG"),), categories=("cs.LG",))
        for i in range(1, ITEMS + 1))
    return DigestView(day=date(2024, 11, 28), title="Paper Radar digest", items=items, total_matched=ITEMS,
                      subscriptions=2, visibility=Visibility.CHANNEL)


async def deliver(api_url: str) -> tuple[float, dict[str, list[str]], int]:
    from bots.slack.sink import ChannelPacer, SlackSink
    from core.model.context import Destination
    from core.views import DigestView

    async def token(team_id: str) -> str:
        return TOKEN

    sink = SlackSink(token, base_url=api_url, pacer=ChannelPacer(MESSAGE_INTERVAL_S))
    marked: dict[str, list[str]] = {}
    messages = 0

    views = [digest_for(n) for n in range(CHANNELS)]  # the digests core built, before the clock starts

    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(number: int) -> None:
        async with slots:
            await deliver_one(number)

    async def deliver_one(number: int) -> None:
        channel = f"C{number:08d}"
        view = views[number]
        assert isinstance(view, DigestView)

        async def mark_sent(paper_ids: Sequence[str], message_id: str) -> None:
            nonlocal messages
            messages += 1
            marked.setdefault(channel, []).extend(paper_ids)

        await sink.send_digest(Destination("slack", "T0000001", channel), view, mark_sent)

    started = time.perf_counter()
    try:
        await asyncio.gather(*(one(n) for n in range(CHANNELS)))
    finally:
        await sink.aclose()
    return time.perf_counter() - started, marked, messages


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fake-port", type=int)
    parser.add_argument("--channels", type=int, default=CHANNELS, help="channels to deliver to")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY, help="digests sent at once")
    args = parser.parse_args()
    if args.fake_port:
        run_fake(args.fake_port)
        return 0

    import urllib.request

    from bench._common import machine
    from bots.slack.render_digest import render_digest
    from core.views import DigestView

    sample = digest_for(0)
    assert isinstance(sample, DigestView)
    per_channel = len(render_digest(sample))
    waves = -(-CHANNELS // CONCURRENCY)
    floor = waves * (per_channel - 1) * MESSAGE_INTERVAL_S
    port = free_port()
    fake = subprocess.Popen([sys.executable, __file__, "--fake-port", str(port)],
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline or fake.poll() is not None:
                raise SystemExit("the fake Slack did not start")
            time.sleep(0.05)
        seconds, marked, messages = asyncio.run(deliver(f"http://127.0.0.1:{port}/api/"))
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stats", timeout=30) as answer:
            stats = json.load(answer)
    finally:
        fake.terminate()
        fake.wait(timeout=10)

    duplicates = lost = 0
    out_of_order = 0
    for number in range(CHANNELS):
        channel = f"C{number:08d}"
        expected = [f"https://arxiv.org/abs/{paper_number(number, i)}" for i in range(1, ITEMS + 1)]
        received = stats["papers"].get(channel, [])
        duplicates += sum(count - 1 for count in Counter(received).values() if count > 1)
        lost += len(set(expected) - set(received))
        threads = stats["threads"].get(channel, [])
        if received != expected or not threads or threads[0] is not None or len(set(threads[1:])) > 1:
            out_of_order += 1
        if len(marked.get(channel, [])) != ITEMS:
            lost += ITEMS - len(set(marked.get(channel, [])))
    ratio = seconds / floor
    print(f"machine: {machine()}")
    print(f"{CHANNELS} channels, {ITEMS} papers each = {per_channel} messages per channel "
          f"(floor {floor:.0f} s at one message per second per channel, {CONCURRENCY} channels at a time)")
    print("| channels | messages | seconds | floor s | ratio | 429s answered | duplicates | lost | out of order |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {CHANNELS} | {messages} | {seconds:.2f} | {floor:.0f} | {ratio:.2f} | {stats['rate_limited']} | "
          f"{duplicates} | {lost} | {out_of_order} |")
    goal = ratio <= 1.5 and duplicates == 0 and lost == 0 and out_of_order == 0
    print(f"goal within 1.5x of the floor, no duplicates, nothing lost: {'met' if goal else 'NOT met'}")
    print(f"BENCH slack_delivery channels={CHANNELS} seconds={seconds:.2f} floor_s={floor:.0f} ratio={ratio:.2f} "
          f"duplicates={duplicates} lost={lost}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
