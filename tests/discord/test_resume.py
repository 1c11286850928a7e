"""A Discord digest interrupted after Discord took a part: the resumed run posts the same parts, with the same
nonces (derived from the run and the part), so Discord hands back the part it already has instead of showing
it twice, and every paper is marked with the message that really carried it."""

from __future__ import annotations

import re
from contextlib import suppress
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from bots.discord.sink import DiscordSink, GlobalPacer
from core.digest.deliver import deliver_run, run_digest
from core.digest.ingest import ingest
from core.model.context import Destination
from core.model.enums import RunKind
from core.storage import repos
from core.storage.models import DeliveryRow, DigestRunRow
from tests.digest.conftest import THURSDAY, database_down, feed_router
from tests.discord.fake_discord import FakeDiscord
from tests.discord.payloads import CHANNEL, GUILD

PART = re.compile(r"part (\d+) of (\d+)")


async def test_a_resumed_run_sends_the_part_discord_already_took_once(fake: FakeDiscord, discord_app: Any,
                                                                      recordings: Path) -> None:
    app = discord_app(feed_router(recordings), now=THURSDAY)
    fake.channel_limit = (50, 1.0)  # the real 5 per 5 s would only make this test slow
    app.sinks["discord"] = sink = DiscordSink(app.settings, pacer=GlobalPacer(limit=50))
    async with app.db.session() as session:
        destination = await repos.ensure_destination(session, Destination("discord", GUILD, CHANNEL))
        destination.max_items = 30
        await repos.add_subscription(session, destination, kind="category", query="cs.LG")
        await session.commit()
    assert destination.id is not None
    await ingest(app, researchers=False)
    # Discord takes part 2, and the database fails to mark it: the ledger never hears of it.
    with database_down("mark_sent", on_calls={2}), suppress(OperationalError):
        await run_digest(app, destination.id, kind=RunKind.NOW)  # (before stable parts, the error escaped)
    try:
        assert len(fake.in_channel(CHANNEL)) == 2
        async with app.db.session() as session:
            run = (await session.exec(select(DigestRunRow))).one()
        assert run.id is not None
        assert (await deliver_run(app, run.id)).state == "done"  # the next tick
    finally:
        await sink.aclose()

    posted = fake.in_channel(CHANNEL)
    labels = [PART.search(p.body["content"] or "") for p in posted]
    assert [int(m.group(1)) for m in labels if m] == list(range(1, len(posted) + 1))
    assert {int(m.group(2)) for m in labels if m} == {len(posted)}
    carried = {card["url"].rsplit("/", 1)[1]: sent.message_id for index, sent in enumerate(posted)
               for card in sent.body["embeds"][1 if index == 0 else 0 :]}
    async with app.db.session() as session:
        rows = (await session.exec(select(DeliveryRow).order_by(col(DeliveryRow.position)))).all()
    assert len(rows) == 30 == len(carried)  # every paper once: part 2 was not posted again
    assert {r.paper_id.removeprefix("arXiv:"): r.message_id for r in rows} == carried
    assert {r.state for r in rows} == {"sent"}
