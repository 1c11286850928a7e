"""`handle(command, actor, destination)`: the only door adapters knock on.

Every answer is a View. Permission checks happen here (`core.rules.refusal`), once, for every adapter; any
failure becomes a `Problem` (sources down, budgets spent, bad input), and unexpected errors are logged with
their traceback and shown to the channel as a short apology, never as a traceback. `handle_text` does the
same for command text, so that a text that is not a command gets the same answer in every adapter.

Commands that ask a source (`source_bound`) take a slot of the sources' bounded pool and run under one overall
deadline (`SourceHub.lookup`); when the pool is full or arXiv's queue is backed up they are answered "busy" at
once. Every other command (`list`, `status`, `settings`, …) never waits for a source, however slow or hung.
"""

from __future__ import annotations

import asyncio
import logging
import random

from sqlalchemy.exc import DBAPIError, OperationalError

from core.app import App, current_app
from core.commands import Command, DigestNow, DigestPreview, Help, UsageError, parse_command, usage_problem
from core.handlers import HANDLERS, Handler
from core.model.context import Actor, Destination
from core.rules import refusal
from core.sources.http import Busy, NotFound, RateLimited, SourceError
from core.views import Problem, View

log = logging.getLogger(__name__)

# Attempts at a command whose transaction lost a race with another writer (each one rolled back whole).
DB_ATTEMPTS = 3
DB_BUSY = Problem("Paper Radar is busy right now", "Its database was too busy to answer that; nothing was changed.",
                  "Try it again in a minute.", code="busy")
# Past the lookup's own deadline (which every source request honours) the handler is stopped: only something
# that is not a source request (a stalled database) can get here.
LOOKUP_GRACE_S = 10.0
# Digests say needs_network because they post to the platform, not because they ask a source: they neither
# take a lookup slot nor get a lookup's deadline (stopping a delivery halfway would help nobody).
_PLATFORM_BOUND = (DigestNow, DigestPreview)


def source_bound(command: Command) -> bool:
    """The command asks a data source: it is bounded by the sources' pool and deadline, and may hang with them;
    an adapter that bounds its own workers must not let these hold the ones other commands need."""
    return command.needs_network and not isinstance(command, _PLATFORM_BOUND)


def source_problem(error: SourceError) -> Problem:
    if isinstance(error, Busy):
        return Problem(f"{error.source} is busy right now", f"{error.source} {error.message}, so this one was not "
                       "started.", "Try again in a minute.", code="busy")
    if isinstance(error, RateLimited):
        if error.budget_exhausted:
            detail = f"{error.source}'s daily API budget is used up; it resets tomorrow."
        else:
            detail = f"{error.source} is asking us to slow down."
        return Problem("Too many requests right now", detail, "Try again in a few minutes.", code="rate_limited")
    if isinstance(error, NotFound):
        return Problem("Not found", f"{error.source} has no record of that.", code="not_found")
    return Problem(
        f"{error.source} is not answering",
        f"{error.source} {error.message}.",
        "This is usually temporary: try again in a few minutes.",
        code="source_down",
    )


async def handle(
    command: Command, actor: Actor, destination: Destination, *, app: App | None = None
) -> View:
    """Answer one command for one actor in one channel."""
    refused = refusal(command, actor, destination)
    if refused is not None:
        return refused
    handler = HANDLERS.get(type(command))
    if handler is None:
        return Problem(
            "Not available yet", f"This version of Paper Radar cannot do `{type(command).__name__}` yet.",
            code="unavailable",
        )
    for attempt in range(1, DB_ATTEMPTS + 1):
        try:
            # Help needs no running App (the console and tests ask for it before one exists).
            target = app if app is not None or isinstance(command, Help) else current_app()
            if target is None or not source_bound(command):
                return await handler(target, command, actor, destination)
            return await _lookup(target, handler, command, actor, destination)
        except DBAPIError as error:
            if not _transient(error):
                return _unexpected(command)
            if attempt == DB_ATTEMPTS:
                log.warning("database still busy after %d attempts at %s", attempt, type(command).__name__)
                return DB_BUSY
            # The losing transaction was rolled back; what a handler committed before it (a cache entry, a
            # pick list, a run already in the ledger) is written so that doing it again changes nothing.
            log.info("database busy (%s) handling %s; retrying", _sqlstate(error), type(command).__name__)
            await asyncio.sleep(random.uniform(0.05, 0.25) * attempt)
        except SourceError as error:
            log.warning("source error while handling %s: %s", type(command).__name__, error)
            return source_problem(error)
        except Exception:
            return _unexpected(command)
    raise AssertionError("unreachable: the last attempt returns")  # pragma: no cover


async def _lookup(app: App, handler: Handler, command: Command, actor: Actor, where: Destination) -> View:
    with app.sources.lookup():  # raises Busy at once when every slot is taken
        seconds = app.settings.lookup_deadline_s
        timer = asyncio.timeout(seconds + LOOKUP_GRACE_S)
        try:
            async with timer:
                return await handler(app, command, actor, where)
        except TimeoutError:
            if not timer.expired():
                raise  # not ours: an unexpected error like any other
            log.warning("%s stopped after %.0fs (its deadline is %.0fs)", type(command).__name__,
                        seconds + LOOKUP_GRACE_S, seconds)
            return Problem("That took too long", f"Paper Radar gave up after {seconds + LOOKUP_GRACE_S:.0f} "
                           "seconds without an answer.", "This is usually temporary: try again in a few minutes.",
                           code="source_down")


def read_command(text: str) -> Command | Problem:
    """The Command a text says, or the usage Problem that explains why it says none (the same in every
    adapter). For adapters that must decide something before handling, like what fits in an ack."""
    try:
        return parse_command(text)
    except UsageError as error:
        return usage_problem(error)


async def handle_text(
    text: str, actor: Actor, destination: Destination, *, app: App | None = None
) -> View:
    """Parse and answer command text (with or without `/radar`), exactly as a channel would see it."""
    command = read_command(text)
    if isinstance(command, Problem):
        return command
    return await handle(command, actor, destination, app=app)


def _sqlstate(error: DBAPIError) -> str:
    return str(getattr(error.orig, "sqlstate", None) or str(error.orig)[:40])


def _transient(error: DBAPIError) -> bool:
    """A conflict with another writer that goes away on its own: SQLite's lock waited out (busy_timeout),
    PostgreSQL's serialization failure or deadlock (the server rolled one side back)."""
    if isinstance(error, OperationalError) and "database is locked" in str(error.orig):
        return True
    return getattr(error.orig, "sqlstate", None) in ("40001", "40P01")


def _unexpected(command: Command) -> Problem:
    log.exception("unexpected error while handling %s", type(command).__name__)
    return Problem(
        "Something went wrong on our side",
        "Paper Radar hit an unexpected error answering that. Nothing in this channel was changed.",
        "Try again; if it keeps happening, tell whoever runs the bot (it is in their logs).",
        code="internal",
    )

