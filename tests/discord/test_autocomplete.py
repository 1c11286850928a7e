"""Suggestions while typing: fast, within Discord's 25 choices of 100 characters, and never an error.

Each is asked as the tree asks it: a `Suggest` through core's door, its `Suggestions` turned into choices.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from discord import app_commands

from bots.discord import limits
from bots.discord.autocomplete import choices_of
from core.commands import Suggest
from core.model.context import Actor, Destination
from core.researchers import suggest as researcher_suggest
from core.service import handle
from core.storage.models import ResearcherRow
from core.views import Problem, Suggestion, Suggestions
from tests.fakes import SourceRouter, read_json

MEMBER = Actor("discord", "42", can_manage=False)  # suggestions need no permission
CHANNEL = Destination("discord", "1000", "2000")


async def choices(app: Any, field: str, current: str) -> list[app_commands.Choice[str]]:
    return choices_of(await handle(Suggest(field, current, limit=limits.CHOICES), MEMBER, CHANNEL, app=app))


def _ok(found: list[Any]) -> None:
    assert len(found) <= 25
    assert all(1 <= len(c.name) <= 100 and 1 <= len(str(c.value)) <= 100 for c in found)


async def test_categories_by_code_name_and_archive(app_factory: Any) -> None:
    app = app_factory()
    assert [c.value for c in await choices(app, "category", "cs.l")][:2] == ["cs.LG", "cs.LO"]
    assert (await choices(app, "category", "machine learning"))[0].name == "cs.LG — Machine Learning"
    assert "stat.ML" in [c.value for c in await choices(app, "category", "machine learning")]
    assert any(c.value == "cs.*" for c in await choices(app, "category", "computer science"))
    assert await choices(app, "category", "") and await choices(app, "category", "zzzz") == []
    for text in ("", "c", "math", "q-bio.", "hep"):
        _ok(await choices(app, "category", text))


async def test_time_zones(app_factory: Any) -> None:
    app = app_factory()
    assert (await choices(app, "timezone", "paris"))[0].value == "Europe/Paris"
    assert (await choices(app, "timezone", "new y"))[0].value == "America/New_York"
    assert (await choices(app, "timezone", "new y"))[0].name == "America/New York"
    assert (await choices(app, "timezone", ""))[0].value == "UTC"
    assert all("Etc/" not in c.value for c in await choices(app, "timezone", "gmt"))
    for text in ("", "a", "europe", "x" * 90):
        _ok(await choices(app, "timezone", text))


async def test_setting_values_follow_the_chosen_setting(app_factory: Any) -> None:
    app = app_factory()
    assert [c.value for c in await choices(app, "setting:updates", "")] == ["on", "off"]
    assert [c.value for c in await choices(app, "setting:days", "mon")] == ["mon", "mon-fri", "mon,wed,fri"]
    assert (await choices(app, "setting:time", "06:45"))[0].value == "06:45"  # what was typed stays first
    assert (await choices(app, "setting:timezone", "tokyo"))[0].value == "Asia/Tokyo"
    # An abbreviation or offset is offered as typed, saying the zone it is taken as.
    assert [(c.name, c.value) for c in await choices(app, "setting:timezone", "PST")][:1] == [
        ("PST (America/Los_Angeles)", "PST")]
    assert [(c.name, c.value) for c in await choices(app, "setting:timezone", "UTC+2")][:1] == [
        ("UTC+2 (UTC+02:00)", "UTC+2")]
    assert await choices(app, "setting:", "") == []


async def test_researcher_names_are_looked_up_once(app_factory: Any, synthetic: Path) -> None:
    router = SourceRouter().add("openalex", "/autocomplete/authors",
                                read_json(synthetic / "synthetic_openalex_autocomplete_authors.json"))
    app = app_factory(router)
    assert await choices(app, "researcher", "zo") == []  # too short to mean anyone
    first = await choices(app, "researcher", "Zoe  Ang")
    assert [c.value for c in first] == ["A5000000001", "A5000000003"]
    assert first[0].name == "Zoë Ångström-Nakamura — École Normale Supérieure, France, 48 works"
    assert await choices(app, "researcher", "zoe ang") == first
    researcher_suggest.forget(app)  # a restart: from the database
    assert await choices(app, "researcher", "ZOE ANG") == first
    assert len(router.calls("openalex", "/autocomplete")) == 1
    assert router.calls("openalex")[0].url.params["q"] == "zoe ang"


async def test_researcher_names_fall_back_to_known_people(app_factory: Any) -> None:
    router = SourceRouter().add("openalex", "/", httpx.Response(503))
    app = app_factory(router)
    async with app.db.session() as session:
        session.add(ResearcherRow(openalex_id="A5023888391", display_name="Jason Priem"))
        await session.commit()
    found = await choices(app, "researcher", "priem")
    assert [(c.name, c.value) for c in found] == [("Jason Priem", "A5023888391")]


def test_suggestions_are_fitted_to_discords_limits() -> None:
    long = Suggestions(items=tuple(Suggestion(f"{n} " + "word " * 40, f"{n}" * 150) for n in range(30)))
    found = choices_of(long)
    assert len(found) == 25
    _ok(found)
    assert found[0].name.endswith("…")
    # A label with nothing to read is left out rather than rejected by Discord with the whole answer.
    assert choices_of(Suggestions(items=(Suggestion(" ", "x"), Suggestion("ok", "y")))) == [
        app_commands.Choice(name="ok", value="y")]


def test_anything_but_suggestions_is_no_choices() -> None:
    assert choices_of(Problem("No", "no")) == []
