"""`/radar follow-citations` and the "New citations" section through discord.py against the loopback fake: the
section's embeds and their 👍/👎 buttons within Discord's limits (the fake checks every message)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from core.model.context import Destination
from core.storage import repos
from tests.digest.test_researcher_citations import AUTHOR, SENTENCE, _router
from tests.discord.conftest import running
from tests.discord.fake_discord import FakeDiscord
from tests.discord.payloads import CHANNEL, GUILD, slash
from tests.discord.test_bot_commands import texts


async def test_follow_citations_and_the_posted_section(fake: FakeDiscord, discord_app: Any, recordings: Path) -> None:
    app = discord_app(_router(recordings), OPENALEX_API_KEY="k")
    async with running(fake, app) as bot:
        answers = await bot.send(slash("follow-citations", target=AUTHOR), answers=2)
        # The notice goes to the channel (it changes what everyone there receives); the asker is told so.
        assert "new citations of Jason Priem's work as #1" in texts(answers[-1])
        assert not answers[-1].ephemeral
        async with app.db.session() as session:
            row = await repos.ensure_destination(session, Destination("discord", GUILD, CHANNEL))
            row.last_digest_at = app.now() - timedelta(days=1)
            session.add(row)
            await session.commit()
        (sent,) = await bot.send(slash("digest now"), within=30)
        assert "Sent the digest" in texts(sent)
        posted = [p for p in fake.in_channel(CHANNEL) if "Paper Radar digest" in (p.body.get("content") or "")]
        assert len(posted) == 2  # ten citations and the header: two messages of at most ten embeds
        embeds = [e for p in posted for e in p.body["embeds"]]
        assert any((e.get("author") or {}).get("name") == "── New citations ──" for e in embeds)
        assert any(f"> “{SENTENCE}" in (e.get("description") or "") for e in embeds)
        labels = [c["label"] for p in posted for row in p.body.get("components") or [] for c in row["components"]]
        assert sum(label.startswith("👍") for label in labels) == 10
