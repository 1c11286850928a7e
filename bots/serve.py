"""`radar serve`: run the web, clock and discord roles, together or one per process (Procfile)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
import socket

import uvicorn

from bots.web import create_web_app, server_config
from core import bootstrap
from core.bootstrap import App
from core.config import Settings

log = logging.getLogger("radar.serve")


def describe_roles(settings: Settings, role: str) -> dict[str, str | None]:
    """Which parts run, and for those that don't, the setting that turns them on."""
    wanted = {"web", "clock", "discord"} if role == "all" else {role}
    off: dict[str, str | None] = {}
    if "web" in wanted:
        from bots.slack.app import slack_mode

        off["slack"] = None if slack_mode(settings) else (
            "set SLACK_SIGNING_SECRET with SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and "
            "SLACK_CLIENT_SECRET (any workspace)"
        )
    if "discord" in wanted:
        off["discord"] = None if settings.discord_bot_token else "set DISCORD_BOT_TOKEN"
    return off


class CannotListen(RuntimeError):
    """The web role's address is taken or not ours to use: one sentence for the person starting it."""


def bind_web(host: str, port: int) -> socket.socket:
    """The web role's listening socket, bound before anything else starts (and before "listening" is said).

    A port in use would otherwise surface as uvicorn's error line, its `sys.exit` and a traceback, after the
    clock and the database were already up."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)  # uvicorn's backlog; its server listens on this socket again, which is harmless
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise CannotListen(f"radar serve: port {port} on {host} is already in use (another radar serve?); "
                               "stop that process, or pick a free port with --port or PORT.") from None
        raise CannotListen(f"radar serve: cannot listen on {host}:{port} ({error.strerror or error}); "
                           "check --host/RADAR_HOST and --port/PORT.") from None
    sock.set_inheritable(True)
    return sock


async def serve(settings: Settings, role: str = "all") -> None:
    web_socket = bind_web(settings.host, settings.port) if role in ("all", "web") else None
    try:
        async with bootstrap.running_app(settings) as app:
            await _serve(app, role, web_socket)
    finally:
        if web_socket is not None:
            web_socket.close()


async def _serve(app: App, role: str, web_socket: socket.socket | None = None) -> None:
    settings = app.settings
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)

    wanted = {"web", "clock", "discord"} if role == "all" else {role}
    for part, why_off in describe_roles(settings, role).items():
        if why_off:
            log.info("%s: off (%s to turn it on)", part, why_off)
        else:
            log.info("%s: on", part)

    tasks: list[asyncio.Task[None]] = []
    server: uvicorn.Server | None = None
    scheduler = None
    slack = None
    if wanted & {"web", "clock"}:
        from bots.slack.app import build_slack

        slack = build_slack(app)
        if slack is not None:
            # web sends `digest now`, the clock the scheduled digests; the integration closes it itself
            bootstrap.attach_sink(app, "slack", slack.sink)
    try:
        if "web" in wanted:
            web = create_web_app(app, routes=slack.routes if slack else ())
            server = uvicorn.Server(server_config(web, settings))
            server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
            web_socket = web_socket or bind_web(settings.host, settings.port)
            # Bound already: "listening" is true when it is said.
            log.info("web: listening on http://%s:%d (GET /healthz)", settings.host, settings.port)
            tasks.append(asyncio.create_task(server.serve(sockets=[web_socket]), name="web"))
            if slack is not None and slack.app_token:
                tasks.append(asyncio.create_task(slack.run_socket_mode(stop), name="slack-socket"))
        if "clock" in wanted:
            from bots.console.sink import ConsoleSink

            # The console channel's digests print here, in the service's output.
            bootstrap.attach_sink(app, "console", ConsoleSink(), replace=False)
            if settings.discord_bot_token:
                from bots.discord.sink import DiscordSink

                # Digests go out over Discord's HTTP API: the clock needs no gateway connection.
                bootstrap.attach_sink(app, "discord", DiscordSink(settings), replace=False)
            # Start-up resume and catch-up can be long; SIGTERM (`stop`) ends them within seconds.
            scheduler = await bootstrap.start_clock(app, stop)
        if "discord" in wanted and settings.discord_bot_token:
            from bots.discord.client import run_discord

            tasks.append(asyncio.create_task(run_discord(app, stop), name="discord"))
        if "discord" in wanted and not settings.discord_bot_token and role == "discord":
            log.error("discord: DISCORD_BOT_TOKEN is not set; nothing to run")
            return
        waiter = asyncio.create_task(stop.wait(), name="stop")
        done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not waiter and task.exception():
                raise task.exception()  # type: ignore[misc]
    finally:
        log.info("shutting down")
        stop.set()  # the discord role listens to it (a failed sibling task must stop it too)
        if server is not None:
            server.should_exit = True
        if scheduler is not None:
            bootstrap.stop_clock(scheduler)
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=10)
        if slack is not None:
            # Lets answers in flight finish, then closes its HTTP sessions; the App's close skips it after.
            await slack.aclose()
            app.sinks.pop("slack", None)
