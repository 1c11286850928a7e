"""`digest more` hands out the latest digest's backlog whichever way its run was stored: a new run names the
backlog's papers once (in its packed backlog, `more_ids` left empty); runs stored before listed them in
`more_ids` too, with the backlog kept per paper, or, before the backlog column, no reasons at all."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col, select

from core.digest.ingest import ingest
from core.storage import ledger
from core.storage.models import DigestRunRow
from core.views import DigestView, Notice
from tests.digest.conftest import RecordingSink
from tests.digest.test_selection import GROUP, _ask
from tests.fakes import ask_text


@pytest.mark.parametrize("stored", ["new", "per paper", "no backlog"])
async def test_digest_more_after_a_run_stored_either_way(channel_app: Any, sink: RecordingSink, stored: str) -> None:
    app = channel_app
    await _ask(app, *GROUP, "settings max 10")
    await ingest(app, researchers=False)
    view, text = await ask_text(app, "digest now")
    assert isinstance(view, Notice) and "10 new papers" in text, text
    async with app.db.session() as session:
        row = (await session.exec(select(DigestRunRow).order_by(col(DigestRunRow.id).desc()))).first()
        assert row is not None and row.backlog is not None
        packed = row.backlog
        waiting = ledger.backlog_ids(packed)
        assert row.more_ids == [] and len(waiting) == row.more_count > 20
        if stored != "new":  # the same run as the clock stored it before: the ids twice
            row.more_ids = waiting
            row.backlog = {p: dict(zip(("revision", "version", "reasons"), ledger.backlog_item(packed, p), strict=True))
                           for p in waiting} if stored == "per paper" else None
            session.add(row)
            await session.commit()
    more, more_text = await ask_text(app, "digest more")
    assert isinstance(more, DigestView), more_text
    assert [item.paper_id for item in more.items] == waiting[:10]
    assert more.first_number == 11 and more.more_count == len(waiting) - 10
    expected = [[r["text"] for r in ledger.backlog_item(packed, p)[2]] if stored != "no backlog" else []
                for p in waiting[:10]]
    assert [[reason.text for reason in item.why] for item in more.items] == expected
    assert all(expected) or stored == "no backlog"
    again, _ = await ask_text(app, "digest more")
    assert isinstance(again, DigestView) and [i.paper_id for i in again.items] == waiting[10:20]
    assert again.first_number == 21
