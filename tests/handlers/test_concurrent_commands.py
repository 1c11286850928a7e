"""Commands arriving at the same moment, as they do when a team sets up a channel together or a workspace
first discovers the bot: every one is answered properly and the channel ends up with what was asked."""

from __future__ import annotations

import asyncio
import sqlite3

from sqlalchemy.exc import OperationalError

from core.commands import parse_command
from core.model.context import Actor, Destination
from core.service import handle
from core.storage import repos
from core.views import Notice, Problem, View

MANAGER = Actor("slack", "U1", can_manage=True)
TOPICS = [f'"topic number {n}"' for n in range(12)]


async def _ask(app, text: str, where: Destination) -> View:  # type: ignore[no-untyped-def]
    return await handle(parse_command(text), MANAGER, where, app=app)


async def test_subscribes_racing_in_one_channel_each_get_their_own_number(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory()
    where = Destination("slack", "T1", "CRACE")
    await _ask(app, "list", where)  # the channel exists; the race is on its subscription numbers
    views = await asyncio.gather(*(_ask(app, f"subscribe topic {t}", where) for t in TOPICS))
    problems = [v for v in views if isinstance(v, Problem)]
    assert not problems, [(p.title, p.detail) for p in problems]
    assert all(isinstance(v, Notice) for v in views)
    async with app.db.session() as session:
        destination = await repos.get_destination(session, where)
        assert destination is not None and destination.id is not None
        stored = await repos.list_subscriptions(session, destination.id)
    assert sorted(s.number for s in stored) == list(range(1, len(TOPICS) + 1))
    assert sorted(s.query for s in stored) == sorted(TOPICS)
    assert destination.next_subscription_number == len(TOPICS) + 1


async def test_many_new_channels_at_once_are_all_answered(app_factory) -> None:  # type: ignore[no-untyped-def]
    """First contact creates the channel's row; dozens of first contacts at once must not trip on each other."""
    app = app_factory()
    channels = [Destination("slack", "T1", f"CNEW{n}") for n in range(30)]
    views = await asyncio.gather(*(_ask(app, 'subscribe topic "graph neural networks"', c) for c in channels),
                                 *(_ask(app, "list", c) for c in channels))
    problems = [v for v in views if isinstance(v, Problem)]
    assert not problems, [(p.title, p.detail) for p in problems]
    async with app.db.session() as session:
        for channel in channels:
            destination = await repos.get_destination(session, channel)
            assert destination is not None and destination.id is not None
            assert [s.number for s in await repos.list_subscriptions(session, destination.id)] == [1]


def _locked() -> OperationalError:
    return OperationalError("INSERT INTO destinations ...", {}, sqlite3.OperationalError("database is locked"))


async def test_a_command_that_loses_a_lock_race_is_run_again(app_factory, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app = app_factory()
    where = Destination("slack", "T1", "CLOCKED")
    real, failures = repos.ensure_destination, [_locked()]

    async def contended(session, address, **options):  # type: ignore[no-untyped-def]
        if failures:
            raise failures.pop()  # another writer held the database past busy_timeout, once
        return await real(session, address, **options)

    monkeypatch.setattr(repos, "ensure_destination", contended)
    view = await _ask(app, 'subscribe topic "graph neural networks"', where)
    assert isinstance(view, Notice) and "topic #1" in view.text, view
    monkeypatch.setattr(repos, "ensure_destination", real)
    async with app.db.session() as session:
        destination = await repos.get_destination(session, where)
        assert destination is not None and destination.id is not None
        assert [s.query for s in await repos.list_subscriptions(session, destination.id)] == [
            '"graph neural networks"']


async def test_a_database_that_stays_locked_gets_a_busy_answer_and_changes_nothing(app_factory, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    app = app_factory()
    where = Destination("slack", "T1", "CSTUCK")
    await _ask(app, 'subscribe topic "diffusion models"', where)

    async def always_locked(session, destination, **fields):  # type: ignore[no-untyped-def]
        raise _locked()

    monkeypatch.setattr(repos, "add_subscription", always_locked)
    view = await _ask(app, 'subscribe topic "graph neural networks"', where)
    assert isinstance(view, Problem) and view.code == "busy"
    assert view.title == "Paper Radar is busy right now" and "nothing was changed" in view.detail
    assert not [r for r in caplog.records if r.levelname == "ERROR"]  # expected under load: no traceback
    async with app.db.session() as session:
        destination = await repos.get_destination(session, where)
        assert destination is not None and destination.id is not None
        assert [s.query for s in await repos.list_subscriptions(session, destination.id)] == ['"diffusion models"']
