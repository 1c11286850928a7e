"""Helpers shared by the benchmarks: where the recordings are, a machine description for the README, and the
loopback fakes, signed slash commands and server plumbing of the two Slack load benchmarks."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent


def recordings() -> Path:
    path = Path(os.environ.get("RADAR_RECORDINGS") or ROOT.parent / "shared" / "fixtures")
    if not (path / "PROVENANCE.md").is_file():
        raise SystemExit(f"recorded API responses not found at {path}: set RADAR_RECORDINGS")
    return path


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def paper_number(channel: int, item: int) -> str:
    """A well-formed arXiv id, different for every (channel, item) up to 100,000 channels and 120 items."""
    return f"{20 + item // 12:02d}{1 + item % 12:02d}.{channel:05d}"


def int_option(name: str, default: int) -> int:
    """`--<name> N` on the command line (the scaling figures run `--channels 10000`); `default` otherwise."""
    import argparse

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(f"--{name}", type=int, default=default)
    known, _ = parser.parse_known_args()
    return int(getattr(known, name.replace("-", "_")))


# ---------------------------------------------------------------- Slack load: fakes, signed commands, servers

SECRET = "bench-signing-secret-not-real"
TOKEN = "xoxb-bench-token"
USER = "UBENCH001"
TEAM = "T0000001"
HF_DAY = ROOT / "tests" / "fixtures" / "synthetic_hf_daily_papers_2024-03-14.json"
CLOSED = "http://127.0.0.1:9/"  # nothing listens on the discard port: a source that is never asked


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def peak_rss_mb(pid: int) -> float:
    """A process's peak resident memory (VmHWM), read before it exits."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def signed_command(text: str, channel: str, response_url: str) -> tuple[bytes, dict[str, str]]:
    """A `/radar <text>` slash command body and headers, signed the way Slack signs them."""
    from slack_sdk.signature import SignatureVerifier

    body = urlencode({"token": "legacy-unused", "team_id": TEAM, "team_domain": "bench", "channel_id": channel,
                      "channel_name": "research", "user_id": USER, "user_name": "bench", "command": "/radar",
                      "text": text, "response_url": response_url, "trigger_id": "1.2.3", "api_app_id": "A0000001",
                      "is_enterprise_install": "false"})
    stamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
    return body.encode(), {"content-type": "application/x-www-form-urlencoded",
                           "x-slack-request-timestamp": stamp, "x-slack-signature": str(signature)}


def server_env(database: str, fakes: str) -> dict[str, str]:
    """The web role's environment: Slack and Hugging Face on the fakes, every other source never asked."""
    env = {**os.environ, "DATABASE_URL": database, "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": f"{fakes}/api/", "SLACK_MANAGERS": USER, "RADAR_HUGGINGFACE_URL": f"{fakes}/hf",
           "RADAR_OPENALEX_URL": CLOSED, "RADAR_SEMANTIC_SCHOLAR_URL": CLOSED, "RADAR_ARXIV_API_URL": CLOSED,
           "RADAR_ARXIV_RSS_URL": CLOSED, "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
           "RADAR_SLACK_RESPONSE_HOSTS": "http://127.0.0.1"}  # answers go to the benchmark's loopback servers
    for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_APP_TOKEN", "DISCORD_BOT_TOKEN"):
        env.pop(name, None)
    return env


def run_fakes(port: int, routes: Sequence[Any] = ()) -> None:
    """Serve (blocking) the fake Slack Web API and response_url, Hugging Face's day of papers, and `routes`."""
    import uvicorn
    from starlette.responses import Response
    from starlette.routing import Route

    from tests.slack.fake_slack import FakeSlack

    asgi = FakeSlack().asgi()
    day = HF_DAY.read_bytes()

    async def daily_papers(request: object) -> Response:
        return Response(day, media_type="application/json")

    asgi.router.routes.append(Route("/hf/api/daily_papers", daily_papers))
    asgi.router.routes.extend(routes)
    uvicorn.run(asgi, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False)
