"""`radar serve`: run the web, clock and discord roles, together or one per process (Procfile)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import uvicorn

from bots.web import create_web_app
from core.app import App, set_current_app
from core.config import Settings
from core.digest.schedule import build_scheduler, start_clock, stop_clock
from core.storage.db import upgrade

log = logging.getLogger("radar.serve")
ROLES = ("all", "web", "clock", "discord")


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


async def serve(settings: Settings, role: str = "all") -> None:
    if settings.is_sqlite:
        # Nothing to install or run first on the single-machine default: bring the schema up to date here.
        await asyncio.to_thread(upgrade, settings.database_url)
    app = App.create(settings)
    set_current_app(app)
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
            app.sinks["slack"] = slack.sink  # web sends `digest now`, the clock the scheduled digests
    try:
        if "web" in wanted:
            web = create_web_app(app, routes=slack.routes if slack else ())
            config = uvicorn.Config(web, host=settings.host, port=settings.port, log_config=None, lifespan="off")
            server = uvicorn.Server(config)
            server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
            tasks.append(asyncio.create_task(server.serve(), name="web"))
            log.info("web: listening on http://%s:%d (GET /healthz)", settings.host, settings.port)
            if slack is not None and slack.app_token:
                tasks.append(asyncio.create_task(slack.run_socket_mode(stop), name="slack-socket"))
        if "clock" in wanted:
            from bots.console.sink import ConsoleSink

            # The console channel's digests print here, in the service's output.
            app.sinks.setdefault("console", ConsoleSink())
            if settings.discord_bot_token:
                from bots.discord.sink import DiscordSink

                # Digests go out over Discord's HTTP API: the clock needs no gateway connection.
                app.sinks.setdefault("discord", DiscordSink(settings))
            scheduler = build_scheduler(settings)
            await start_clock(app, scheduler)
            log.info("clock: scheduler started (%d jobs)", len(scheduler.get_jobs()))
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
            stop_clock(scheduler)
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=10)
        if slack is not None:
            await slack.aclose()  # lets answers in flight finish, then closes its HTTP sessions
        for sink in list(app.sinks.values()):
            if slack is not None and sink is slack.sink:
                continue
            closer = getattr(sink, "aclose", None)
            if closer is not None:  # e.g. the Discord sink's own HTTP client
                await closer()
        await app.aclose()
        set_current_app(None)
