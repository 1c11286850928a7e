"""Load on the web role: 100 concurrent clients sending signed `/radar` slash commands for 60 s.

The server is what `radar serve --role web` runs, as its own process on a fresh SQLite database. A loopback
fake (a second process) serves Slack's Web API (auth.test, users.info), takes every `response_url` answer with
the time it arrived, and serves Hugging Face's daily papers for `trending`. The load comes from this process
(aiohttp): each client sends, one after another, a mix of lookups that hit the cache after the warm-up
(`trending 2024-03-14`), `list`, `status` and `subscribe topic ...` from 500 different channels, each request
signed like Slack signs it and carrying its own response_url.

Goal: zero errors and p99 under 250 ms. The latencies measured against the goal are the acks' (the HTTP
answer Slack waits three seconds for). Every ack is one of: empty (the answer follows through response_url),
or "Paper Radar is busy right now" (the server's answer backlog, RADAR_SLACK_ANSWER_BACKLOG, was full: told at
once instead of queued). For the empty ones the time until the answer reached the fake is measured as well.
An error is a non-200 ack, a timeout or refused connection, an answer that says "Something went wrong", or
an answer that never arrived within DRAIN_S of the end. Ends with
`BENCH load seconds=<t> rps=<r> p50_ms=<t> p99_ms=<t> errors=<n> peak_rss_mb=<m>`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import (  # noqa: E402  (the project root goes on sys.path first)
    free_port,
    machine,
    peak_rss_mb,
    percentile,
    run_fakes,
    server_env,
    signed_command,
    wait_until_listening,
)

SECONDS = 60.0
CLIENTS = 100
CHANNELS = 500
TOPICS = ("graph neural networks", "diffusion models", "protein folding", "quantum error correction",
          "reinforcement learning", "large language models", "causal inference", "robot manipulation")
# Out of every ten requests: four cached lookups, three `list`, one `status`, two `subscribe topic`.
MIX = ("lookup", "list", "lookup", "subscribe", "list", "lookup", "status", "list", "lookup", "subscribe")
REQUEST_TIMEOUT_S = 10.0
DRAIN_S = 60.0  # after the load, how long the answers still due (through response_url) may take to arrive
ANSWER_TIMEOUT_S = 30.0  # how long a client waits for its answer before sending the next command anyway
FAILED_ANSWER = "Something went wrong on our side"  # the answer a handler's unexpected exception gives
BUSY = "Paper Radar is busy right now"


def command_text(kind: str, number: int) -> str:
    if kind == "lookup":
        return "trending 2024-03-14"
    if kind == "subscribe":
        return f'subscribe topic "{TOPICS[number % len(TOPICS)]}"'
    return kind


@dataclass
class Results:
    acks: dict[str, list[float]] = field(default_factory=dict)  # kind -> ack milliseconds
    due: dict[str, float] = field(default_factory=dict)  # response_url key -> when its command was sent
    busy: int = 0
    errors: dict[str, int] = field(default_factory=dict)  # what went wrong -> count

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


class Answers:
    """The response_url every command carries: a small aiohttp server in this process that notes when each
    answer arrived (and whether it was "Something went wrong"), and wakes the client waiting for it."""

    def __init__(self) -> None:
        self.arrived: dict[str, tuple[float, bool]] = {}
        self._waiting: dict[str, asyncio.Future[None]] = {}
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        server = web.Application()
        server.router.add_post("/answer/{key}", self._receive)
        self._runner = web.AppRunner(server, access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}/answer"

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        key = request.match_info["key"]
        self.arrived.setdefault(key, (time.time(), FAILED_ANSWER.encode() in body))
        waiter = self._waiting.pop(key, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        return web.Response(text="ok")

    async def wait(self, key: str) -> None:
        """Until `key`'s answer has arrived (call it inside `asyncio.timeout`)."""
        if key not in self.arrived:
            await self._waiting.setdefault(key, asyncio.get_running_loop().create_future())

    async def wait_all(self, keys: list[str]) -> None:
        for key in keys:
            await self.wait(key)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def client(number: int, session: aiohttp.ClientSession, url: str, answers: Answers, phase: str,
                 until: float, results: Results, *, flood: bool) -> None:
    """One person: sends a command, and (unless `flood`) reads its answer before sending the next."""
    sent = 0
    while time.monotonic() < until:
        kind = MIX[(number + sent) % len(MIX)]
        channel = f"C{(number * 7 + sent) % CHANNELS:07d}"
        key = f"{phase}-{number}-{sent}"
        body, headers = signed_command(command_text(kind, number + sent), channel, f"{answers.url}/{key}")
        sent += 1
        wall, started = time.time(), time.perf_counter()
        try:
            async with session.post(url, data=body, headers=headers) as answer:
                content = await answer.read()
                status = answer.status
        except (aiohttp.ClientError, TimeoutError) as error:
            results.error(type(error).__name__)
            continue
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            results.error(f"HTTP {status}")
            continue
        results.acks.setdefault(kind, []).append(elapsed)
        if not content:
            results.due[key] = wall
            if not flood:
                try:
                    async with asyncio.timeout(ANSWER_TIMEOUT_S):
                        await answers.wait(key)
                except TimeoutError:
                    pass  # counted as never answered below unless it comes before the end
        elif BUSY.encode() in content:
            results.busy += 1
        else:
            results.error("unexpected answer in the ack")


async def drive(url: str, seconds: float, clients: int, *, flood: bool) -> tuple[Results, float, Answers, float]:
    connector = aiohttp.TCPConnector(limit=clients * 2)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    answers = Answers()
    await answers.start()
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            warm = Results()  # connections, the trending cache, auth.test, every handler's first import
            await asyncio.gather(*(client(n, session, url, answers, "warm", time.monotonic() + 2.0, warm, flood=False)
                                   for n in range(clients)))
            if warm.errors:
                print(f"warm-up errors (not counted): {warm.errors}")
            await asyncio.sleep(2.0)
            results = Results()
            started = time.monotonic()
            await asyncio.gather(*(client(n, session, url, answers, "load", started + seconds, results, flood=flood)
                                   for n in range(clients)))
            elapsed = time.monotonic() - started
            # The answers still due may take DRAIN_S more; whatever has not come by then counts as an error.
            drained = time.monotonic()
            try:
                async with asyncio.timeout(DRAIN_S):
                    await answers.wait_all(list(results.due))
            except TimeoutError:
                pass
            waited = time.monotonic() - drained
    finally:
        await answers.stop()
    return results, elapsed, answers, waited


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=SECONDS, help=f"how long to load (default {SECONDS:g})")
    parser.add_argument("--clients", type=int, default=CLIENTS, help=f"concurrent clients (default {CLIENTS})")
    parser.add_argument("--flood", action="store_true",
                        help="clients send the next command right after the ack, without waiting for the answer")
    parser.add_argument("--role", choices=("fakes",), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "fakes":
        run_fakes(args.port)
        return 0

    from core.storage.db import upgrade

    work = Path(tempfile.mkdtemp(prefix="radar-load-"))
    database = f"sqlite:///{work / 'radar.db'}"
    upgrade(database)
    ports = {"fakes": free_port(), "web": free_port()}
    env = server_env(database, f"http://127.0.0.1:{ports['fakes']}")
    log = (work / "server.log").open("wb")
    fake_process = subprocess.Popen([sys.executable, __file__, "--role", "fakes", "--port", str(ports["fakes"])],
                                    cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = subprocess.Popen([sys.executable, "-m", "bots.cli", "serve", "--role", "web", "--port",
                               str(ports["web"])], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_listening(ports["fakes"], fake_process)
        wait_until_listening(ports["web"], server)
        results, elapsed, answers, waited = asyncio.run(
            drive(f"http://127.0.0.1:{ports['web']}/slack/events", args.seconds, args.clients, flood=args.flood))
        rss = peak_rss_mb(server.pid)
    finally:
        for process in (server, fake_process):
            process.terminate()
        for process in (server, fake_process):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
    report(args, work, results, elapsed, answers.arrived, waited, rss)
    return 0


def report(args: argparse.Namespace, work: Path, results: Results, elapsed: float,
           arrived: dict[str, tuple[float, bool]], waited: float, rss: float) -> None:
    acks = [x for values in results.acks.values() for x in values]
    answer_ms = [(arrived[k][0] - sent) * 1000 for k, sent in results.due.items() if k in arrived]
    failed = sum(1 for k in results.due if k in arrived and arrived[k][1])
    missing = sum(1 for k in results.due if k not in arrived)
    if failed:
        results.errors["answered 'something went wrong'"] = failed
    if missing:
        results.errors["never answered"] = missing
    errors = sum(results.errors.values())
    rps = len(acks) / elapsed if elapsed else 0.0
    p50, p99 = statistics.median(acks) if acks else float("nan"), percentile(acks, 0.99)
    how = "sending on right after each ack (flood)" if args.flood else "each reading its answer before the next"
    print(f"machine: {machine()}")
    print(f"{args.clients} concurrent clients, {how}, for {elapsed:.1f} s against `radar serve --role web` "
          f"(SQLite); {len(acks) + errors} requests; server log {work / 'server.log'}")
    print("| ack of | requests | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|")
    for kind in sorted(results.acks):
        values = results.acks[kind]
        print(f"| {kind} | {len(values)} | {statistics.median(values):.1f} | {percentile(values, 0.99):.1f} | "
              f"{max(values):.1f} |")
    print(f"| all | {len(acks)} | {p50:.1f} | {p99:.1f} | {max(acks, default=float('nan')):.1f} |")
    share = 100 * results.busy / len(acks) if acks else 0.0
    answer_p50 = statistics.median(answer_ms) if answer_ms else float("nan")
    print(f"answered through response_url: {len(answer_ms)} of {len(results.due)} ({len(answer_ms) / elapsed:.0f}/s), "
          f"ack to answer p50 {answer_p50:.0f} ms, p99 {percentile(answer_ms, 0.99):.0f} ms "
          f"(the last {waited:.1f} s after the load); told busy in the ack: {results.busy} ({share:.0f}%)")
    print(f"throughput {rps:.0f} requests/s; errors {errors} {results.errors or ''}; server peak RSS {rss:.0f} MB")
    goal = errors == 0 and p99 < 250
    print(f"goal zero errors and p99 < 250 ms: {'met' if goal else 'NOT met'}")
    print(f"BENCH load seconds={elapsed:.0f} rps={rps:.0f} p50_ms={p50:.1f} p99_ms={p99:.1f} errors={errors} "
          f"peak_rss_mb={rss:.0f}")


if __name__ == "__main__":
    sys.exit(main())
