"""Load on the web role: 100 concurrent clients sending signed `/radar` slash commands for 60 s.

The server is what `radar serve --role web` runs, as its own process on a fresh SQLite database. A loopback
fake (a second process) serves Slack's Web API (auth.test), takes every `response_url` answer, and serves
Hugging Face's daily papers for `trending`. The load comes from this process (aiohttp): each client sends,
one after another, a mix of lookups that hit the cache after the warm-up (`trending 2024-03-14`), `list`,
`status` and `subscribe topic ...` from 500 different channels, each request signed like Slack signs it.

Goal: zero errors and p99 under 250 ms. The latencies are the acks' (Slack's three seconds). An error is a
non-200 ack, a timeout or a refused connection, or a deferred answer (through `response_url`) that says
"Something went wrong". The answers are also counted: how many arrived, how long after the load the last
one came, and how many were still queued in the server after DRAIN_S (the rate the server really answers at). Reports
throughput, p50/p99 latency and the server's peak RSS (VmHWM), then
`BENCH load seconds=<t> rps=<r> p50_ms=<t> p99_ms=<t> errors=<n> peak_rss_mb=<m>`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECONDS = 60.0
CLIENTS = 100
CHANNELS = 500
SECRET = "bench-signing-secret-not-real"
TOKEN = "xoxb-bench-token"
USER = "UBENCH001"
TEAM = "T0000001"
HF_DAY = ROOT / "tests" / "fixtures" / "synthetic_hf_daily_papers_2024-03-14.json"
TOPICS = ("graph neural networks", "diffusion models", "protein folding", "quantum error correction",
          "reinforcement learning", "large language models", "causal inference", "robot manipulation")
# Out of every ten requests: four cached lookups, three `list`, one `status`, two `subscribe topic`.
MIX = ("lookup", "list", "lookup", "subscribe", "list", "lookup", "status", "list", "lookup", "subscribe")
REQUEST_TIMEOUT_S = 10.0
DRAIN_S = 60.0  # after the load, how long the deferred answers (through response_url) may take to arrive
FAILED_ANSWER = "Something went wrong on our side"  # the answer a handler's unexpected exception gives


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_fakes(port: int) -> None:
    import uvicorn
    from starlette.responses import Response
    from starlette.routing import Route

    from tests.slack.fake_slack import FakeSlack

    fake = FakeSlack()
    asgi = fake.asgi()
    day = HF_DAY.read_bytes()

    async def daily_papers(request: object) -> Response:
        return Response(day, media_type="application/json")

    async def stats(request: object) -> Response:
        with fake._lock:
            bodies = [json.dumps(body) for key, body in fake.responses if key == "load"]
        failed = sum(1 for body in bodies if FAILED_ANSWER in body)
        return Response(json.dumps({"answers": len(bodies), "failed": failed}), media_type="application/json")

    asgi.router.routes.append(Route("/hf/api/daily_papers", daily_papers))
    asgi.router.routes.append(Route("/stats", stats))
    uvicorn.run(asgi, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False)


def command_text(kind: str, number: int) -> str:
    if kind == "lookup":
        return "trending 2024-03-14"
    if kind == "subscribe":
        return f'subscribe topic "{TOPICS[number % len(TOPICS)]}"'
    return kind


def signed(text: str, channel: str, response_url: str) -> tuple[bytes, dict[str, str]]:
    from slack_sdk.signature import SignatureVerifier

    body = urlencode({"token": "legacy-unused", "team_id": TEAM, "team_domain": "bench", "channel_id": channel,
                      "channel_name": "research", "user_id": USER, "user_name": "bench", "command": "/radar",
                      "text": text, "response_url": response_url, "trigger_id": "1.2.3", "api_app_id": "A0000001",
                      "is_enterprise_install": "false"})
    stamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
    return body.encode(), {"content-type": "application/x-www-form-urlencoded",
                           "x-slack-request-timestamp": stamp, "x-slack-signature": str(signature)}


def wait_until_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a server exited early (code {process.returncode})")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listening on {port}")


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


class Results:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {}  # kind -> milliseconds
        self.errors: dict[str, int] = {}  # what went wrong -> count

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


async def client(number: int, session: aiohttp.ClientSession, url: str, response_url: str, until: float,
                 results: Results) -> None:
    sent = 0
    while time.monotonic() < until:
        kind = MIX[(number + sent) % len(MIX)]
        channel = f"C{(number * 7 + sent) % CHANNELS:07d}"
        body, headers = signed(command_text(kind, number + sent), channel, response_url)
        sent += 1
        started = time.perf_counter()
        try:
            async with session.post(url, data=body, headers=headers) as answer:
                await answer.read()
                status = answer.status
        except (aiohttp.ClientError, TimeoutError) as error:
            results.error(type(error).__name__)
            continue
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            results.error(f"HTTP {status}")
            continue
        results.latencies.setdefault(kind, []).append(elapsed)


async def fake_stats(session: aiohttp.ClientSession, base: str) -> dict[str, int]:
    async with session.get(f"{base}/stats") as answer:
        return dict(await answer.json())


async def drain(base: str, before: dict[str, int], expected: int) -> tuple[dict[str, int], float]:
    """Wait for the deferred answers of the measured requests; how many came, how many failed, how long."""
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        while True:
            now = await fake_stats(session, base)
            done = {k: now[k] - before[k] for k in now}
            if done["answers"] >= expected or time.monotonic() - started > DRAIN_S:
                return done, time.monotonic() - started
            await asyncio.sleep(0.2)


async def drive(url: str, response_url: str, seconds: float) -> tuple[Results, float]:
    connector = aiohttp.TCPConnector(limit=CLIENTS * 2)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        warm = Results()  # connections, the trending cache, auth.test, every handler's first import
        warm_url = response_url.rsplit("/", 1)[0] + "/warm-up"  # answers kept apart from the measured ones
        await asyncio.gather(*(client(n, session, url, warm_url, time.monotonic() + 2.0, warm)
                               for n in range(CLIENTS)))
        if warm.errors:
            print(f"warm-up errors (not counted): {warm.errors}")
        await asyncio.sleep(1.0)
        results = Results()
        started = time.monotonic()
        await asyncio.gather(*(client(n, session, url, response_url, started + seconds, results)
                               for n in range(CLIENTS)))
        elapsed = time.monotonic() - started
    return results, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=SECONDS, help=f"how long to load (default {SECONDS:g})")
    parser.add_argument("--role", choices=("fakes",), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "fakes":
        run_fakes(args.port)
        return 0

    from bench._common import machine
    from core.storage.db import upgrade

    work = Path(tempfile.mkdtemp(prefix="radar-load-"))
    database = f"sqlite:///{work / 'radar.db'}"
    upgrade(database)
    ports = {"fakes": free_port(), "web": free_port()}
    fakes = f"http://127.0.0.1:{ports['fakes']}"
    closed = "http://127.0.0.1:9/"
    env = {**os.environ, "DATABASE_URL": database, "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": f"{fakes}/api/", "SLACK_MANAGERS": USER, "RADAR_HUGGINGFACE_URL": f"{fakes}/hf",
           "RADAR_OPENALEX_URL": closed, "RADAR_SEMANTIC_SCHOLAR_URL": closed, "RADAR_ARXIV_API_URL": closed,
           "RADAR_ARXIV_RSS_URL": closed, "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_APP_TOKEN", "DISCORD_BOT_TOKEN"):
        env.pop(name, None)
    log = (work / "server.log").open("wb")
    fake_process = subprocess.Popen([sys.executable, __file__, "--role", "fakes", "--port", str(ports["fakes"])],
                                    cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = subprocess.Popen([sys.executable, "-m", "bots.cli", "serve", "--role", "web", "--port",
                               str(ports["web"])], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_listening(ports["fakes"], fake_process)
        wait_until_listening(ports["web"], server)
        async def measure() -> tuple[Results, float, dict[str, int], float]:
            async with aiohttp.ClientSession() as session:
                before = await fake_stats(session, fakes)
            results, elapsed = await drive(f"http://127.0.0.1:{ports['web']}/slack/events",
                                           f"{fakes}/response/load", args.seconds)
            expected = sum(len(v) for k, v in results.latencies.items())
            answered, waited = await drain(fakes, before, expected)
            return results, elapsed, answered, waited

        results, elapsed, answered, waited = asyncio.run(measure())
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
    every = [x for values in results.latencies.values() for x in values]
    if answered["failed"]:
        results.errors["answered 'something went wrong'"] = answered["failed"]
    late = max(0, len(every) - answered["answers"])  # still queued in the server: slow, not lost
    errors = sum(results.errors.values())
    answer_rps = answered["answers"] / (elapsed + waited) if elapsed + waited else 0.0
    total = len(every) + errors
    rps = len(every) / elapsed if elapsed else 0.0
    p50, p99 = (statistics.median(every), percentile(every, 0.99)) if every else (float("nan"), float("nan"))
    print(f"machine: {machine()}")
    print(f"{CLIENTS} concurrent clients for {elapsed:.1f} s against `radar serve --role web` (SQLite); "
          f"{total} requests; server log {work / 'server.log'}")
    print("| command | requests | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|")
    for kind in sorted(results.latencies):
        values = results.latencies[kind]
        print(f"| {kind} | {len(values)} | {statistics.median(values):.1f} | {percentile(values, 0.99):.1f} | "
              f"{max(values):.1f} |")
    print(f"| all | {len(every)} | {p50:.1f} | {p99:.1f} | {max(every, default=float('nan')):.1f} |")
    print(f"deferred answers (response_url): {answered['answers']} of {len(every)} arrived, the last {waited:.1f} s "
          f"after the load ended ({late} still queued after {DRAIN_S:g} s); answers/s {answer_rps:.0f}")
    print(f"throughput {rps:.0f} requests/s; errors {errors} {results.errors or ''}; server peak RSS {rss:.0f} MB")
    goal = errors == 0 and p99 < 250
    print(f"goal zero errors and p99 < 250 ms: {'met' if goal else 'NOT met'}")
    print(f"BENCH load seconds={elapsed:.0f} rps={rps:.0f} p50_ms={p50:.1f} p99_ms={p99:.1f} errors={errors} "
          f"peak_rss_mb={rss:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
