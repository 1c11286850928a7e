"""The clock's bulk ledger writes (`ledger.create_runs`, through `ledger_bulk`) on SQLite and PostgreSQL: what each
run owns under the unique constraint, and values that read back exactly as the ORM's own writes of them do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import select

from core.model.context import Destination
from core.model.enums import RunKind, RunState
from core.storage import ledger, repos
from core.storage.db import Database, json_text
from core.storage.models import DeliveryRow, DigestRunRow, PaperRow

SCHEDULED = datetime(2024, 11, 28, 12, 0, 0, 123456, tzinfo=UTC)
WINDOW = (datetime(2024, 11, 27, 12, 0, 0, 654321, tzinfo=UTC), datetime(2024, 11, 28, 11, 59, 59, 999999, tzinfo=UTC))
# A channel's window in its own zone (what the planner hands over for New York): the offset must survive too.
NEW_YORK = (datetime(2024, 11, 27, 7, 0, 0, 1, tzinfo=ZoneInfo("America/New_York")),
            datetime(2024, 11, 28, 6, 59, 59, 500000, tzinfo=ZoneInfo("America/New_York")))
TRICKY = 'quote " backslash \\ slash / newline \n tab \t bell \x07 é 中文 🎉 \u2028 end'
PAPERS = [f"arXiv:2411.{n:05d}" for n in range(1, 11)]
ODD_PAPER = 'doi:10.1000/"odd"\\id-é'


async def _channels(db: Database, count: int = 3) -> list[int]:
    async with db.session() as session:
        ids = [(await repos.ensure_destination(session, Destination("slack", "T1", f"C{n}"))).id for n in range(count)]
        session.add_all(PaperRow(id=p, title=p) for p in [*PAPERS, ODD_PAPER])
        await session.commit()
    return [i for i in ids if i is not None]


def _claims(*paper_ids: str, reasons: list[dict[str, Any]] | None = None) -> list[ledger.Claim]:
    return [ledger.Claim(p, 0, 1, reasons or [{"kind": "topic", "subscription": 1, "text": f"why {p}"}], page=0)
            for p in paper_ids]


def _draft(destination_id: int, *paper_ids: str, backlog: dict[str, Any] | None = None,
           window: tuple[datetime, datetime] = WINDOW, note: str | None = None,
           reasons: list[dict[str, Any]] | None = None) -> ledger.RunDraft:
    stored = backlog if backlog is not None else ledger.packed_backlog([], {})
    packed = ledger.PackedBacklog(json_text(stored), len(stored["papers"]))
    return ledger.RunDraft(destination_id, RunKind.SCHEDULED, _claims(*paper_ids, reasons=reasons), packed, *window, note,
                           [{"number": 1, "kind": "topic", "label": "diffusion", "matched": len(paper_ids)}])


async def _create(db: Database, *drafts: ledger.RunDraft) -> list[ledger.DigestRun]:
    async with db.session() as session:
        runs = await ledger.create_runs(session, drafts, owner="clock-1", lease=timedelta(minutes=5),
                                        scheduled_for=SCHEDULED)
        await session.commit()
    return runs


def _utc(moment: datetime | None) -> datetime | None:
    """An instant comparable across both databases (SQLite hands timestamps back naive, in UTC here)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


async def _owned(db: Database, run_id: int) -> list[str]:
    async with db.session() as session:
        return [item.paper_id for item in await ledger.run_items(session, run_id)]


async def test_a_batch_owns_only_the_papers_no_earlier_run_claimed(db: Database) -> None:
    a, b, c = await _channels(db)
    await _create(db, _draft(a, PAPERS[0]), _draft(b, PAPERS[1]))
    partly, wholly, empty = await _create(db, _draft(a, PAPERS[0], PAPERS[2], PAPERS[3]), _draft(b, PAPERS[1]),
                                          _draft(c))
    assert (partly.state, partly.item_count) == (RunState.SENDING, 2)
    assert partly.lease_until is not None and partly.finished_at is None
    assert await _owned(db, partly.id) == [PAPERS[2], PAPERS[3]]  # in the run's order, without the taken one
    # Every paper of b's run was claimed first: that earlier run is the digest, this one sends nothing.
    assert (wholly.state, wholly.item_count) == (RunState.SUPERSEDED, 0)
    assert wholly.lease_until is None and wholly.finished_at is not None
    assert (empty.state, empty.item_count) == (RunState.SENDING, 0)  # nothing to claim is not superseded
    async with db.session() as session:
        for snapshot in (partly, wholly, empty):
            stored = await ledger.get_run(session, snapshot.id)
            assert stored is not None
            assert (stored.state, stored.item_count, stored.destination_id) == (
                snapshot.state, snapshot.item_count, snapshot.destination_id)
            assert _utc(stored.lease_until) == snapshot.lease_until
            assert _utc(stored.finished_at) == snapshot.finished_at
            assert _utc(stored.started_at) == snapshot.started_at and stored.lease_owner == "clock-1"


async def test_two_runs_of_one_channel_in_a_batch_keep_their_order_and_papers(db: Database) -> None:
    a, b, _ = await _channels(db)
    first, other, second = await _create(db, _draft(a, PAPERS[4], PAPERS[5]), _draft(b, PAPERS[5]),
                                         _draft(a, PAPERS[5], PAPERS[6], PAPERS[6]))
    assert first.id < second.id and len({first.id, other.id, second.id}) == 3
    assert await _owned(db, first.id) == [PAPERS[4], PAPERS[5]]
    assert await _owned(db, other.id) == [PAPERS[5]]  # another channel: its own claim
    # The second run lost PAPERS[5] to the first, and a paper listed twice is claimed once.
    assert await _owned(db, second.id) == [PAPERS[6]] and second.item_count == 1
    assert second.state == RunState.SENDING
    async with db.session() as session:
        latest = await ledger.backlog(session, a)
    assert latest.latest is not None and latest.latest.id == second.id


async def test_reasons_papers_and_backlogs_read_back_exactly(db: Database) -> None:
    a, b, _ = await _channels(db)
    reasons = [{"kind": "topic", "subscription": 1, "text": TRICKY, "by_name": False, "possible": True},
               {"kind": "researcher", "subscription": 2, "text": "Ñandú \\\"quoted\\\"", "score": 1.5}]
    backlog = ledger.packed_backlog(reasons, {PAPERS[9]: [0, 2, [0, 1]], ODD_PAPER: [3, None, [1]]})
    (run,) = await _create(db, _draft(a, ODD_PAPER, PAPERS[8], backlog=backlog, note=TRICKY, reasons=reasons))
    async with db.session() as session:  # the same claims through the single-run path, for comparison
        plain = DigestRunRow(destination_id=b)
        session.add(plain)
        await session.flush()
        assert plain.id is not None
        await ledger.claim_deliveries(session, b, plain.id, _claims(ODD_PAPER, PAPERS[8], reasons=reasons))
        await session.commit()
    async with db.session() as session:
        items = await ledger.run_items(session, run.id)
        stored = await ledger.get_run(session, run.id)
        raw = (await session.execute(text(
            "SELECT run_id, paper_id, CAST(reasons AS TEXT) FROM deliveries ORDER BY run_id, position"))).all()
        raw_run = (await session.execute(text(
            "SELECT CAST(backlog AS TEXT), CAST(matched AS TEXT), CAST(more_ids AS TEXT), note FROM digest_runs"
            " WHERE id = :id"), {"id": run.id})).one()
    assert [(i.paper_id, list(i.reasons), i.version) for i in items] == [(ODD_PAPER, reasons, 1), (PAPERS[8], reasons, 1)]
    assert stored is not None and stored.backlog == backlog and stored.note == TRICKY
    assert list(stored.matched) == [{"number": 1, "kind": "topic", "label": "diffusion", "matched": 2}]
    # The stored text is the engine's own JSON text, as the ORM path writes it.
    assert [r[2] for r in raw] == [json_text(reasons)] * 4
    assert [r[1] for r in raw] == [ODD_PAPER, PAPERS[8]] * 2
    assert raw_run[0] == json_text(backlog) and raw_run[1] == json_text(list(stored.matched))
    assert raw_run[2] == "[]" and raw_run[3] == TRICKY  # the backlog names its papers: no second list of them
    assert stored.more_ids == (PAPERS[9], ODD_PAPER) and stored.more_count == run.more_count == 2
    # What the clock holds until delivery leaves the backlog out (the run as stored has it).
    assert (run.more_ids, run.backlog, run.matched) == ((), {}, ())
    async with db.session() as session:  # set reads take the ids as one parameter: odd ones come through whole
        had = await ledger.delivered_revisions_many(session, {a: [ODD_PAPER, PAPERS[9], PAPERS[8]], b: [ODD_PAPER]})
        recent = await ledger.recent_digests(session, [a, b, b + 100], timedelta(days=1))
    assert had == {a: {ODD_PAPER: {0}, PAPERS[8]: {0}}, b: {ODD_PAPER: {0}}} and recent == {a, b}


async def test_timestamps_read_back_as_the_orms_writes_of_them_do(db: Database) -> None:
    a, b, c = await _channels(db)
    utc_run, zoned_run = await _create(db, _draft(a, PAPERS[0]), _draft(b, PAPERS[1], window=NEW_YORK))
    async with db.session() as session:  # the same values written by the ORM
        orm_rows = [DigestRunRow(destination_id=c, scheduled_for=SCHEDULED, window_start=w[0], window_end=w[1],
                                 started_at=utc_run.started_at, lease_until=utc_run.lease_until)
                    for w in (WINDOW, NEW_YORK)]
        session.add_all(orm_rows)
        await session.flush()
        orm_ids = [r.id for r in orm_rows]
        assert orm_ids[0] is not None
        await ledger.claim_deliveries(session, c, orm_ids[0], _claims(PAPERS[2]))
        await session.commit()
    async with db.session() as session:
        bulk = [await ledger.get_run(session, utc_run.id), await ledger.get_run(session, zoned_run.id)]
        orm = [await ledger.get_run(session, i) for i in orm_ids if i is not None]
        claimed = dict((await session.exec(select(DeliveryRow.paper_id, DeliveryRow.claimed_at))).all())
        raw = dict((await session.execute(text("SELECT paper_id, CAST(claimed_at AS TEXT) FROM deliveries"))).all())
    for written, by_orm in zip(bulk, orm, strict=True):
        assert written is not None and by_orm is not None
        for name in ("scheduled_for", "window_start", "window_end", "started_at", "lease_until"):
            mine, theirs = getattr(written, name), getattr(by_orm, name)
            assert mine == theirs and type(mine) is type(theirs) and (mine.tzinfo is None) == (theirs.tzinfo is None)
    assert _utc(bulk[0].window_start) == WINDOW[0] and _utc(bulk[0].window_end) == WINDOW[1]  # type: ignore[union-attr]
    assert _utc(bulk[0].scheduled_for) == SCHEDULED  # type: ignore[union-attr]
    if db.is_sqlite:  # SQLAlchemy's SQLite DateTime: text to the microsecond, the wall time as given
        assert all(len(v) == 26 and v[10] == " " for v in raw.values()), raw
    else:
        assert bulk[1].window_start == NEW_YORK[0] and bulk[1].window_end == NEW_YORK[1]  # type: ignore[union-attr]
    assert (claimed[PAPERS[0]].tzinfo is None) == (claimed[PAPERS[2]].tzinfo is None)
    assert _utc(claimed[PAPERS[0]]) == utc_run.started_at  # claimed as the run starts


async def test_digest_more_reads_new_runs_and_the_runs_stored_before(db: Database) -> None:
    """New runs name their backlog once (in `backlog`); runs stored before list it in `more_ids`, with the
    backlog per paper, or with no backlog at all (recorded before the backlog column)."""
    a, b, c = await _channels(db)
    topic = {"kind": "topic", "subscription": 1, "text": "matched diffusion", "by_name": False}
    packed = ledger.packed_backlog([topic], {PAPERS[3]: [0, 1, [0]], PAPERS[1]: [2, 2, [0]], PAPERS[2]: [0, 1, [0]]})
    await _create(db, _draft(a, PAPERS[0], backlog=packed))
    per_paper = {PAPERS[3]: {"reasons": [topic], "revision": 0, "version": 1},
                 PAPERS[1]: {"reasons": [topic], "revision": 2, "version": 2},
                 PAPERS[2]: {"reasons": [topic], "revision": 0, "version": 1}}
    async with db.session() as session:
        for destination, stored in ((b, per_paper), (c, None)):
            session.add(DigestRunRow(destination_id=destination, kind=RunKind.SCHEDULED, state=RunState.DONE,
                                     item_count=1, more_count=3, more_ids=[PAPERS[3], PAPERS[1], PAPERS[2]],
                                     backlog=stored))
        await session.commit()
    for destination, why in ((a, [topic]), (b, [topic]), (c, [])):
        async with db.session() as session:
            waiting = await ledger.backlog(session, destination)
            assert waiting.latest is not None
            assert waiting.latest.more_ids == waiting.waiting == (PAPERS[3], PAPERS[1], PAPERS[2])
            run, items = await ledger.hand_out_more(session, waiting.latest, waiting.waiting[:2], still_waiting=1)
            await session.commit()
        assert [(i.paper_id, i.revision, list(i.reasons)) for i in items] == [
            (PAPERS[3], 0, why), (PAPERS[1], 2 if why else 0, why)]
        async with db.session() as session:
            after = await ledger.backlog(session, destination)
        assert after.waiting == (PAPERS[2],) and run.more_ids == ()
