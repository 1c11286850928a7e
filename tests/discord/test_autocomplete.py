"""Suggestions while typing: fast, within Discord's 25 choices of 100 characters, and never an error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from bots.discord.autocomplete import (
    ResearcherSuggestions,
    category_choices,
    setting_value_choices,
    timezone_choices,
)
from core.storage.models import ResearcherRow
from tests.fakes import SourceRouter, read_json


def _ok(choices: list[Any]) -> None:
    assert len(choices) <= 25
    assert all(1 <= len(c.name) <= 100 and 1 <= len(str(c.value)) <= 100 for c in choices)


def test_categories_by_code_name_and_archive() -> None:
    assert [c.value for c in category_choices("cs.l")][:2] == ["cs.LG", "cs.LO"]
    assert category_choices("machine learning")[0].name == "cs.LG — Machine Learning"
    assert "stat.ML" in [c.value for c in category_choices("machine learning")]
    assert any(c.value == "cs.*" for c in category_choices("computer science"))
    assert category_choices("") and category_choices("zzzz") == []
    for text in ("", "c", "math", "q-bio.", "hep"):
        _ok(category_choices(text))


def test_time_zones() -> None:
    assert timezone_choices("paris")[0].value == "Europe/Paris"
    assert timezone_choices("new y")[0].value == "America/New_York"
    assert timezone_choices("new y")[0].name == "America/New York"
    assert timezone_choices("")[0].value == "UTC"
    assert all("Etc/" not in c.value for c in timezone_choices("gmt"))
    for text in ("", "a", "europe", "x" * 90):
        _ok(timezone_choices(text))


def test_setting_values_follow_the_chosen_setting() -> None:
    assert [c.value for c in setting_value_choices("updates", "")] == ["on", "off"]
    assert [c.value for c in setting_value_choices("days", "mon")] == ["mon", "mon-fri", "mon,wed,fri"]
    assert setting_value_choices("time", "06:45")[0].value == "06:45"  # what was typed stays first
    assert setting_value_choices("timezone", "tokyo")[0].value == "Asia/Tokyo"
    assert setting_value_choices(None, "") == []


async def test_researcher_names_are_looked_up_once(app_factory: Any, synthetic: Path) -> None:
    router = SourceRouter().add("openalex", "/autocomplete/authors",
                                read_json(synthetic / "synthetic_openalex_autocomplete_authors.json"))
    app = app_factory(router)
    suggestions = ResearcherSuggestions(app)
    assert await suggestions.choices("zo") == []  # too short to mean anyone
    first = await suggestions.choices("Zoe  Ang")
    assert [c.value for c in first] == ["A5000000001", "A5000000003"]
    assert first[0].name == "Zoë Ångström-Nakamura — École Normale Supérieure, France, 48 works"
    assert await suggestions.choices("zoe ang") == first
    assert await ResearcherSuggestions(app).choices("ZOE ANG") == first  # a restart: from the database
    assert len(router.calls("openalex", "/autocomplete")) == 1
    assert router.calls("openalex")[0].url.params["q"] == "zoe ang"


async def test_researcher_names_fall_back_to_known_people(app_factory: Any) -> None:
    router = SourceRouter().add("openalex", "/", httpx.Response(503))
    app = app_factory(router)
    async with app.db.session() as session:
        session.add(ResearcherRow(openalex_id="A5023888391", display_name="Jason Priem"))
        await session.commit()
    choices = await ResearcherSuggestions(app).choices("priem")
    assert [(c.name, c.value) for c in choices] == [("Jason Priem", "A5023888391")]
