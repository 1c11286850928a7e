"""The `radar` command: serve, console, ask, db."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from datetime import date

from core.config import ConfigError, Settings, get_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="radar", description="Paper Radar: research discovery for Slack, Discord and the terminal."
    )
    sub = parser.add_subparsers(dest="command", metavar="<command>")
    sub.required = True

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="<db command>")
    db_sub.required = True
    db_sub.add_parser("upgrade", help="apply migrations up to the newest schema")
    db_sub.add_parser("current", help="print the applied schema revision")

    serve = sub.add_parser("serve", help="run the service")
    serve.add_argument("--role", choices=("all", "web", "clock", "discord"), default="all",
                       help="which process role to run (default: all that are configured)")
    serve.add_argument("--host", help="address the web role listens on (default RADAR_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port the web role listens on (default PORT or 8000)")

    ask = sub.add_parser("ask", help="run one command as the console channel and print the answer")
    ask.add_argument("text", help='command text, e.g. "help" or "paper 1706.03762"')
    ask.add_argument("--json", action="store_true", help="print the answer as JSON instead of text")
    ask.add_argument("--verbose", action="store_true", help="also show log lines (on stderr)")

    console = sub.add_parser("console", help="an interactive prompt acting as one channel")
    console.add_argument("--verbose", action="store_true", help="also show log lines (on stderr)")

    from bots.discord.cli import add_discord_parser

    add_discord_parser(sub)  # `radar discord sync [--guild ID]`, `radar discord invite`

    ingest = sub.add_parser("ingest", help="fetch today's papers now (the clock does this after midnight US Eastern)")
    ingest.add_argument("--date", type=_iso_date, help="the announcement day the feed should carry (YYYY-MM-DD)")
    ingest.add_argument("--no-researchers", action="store_true", help="skip followed researchers' journal works")
    ingest.add_argument("--verbose", action="store_true", help="also show log lines (on stderr)")
    return parser


# Commands whose output is an answer for the person at the terminal: log lines would interleave with it, so
# they are shown only with --verbose (what went wrong is in the answer itself).
ANSWERING = ("ask", "console", "ingest")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2024-11-28") from None


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except ConfigError as error:
        print(f"radar: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `radar ask ... | head`: the reader has what it wanted. Python would complain again while flushing
        # stdout at exit, so stdout is pointed at nothing first.
        with_devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(with_devnull, sys.stdout.fileno())
        return 0


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    settings = get_settings()
    from core.bootstrap import configure_logging  # after parsing: `radar --help` needs none of core

    answering = args.command in ANSWERING
    configure_logging(settings, quiet=answering)
    if answering and not args.verbose:
        logging.getLogger().setLevel(logging.CRITICAL)
    elif answering:
        logging.getLogger().setLevel(settings.log_level.upper())
    if args.command == "db":
        return _db(settings, args.db_command)
    if args.command == "serve":
        from bots.serve import CannotListen, serve

        overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
        settings = settings.model_copy(update=overrides)
        try:
            asyncio.run(serve(settings, args.role))
        except KeyboardInterrupt:
            pass
        except CannotListen as error:
            print(error, file=sys.stderr)
            return 1
        return 0
    if args.command == "ask":
        return asyncio.run(_ask(settings, args.text, args.json))
    if args.command == "discord":
        from bots.discord.cli import run_discord_cli

        return run_discord_cli(settings, args)
    if args.command == "ingest":
        return asyncio.run(_ingest(settings, args.date, not args.no_researchers))
    if args.command == "console":
        from bots.console.repl import run_console

        return run_console(settings, verbose=args.verbose)
    return 2


def _db(settings: Settings, command: str) -> int:
    from core import bootstrap

    if command == "upgrade":
        bootstrap.upgrade_database(settings)
        print("database is up to date")
        return 0
    print(asyncio.run(bootstrap.schema_revision(settings)) or "empty (run `radar db upgrade`)")
    return 0


async def _ask(settings: Settings, text: str, as_json: bool) -> int:
    from bots.console.adapter import ask, exit_code
    from bots.console.pictures import picture_lines
    from bots.console.render import render
    from bots.console.sink import ConsoleSink
    from core.bootstrap import running_app
    from core.views import view_to_json

    async with running_app(settings, sinks={"console": ConsoleSink()}) as app:
        view = await ask(app, text)
    output = view_to_json(view) if as_json else render(view)
    pictures = picture_lines(view, settings.image_dir)
    if pictures:
        output += "\n" + pictures
    stream = sys.stderr if exit_code(view) == 2 else sys.stdout
    print(output, file=stream)
    return exit_code(view)


def _progress_bar(stage: str, done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done >= total else ""
    print(f"\r{stage:<12} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end, file=sys.stderr, flush=True)


async def _ingest(settings: Settings, day: date | None, researchers: bool) -> int:
    from core.bootstrap import IngestDateError, describe_ingest, ingest_once

    try:
        run = await ingest_once(settings, day=day, progress=_progress_bar, researchers=researchers)
    except IngestDateError as error:
        print(f"radar ingest: {error}", file=sys.stderr)
        return 2
    # The summary is printed once, here; the ingest's own log line about it shows only with --verbose.
    for line in describe_ingest(run):
        print(line)
    return 0 if run.report.complete else 1


if __name__ == "__main__":
    sys.exit(main())
