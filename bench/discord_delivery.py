"""Discord digest delivery: 200 digests to 200 channels under Discord's bot-wide limit of 50 requests/s.

The loopback fake of Discord (tests/discord/fake_discord.py) runs in its own thread and event loop and
enforces what Discord enforces: 50 requests in any second for the bot, 5 messages per 5 s per channel,
announced with `X-RateLimit-*` headers, and 429s (with `Via` and a JSON `retry_after`, global or not) for
anything over. The Discord sink posts all digests at once, as the clock does when many channels share a
digest time, on one discord.py HTTP client.

The floor is what the global limit allows at best: messages / 50 s. Goal: within 1.3x of it, every paper
posted exactly once (no duplicates) and every paper posted and marked sent (nothing lost). A first run
without our global pacer shows what discord.py's own 429 handling alone gives.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import int_option, machine, paper_number
from bots.discord.render_digest import render_digest
from bots.discord.sink import DiscordSink, GlobalPacer
from core.config import Settings
from core.model.context import Destination
from core.views import DigestItem, DigestReason, DigestView
from tests.discord.fake_discord import FakeDiscord

CHANNELS = int_option("channels", 200)
# Digests sent at once: all of them by default; the scaling run uses the clock's bound (RADAR_DIGEST_CONCURRENCY).
CONCURRENCY = int_option("concurrency", CHANNELS)
ITEMS = 25  # with the header, 26 embeds: three messages per digest, 600 in all, a floor of 12 s
GLOBAL_LIMIT = 50
GUILD = "800000000000000001"


def digest(channel: int) -> DigestView:
    items = tuple(DigestItem(
        paper_id=f"arXiv:{paper_number(channel, i)}", title=f"A study of diffusion models for graph generation, part {i}",
        url=f"https://arxiv.org/abs/{paper_number(channel, i)}", authors="Ada Lovelace, Alan Turing, Grace Hopper et al.",
        why=(DigestReason("topic", 'matched "diffusion" in title'), DigestReason("category", "new in cs.LG")),
        snippet="We propose a score-based generative model for graphs that respects permutation symmetry. " * 3,
        categories=("cs.LG", "stat.ML"), pdf_url=f"https://arxiv.org/pdf/{paper_number(channel, i)}")
        for i in range(ITEMS))
    return DigestView(day=date(2024, 11, 28), title="Paper Radar digest", items=items, total_matched=ITEMS,
                      subscriptions=3)


class FakeInThread:
    """The fake Discord on its own loop, so the bot's timing is not the fake's."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.fake: FakeDiscord | None = None
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> FakeDiscord:
        self.thread.start()
        created = asyncio.run_coroutine_threadsafe(self._start(), self.loop)
        self.fake = created.result(10)
        return self.fake

    async def _start(self) -> FakeDiscord:
        return await FakeDiscord(global_limit=GLOBAL_LIMIT).start()

    def __exit__(self, *exc: object) -> None:
        if self.fake is not None:
            asyncio.run_coroutine_threadsafe(self.fake.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


async def deliver(fake: FakeDiscord, pacer: GlobalPacer) -> tuple[float, dict[tuple[str, str], int], Counter[str]]:
    """Send every digest at once; return (seconds, marked pairs, failures by reason)."""
    env: dict[str, Any] = {"DISCORD_API_URL": fake.api_url, "DISCORD_GATEWAY_URL": fake.gateway_url,
                           "DISCORD_BOT_TOKEN": "fake-token"}
    settings = Settings(_env_file=None, **env)  # pydantic-settings takes the variable names
    sink = DiscordSink(settings, pacer=pacer)
    await sink.http()  # log in first: the clock is logged in long before digest time
    marked: Counter[tuple[str, str]] = Counter()
    failures: Counter[str] = Counter()

    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(channel: str) -> None:
        async with slots:
            await deliver_one(channel)

    async def deliver_one(channel: str) -> None:
        async def mark_sent(papers: Sequence[str], message_id: str) -> None:
            for paper in papers:
                marked[(channel, paper)] += 1

        try:
            await sink.send_digest(Destination("discord", GUILD, channel), digest(int(channel[-6:])), mark_sent)
        except Exception as error:  # counted as lost papers below; the run goes on for the others
            failures[str(error)] += 1

    channels = [f"800000000000{n:06d}" for n in range(CHANNELS)]
    fake.sent.clear()
    started = time.monotonic()
    await asyncio.gather(*(one(channel) for channel in channels))
    seconds = time.monotonic() - started
    await sink.aclose()
    return seconds, dict(marked), failures


def audit(fake: FakeDiscord, marked: dict[tuple[str, str], int]) -> tuple[int, int]:
    """(duplicates, lost): papers shown more than once in a channel; papers never shown or never marked."""
    shown: Counter[tuple[str, str]] = Counter()
    for sent in fake.sent:
        for card in sent.body.get("embeds") or ():
            url = card.get("url") or ""
            if "/abs/" in url:
                shown[(sent.where, "arXiv:" + url.rsplit("/", 1)[1])] += 1
    expected = {(f"800000000000{n:06d}", f"arXiv:{paper_number(n, i)}") for n in range(CHANNELS) for i in range(ITEMS)}
    duplicates = sum(count - 1 for count in shown.values() if count > 1)
    duplicates += sum(count - 1 for count in marked.values() if count > 1)
    lost = sum(1 for pair in expected if shown.get(pair, 0) == 0 or marked.get(pair, 0) == 0)
    return duplicates, lost


def run(label: str, pacer: GlobalPacer) -> str:
    planned = sum(len(render_digest(digest(n))) for n in range(CHANNELS))
    with FakeInThread() as fake:
        seconds, marked, failures = asyncio.run(deliver(fake, pacer))
        duplicates, lost = audit(fake, marked)
        throttled, posted = fake.throttled, len(fake.sent)
    floor = planned / GLOBAL_LIMIT  # every planned message at exactly 50 per second
    print(f"| {label} | {CHANNELS} | {posted}/{planned} | {seconds:.1f} | {floor:.1f} | {seconds / floor:.2f} | "
          f"{throttled} | {duplicates} | {lost} | {sum(failures.values())} |", flush=True)
    for reason, count in failures.most_common(3):
        print(f"  {count} digest(s) failed: {reason}", file=sys.stderr)
    return (f"BENCH discord_delivery channels={CHANNELS} seconds={seconds:.1f} floor_s={floor:.1f} "
            f"ratio={seconds / floor:.2f} duplicates={duplicates} lost={lost}")


def main() -> int:
    print(f"Discord delivery: {CHANNELS} digests of {ITEMS} papers, global limit {GLOBAL_LIMIT}/s ({machine()})")
    print("| run | channels | messages posted | seconds | floor s | ratio | 429s | duplicates | lost | failed |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    if CHANNELS <= 1000:  # the comparison adds as long again: at scale only our own path is measured
        run("discord.py 429 handling alone", GlobalPacer(limit=10_000))
    line = run("with the sink's global pacer (default)", GlobalPacer())
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
