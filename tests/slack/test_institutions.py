"""`/radar institution` and `/radar follow institution` through the real bolt app, on recorded OpenAlex answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.fakes import SourceRouter
from tests.slack.blockcheck import check_message
from tests.slack.conftest import ADMIN, MANAGER, MEMBER, HarnessFactory, text_of


def _body(path: Path) -> Any:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data.get("data", data) if isinstance(data, dict) and "url" in data else data


def router(recordings: Path) -> SourceRouter:
    oa = recordings / "openalex"
    florida = _body(oa / "institution_I33213144_univ_florida.wrapper.json")
    found = SourceRouter()
    found.add("openalex", "/institutions/", lambda request: httpx.Response(200, json=florida)
              if request.url.path.endswith("I33213144") else httpx.Response(404, json={}))
    found.add("openalex", "/autocomplete/institutions", _body(oa / "autocomplete_institutions_q_MIT.results_only.json"))
    found.add("openalex", "/works", _body(oa / "list_works_filter_authorships.institutions.id_quoted_ror_empty.wrapper.json"))
    return found


async def test_institution_card_pick_list_and_follow(make_harness: HarnessFactory, recordings: Path) -> None:
    harness = await make_harness(router(recordings), OPENALEX_API_KEY="k")

    (picks,) = await harness.ask("institution MIT")
    check_message(picks, may_mention=(ADMIN, MANAGER, MEMBER))
    assert "Several institutions match “MIT”" in text_of(picks) and "MIT World Peace University" in text_of(picks)

    (card,) = await harness.ask("institution I33213144")
    check_message(card, may_mention=(ADMIN, MANAGER, MEMBER))
    assert card["blocks"][0]["text"]["text"] == "University of Florida"
    assert "State University System of Florida" in text_of(card) and "funder" in text_of(card)

    (notice,) = await harness.ask("follow institution I33213144")
    assert "now follows University of Florida (Gainesville, United States) as #1" in text_of(notice)
    assert notice["response_type"] == "in_channel"
    (listed,) = await harness.ask("list")
    assert "University of Florida" in text_of(listed)
