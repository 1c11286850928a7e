"""Storage on SQLite and, under .ci/run, on PostgreSQL: migrations, the ledger's promise, merging, cache."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from core.config import _sync_database_url
from core.model.context import Destination
from core.model.papers import AuthorRef, PaperRecord
from core.storage import ledger, repos
from core.storage.db import Database, head_revision, upgrade
from core.storage.models import DeliveryRow, DigestRunRow, utcnow

CHANNEL = Destination("slack", "T1", "C1")


def _empty_database(tmp_path, backend: str) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A database nobody has migrated yet: a new SQLite file, or a new database on the CI PostgreSQL server."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin_url = make_url(_sync_database_url(os.environ["DATABASE_URL"]))
    name = f"radar_empty_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


async def test_migrations_apply_from_empty(tmp_path, database_backend: str) -> None:  # type: ignore[no-untyped-def]
    for url in _empty_database(tmp_path, database_backend):
        upgrade(url)
        db = Database(url)
        try:
            assert await db.schema_revision() == head_revision()
        finally:
            await db.dispose()
        upgrade(url)  # a second `radar db upgrade` (every release runs one) is a no-op, not an error


async def test_schema_matches_models(db: Database) -> None:
    """The migrated schema is what the models describe (no forgotten migration)."""
    assert await db.schema_revision() == head_revision()
    engine = create_engine(_sync_database_url(db.url))
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    finally:
        engine.dispose()
    assert diff == []


async def _run(db: Database, destination_id: int) -> int:
    async with db.session() as session:
        run = DigestRunRow(destination_id=destination_id)
        session.add(run)
        await session.commit()
        assert run.id is not None
        return run.id


async def _paper(db: Database, arxiv_id: str) -> None:
    async with db.session() as session:
        await repos.upsert_papers(session, [PaperRecord(title=f"Paper {arxiv_id}", arxiv_id=arxiv_id, versions=(1,))])
        await session.commit()


async def test_ledger_refuses_a_second_claim(db: Database) -> None:
    async with db.session() as session:
        destination = await repos.ensure_destination(session, CHANNEL)
        await session.commit()
    assert destination.id is not None
    await _paper(db, "2401.00001")
    await _paper(db, "2401.00002")
    first, second = await _run(db, destination.id), await _run(db, destination.id)
    async with db.session() as session:
        owned = await ledger.claim_deliveries(
            session, destination.id, first, [ledger.Claim("arXiv:2401.00001"), ledger.Claim("arXiv:2401.00002")]
        )
        await session.commit()
    assert owned == ["arXiv:2401.00001", "arXiv:2401.00002"]
    async with db.session() as session:
        owned_again = await ledger.claim_deliveries(session, destination.id, second, [ledger.Claim("arXiv:2401.00002")])
        update = await ledger.claim_deliveries(session, destination.id, second,
                                               [ledger.Claim("arXiv:2401.00001", revision=2, version=2)])
        await session.commit()
    assert owned_again == []  # already claimed by the first run: never sent twice
    assert update == ["arXiv:2401.00001"]  # "updated to v2" is a delivery of its own
    async with db.session() as session:
        session.add(DeliveryRow(destination_id=destination.id, paper_id="arXiv:2401.00001", run_id=second))
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_mark_sent_records_message_id(db: Database) -> None:
    async with db.session() as session:
        destination = await repos.ensure_destination(session, CHANNEL)
        await session.commit()
    assert destination.id is not None
    await _paper(db, "2401.00003")
    run = await _run(db, destination.id)
    async with db.session() as session:
        await ledger.claim_deliveries(session, destination.id, run, [ledger.Claim("arXiv:2401.00003")])
        await ledger.mark_sent(session, run, ["arXiv:2401.00003"], "1700000000.000100")
        await session.commit()
    async with db.session() as session:
        delivered = await ledger.delivered_paper_ids(session, destination.id, ["arXiv:2401.00003", "arXiv:2401.09999"])
        row = (await session.exec(DeliveryRow.__table__.select())).first()  # type: ignore[attr-defined,call-overload]
    assert delivered == {"arXiv:2401.00003"}
    assert row.state == "sent" and row.message_id == "1700000000.000100"


async def test_destination_is_created_once(db: Database) -> None:
    async with db.session() as session:
        a = await repos.ensure_destination(session, CHANNEL)
        b = await repos.ensure_destination(session, CHANNEL)
        other = await repos.ensure_destination(session, Destination("slack", "T2", "C1"))
        await session.commit()
    assert a.id == b.id != other.id


async def test_subscription_numbers_are_per_channel_and_isolated(db: Database) -> None:
    async with db.session() as session:
        mine = await repos.ensure_destination(session, CHANNEL)
        theirs = await repos.ensure_destination(session, Destination("discord", "G1", "42"))
        s1 = await repos.add_subscription(session, mine, kind="topic", query="diffusion")
        s2 = await repos.add_subscription(session, mine, kind="category", query="cs.LG")
        t1 = await repos.add_subscription(session, theirs, kind="category", query="hep-th")
        await session.commit()
    assert (s1.number, s2.number, t1.number) == (1, 2, 1)
    assert mine.id is not None and theirs.id is not None
    async with db.session() as session:
        assert await repos.delete_subscription(session, theirs.id, 2) is None  # not theirs to delete
        removed = await repos.delete_subscription(session, mine.id, 1)
        await session.commit()
    assert removed is not None and removed.query == "diffusion"
    async with db.session() as session:
        assert [s.query for s in await repos.list_subscriptions(session, mine.id)] == ["cs.LG"]
        assert await repos.count_subscriptions(session, theirs.id) == 1
        again = await repos.add_subscription(session, mine, kind="topic", query="x")
        await session.commit()
    assert again.number == 3  # numbers are never reused, so an old "unsubscribe 1" cannot hit a new one


async def test_papers_merge_versions_and_sources(db: Database) -> None:
    v1 = PaperRecord(
        title="Attention", arxiv_id="1706.03762", versions=(1,), announced=date(2017, 6, 13),
        announce_type="new", authors=(AuthorRef("Ashish Vaswani"),), categories=("cs.CL",), sources=("arxiv",),
    )
    v5 = PaperRecord(
        title="Attention", arxiv_id="1706.03762", versions=(5,), announced=date(2017, 12, 7),
        announce_type="replace", categories=("cs.CL", "cs.LG"), sources=("arxiv",),
    )
    openalex = PaperRecord(
        title="Attention is all you need", arxiv_id="1706.03762", doi="10.48550/arxiv.1706.03762",
        authors=(AuthorRef("Ashish Vaswani", openalex_id="A5001"),), citation_count=100000, sources=("openalex",),
    )
    async with db.session() as session:
        await repos.upsert_papers(session, [v1])
        await session.commit()
    async with db.session() as session:
        await repos.upsert_papers(session, [v5, openalex])
        await session.commit()
    async with db.session() as session:
        row = await repos.get_paper(session, "arXiv:1706.03762")
    assert row is not None
    assert row.versions == [1, 5] and row.latest_version == 5
    assert row.last_announce_type == "replace" and row.last_announced == date(2017, 12, 7)
    assert row.sources == ["arxiv", "openalex"]
    assert row.announced == date(2017, 6, 13) and row.announce_type == "new"
    assert row.categories == ["cs.CL", "cs.LG"]
    assert row.doi == "10.48550/arxiv.1706.03762" and row.citation_count == 100000
    assert row.authors == [{"name": "Ashish Vaswani", "openalex_id": "A5001"}]


async def test_lookup_cache_expires(db: Database) -> None:
    now = utcnow()
    async with db.session() as session:
        await repos.cache_put(session, "researcher:hinton", {"n": 1}, timedelta(hours=1), now=now)
        await repos.cache_put(session, "researcher:hinton", {"n": 2}, timedelta(hours=1), now=now)
        await session.commit()
    async with db.session() as session:
        assert await repos.cache_get(session, "researcher:hinton", now=now + timedelta(minutes=59)) == {"n": 2}
        assert await repos.cache_get(session, "researcher:hinton", now=now + timedelta(minutes=61)) is None
        assert await repos.cache_purge(session, now=now + timedelta(hours=2)) == 1
        await session.commit()
