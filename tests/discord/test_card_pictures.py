"""A researcher card's pictures in Discord: attached to the answer (multipart, through the real discord.py
client and the loopback fake), shown by the card's embeds as `attachment://<name>`, each with its alt text."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image

from tests.discord.conftest import running
from tests.discord.fake_discord import FakeDiscord
from tests.discord.payloads import EVERYONE_PERMS, MEMBER, slash
from tests.fakes import SourceRouter
from tests.handlers.test_researchers import namesake_routes


async def test_card_carries_its_pictures_as_attachments(fake: FakeDiscord, discord_app: Any, synthetic: Path) -> None:
    app = discord_app(namesake_routes(SourceRouter(), synthetic), openalex_api_key="k")
    async with running(fake, app) as bot:
        (card,) = await bot.send(slash("researcher", name="A5100000002", user=MEMBER, permissions=EVERYONE_PERMS))
    assert card.ephemeral and card.kind == "original"
    names = [name for name, _ in card.files]
    assert names == ["researcher-A5100000002-collaborators.png", "researcher-A5100000002-per-year.png"]
    for _, data in card.files:
        picture = Image.open(io.BytesIO(data))
        assert picture.format == "PNG" and picture.width == 800
    embeds = card.body["embeds"]
    assert embeds[0]["title"] == "Maria Garcia"
    assert embeds[0]["image"]["url"] == "attachment://researcher-A5100000002-collaborators.png"
    assert embeds[1]["image"]["url"] == "attachment://researcher-A5100000002-per-year.png"
    described = {a["filename"]: a.get("description", "") for a in card.body["attachments"]}
    assert described["researcher-A5100000002-collaborators.png"].startswith(
        "Collaboration graph of Maria Garcia, last 3 years: Kenji Tanaka (3 papers together)")
    assert "2024: 5 works, 400 citations" in described["researcher-A5100000002-per-year.png"]
