"""`Suggest`: what a person may mean while typing an option, through the door like every other command.

Whatever goes wrong (a database error, a slow OpenAlex, a field nobody knows) answers with fewer or no
suggestions, never a Problem: a platform shows that as a broken form.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import OperationalError

from core.commands import Suggest
from core.handlers import HANDLERS
from core.model.context import Actor, Destination
from core.researchers import suggest as researcher_suggest
from core.service import handle
from core.storage import repos
from core.storage import suggestions as stored
from core.storage.models import ResearcherRow
from core.suggestions import suggest
from core.views import Suggestion, Suggestions
from tests.fakes import SourceRouter, ask_text, read_json

MEMBER = Actor("console", "u1", can_manage=False)
CONSOLE = Destination("console", "local", "console")  # where `ask_text` subscribes
ELSEWHERE = Destination("console", "local", "another-channel")


async def suggested(app: Any, field: str, text: str = "", *, where: Destination = CONSOLE, limit: int = 25
                    ) -> tuple[Suggestion, ...]:
    view = await handle(Suggest(field, text, limit=limit), MEMBER, where, app=app)
    assert isinstance(view, Suggestions), view
    return view.items


def test_suggest_has_its_handler_and_needs_no_permission() -> None:
    assert HANDLERS[Suggest] is suggest
    assert not Suggest("category").mutates and not Suggest("researcher").needs_network


async def test_a_channel_sees_only_its_own_subscriptions(app_factory: Any) -> None:
    app = app_factory()
    await ask_text(app, "subscribe topic diffusion -medical")
    await ask_text(app, "subscribe category cs.RO")
    assert await suggested(app, "subscription") == (
        Suggestion("#1 topic: diffusion -medical", "1"), Suggestion("#2 category: cs.RO", "2"))
    assert await suggested(app, "subscription", "#2") == (Suggestion("#2 category: cs.RO", "2"),)
    assert await suggested(app, "subscription", "medic") == (Suggestion("#1 topic: diffusion -medical", "1"),)
    assert await suggested(app, "subscription", where=ELSEWHERE) == ()
    assert await suggested(app, "followed") == ()  # neither is a researcher
    assert await suggested(app, "subscription", limit=1) == (Suggestion("#1 topic: diffusion -medical", "1"),)


async def test_followed_researchers_only(app_factory: Any) -> None:
    app = app_factory()
    await ask_text(app, "subscribe category cs.RO")
    async with app.db.session() as session:
        destination = await repos.ensure_destination(session, CONSOLE)
        await repos.add_subscription(session, destination, kind="researcher", openalex_id="A5023888391",
                                     display_name="Jason Priem")
        await session.commit()
    assert await suggested(app, "followed") == (Suggestion("#2 researcher: Jason Priem", "2"),)
    assert await suggested(app, "followed", "pri") == (Suggestion("#2 researcher: Jason Priem", "2"),)


@pytest.mark.parametrize("limit", [0, -3])
async def test_no_room_means_no_suggestions(app_factory: Any, limit: int) -> None:
    assert await suggested(app_factory(), "category", "cs", limit=limit) == ()


async def test_at_most_the_limit_and_never_more_than_anyone_reads(app_factory: Any) -> None:
    app = app_factory()
    assert len(await suggested(app, "category", "", limit=3)) == 3
    assert len(await suggested(app, "category", "", limit=500)) == 25


async def test_an_unknown_field_or_setting_has_no_suggestions(app_factory: Any) -> None:
    app = app_factory()
    assert await suggested(app, "colour", "blue") == ()
    assert await suggested(app, "setting:colour", "") == ()


@pytest.mark.parametrize("error", [RuntimeError("boom"), OperationalError("SELECT", {}, Exception("database is locked"))])
async def test_a_failing_database_answers_with_no_suggestions(app_factory: Any, monkeypatch: pytest.MonkeyPatch,
                                                              error: Exception) -> None:
    calls = 0

    async def broken(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        raise error

    monkeypatch.setattr(stored, "channel_subscriptions", broken)
    assert await suggested(app_factory(), "subscription", "1") == ()
    assert calls == 1  # not retried like a command: the person has typed on by now


async def test_a_slow_openalex_gives_way_to_people_seen_before(app_factory: Any, monkeypatch: pytest.MonkeyPatch,
                                                               synthetic: Path) -> None:
    body = read_json(synthetic / "synthetic_openalex_autocomplete_authors.json")

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, json=body)

    monkeypatch.setattr(researcher_suggest, "LOOKUP_TIMEOUT_S", 0.05)
    app = app_factory(SourceRouter().add("openalex", "/autocomplete/authors", slow))
    async with app.db.session() as session:
        session.add(ResearcherRow(openalex_id="A5000000001", display_name="Zoë Ångström-Nakamura"))
        await session.commit()
    assert await suggested(app, "researcher", "zoë") == (Suggestion("Zoë Ångström-Nakamura", "A5000000001"),)
    # A fallback is not remembered: the next keystroke asks OpenAlex again.
    assert researcher_suggest.memory_of(app).get("zoë") is None


async def test_researcher_suggestions_are_bounded_by_the_limit(app_factory: Any, synthetic: Path) -> None:
    router = SourceRouter().add("openalex", "/autocomplete/authors",
                                read_json(synthetic / "synthetic_openalex_autocomplete_authors.json"))
    app = app_factory(router)
    assert [s.value for s in await suggested(app, "researcher", "zoe ang", limit=1)] == ["A5000000001"]
    assert [s.value for s in await suggested(app, "researcher", "zoe ang")] == ["A5000000001", "A5000000003"]
    assert len(router.calls("openalex", "/autocomplete")) == 1  # the shorter answer came from the same lookup


async def test_apps_do_not_share_remembered_names(app_factory: Any, synthetic: Path) -> None:
    body = read_json(synthetic / "synthetic_openalex_autocomplete_authors.json")
    first = SourceRouter().add("openalex", "/autocomplete/authors", body)
    await suggested(app_factory(first), "researcher", "zoe ang")
    assert researcher_suggest.memory_of(app_factory()).get("zoe ang") is None

