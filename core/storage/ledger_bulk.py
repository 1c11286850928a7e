"""The ledger's bulk statements: a crowded minute's runs and claims written, and its set reads asked, through
each database's fastest door. The rules (who owns a paper, when a run is superseded) stay in `ledger`.

The clock records thousands of runs in a minute, each with a backlog of a few kilobytes and ten-odd claims.
Through SQLAlchemy's executemany the client did most of that work one value at a time: on PostgreSQL psycopg
dumped every parameter (every element of every array) in Python and re-converted a query text that changed
with each batch; on SQLite each row's parameters went through the statement's compiled bind processors.

- PostgreSQL gets each statement's rows as ONE JSON text parameter, encoded by orjson, that the server unpacks
  (`json_to_recordset`): psycopg has one string to send, the query text never changes (converted once,
  prepared by the server), and the JSON columns take each value's text as it stands in the document, which is
  the text the engine's `json_text` writes for it.
- SQLite gets plain tuples through the driver, each value formatted by the column type's own bind processor,
  so the rows read back through the ORM exactly as if the ORM had written them.
- Set reads take their values as one parameter (`one_of`) instead of an IN list of hundreds of bound
  parameters, whose rendering, conversion and binding cost more than the query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam, cast, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Integer, String
from sqlmodel.ext.asyncio.session import AsyncSession

from core.storage.db import json_text
from core.storage.models import DeliveryRow, DigestRunRow

RUNS = DigestRunRow.__table__  # type: ignore[attr-defined]
DELIVERIES = DeliveryRow.__table__  # type: ignore[attr-defined]


def is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _formatter(session: AsyncSession, table: Any, columns: Sequence[str], *, then: Sequence[Any] = (),
               written: Sequence[str] = ()) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """A row of these columns' values (followed by `then`, values already formatted) as SQLAlchemy binds them
    for this database: each value through its column type's own bind processor (on SQLite DateTime and JSON
    become text), the columns whose type has none, or named in `written` (given as bound already), left as
    they are."""
    dialect = session.get_bind().dialect
    processors = [(i, table.c[name].type.dialect_impl(dialect).bind_processor(dialect) if name not in written else None)
                  for i, name in enumerate(columns)]
    active = [(i, process) for i, process in processors if process is not None]
    tail = tuple(then)

    def formatted(row: Sequence[Any]) -> tuple[Any, ...]:
        values = [*row, *tail]
        for i, process in active:
            values[i] = process(values[i])
        return tuple(values)

    return formatted


# ---------------------------------------------------------------- runs

# The values that differ from run to run, in this order; `RUN_SAME` are the batch's shared values.
# The backlog is its JSON text already (`ledger.PackedBacklog.text`).
RUN_COLUMNS = ("destination_id", "kind", "window_start", "window_end", "note", "item_count", "more_count", "backlog",
               "matched")
RUN_SAME = ("state", "scheduled_for", "started_at", "lease_owner", "lease_until")
# A new run's `more_ids` is empty: its backlog names the papers already (`ledger.backlog_ids`).
_RUN_FIXED = {"attempts": "0", "more_ids": "'[]'", "messages": "'[]'"}
_RUN_TARGET = ", ".join((*RUN_COLUMNS, *RUN_SAME, *_RUN_FIXED))

# Each row an object, unpacked by `json_to_recordset` in one pass over it (per-field `->>` operators would each
# parse the whole row again). Timestamps travel as orjson writes a datetime (ISO 8601 with its offset; a naive
# one without, read in the session's time zone as psycopg's own dumping of it is): timestamptz takes them to the
# microsecond. The backlogs, most of the bytes, come apart from the document, as one text of their JSON texts
# separated by U+001E, zipped with its rows by ROWS FROM: inside the document the server parsed each backlog
# twice more (the document's validation, then the recordset's walk through it) before its own validation as a
# json value, a fifth of the statement. JSON text never holds a raw U+001E: control characters in strings are
# escaped, and orjson writes no whitespace between tokens.
_RUNS_FROM_JSON = text(
    f"INSERT INTO digest_runs ({_RUN_TARGET})"
    " SELECT t.destination_id, t.kind, t.window_start, t.window_end, t.note, t.item_count, t.more_count,"
    " CAST(t.backlog AS json), t.matched, :state, :scheduled_for, :started_at, :lease_owner, :lease_until,"
    " 0, CAST('[]' AS json), CAST('[]' AS json)"
    " FROM ROWS FROM (json_to_recordset(CAST(:doc AS json)) AS (destination_id integer, kind text,"
    " window_start timestamptz, window_end timestamptz, note text, item_count integer, more_count integer,"
    " matched json), unnest(string_to_array(:backlogs, chr(30))))"
    " AS t(destination_id, kind, window_start, window_end, note, item_count, more_count, matched, backlog)"
    " RETURNING id, destination_id")
_BACKLOG = RUN_COLUMNS.index("backlog")
_SEPARATOR = "\x1e"
RUNS_PER_STATEMENT = 1000  # a few megabytes of backlogs; on SQLite 14,000 parameters, within its 32,766


async def insert_runs(session: AsyncSession, rows: Sequence[Sequence[Any]], same: Sequence[Any]) -> list[int]:
    """Insert one run per row (`RUN_COLUMNS` values; `same` holds the `RUN_SAME` values of all) and return
    their ids in the rows' order.

    Neither database promises RETURNING rows in the order of the input, so ids are matched to rows by
    destination: a statement takes at most one run per destination (a destination's second run, if a batch ever
    had one, goes in the next statement, so its id is the later one too)."""
    rounds: list[list[int]] = []
    seen: dict[int, int] = {}
    for index, row in enumerate(rows):
        turn = seen[row[0]] = seen.get(row[0], -1) + 1
        if turn == len(rounds):
            rounds.append([])
        rounds[turn].append(index)
    ids: list[int] = [0] * len(rows)
    insert = _insert_runs_postgresql if is_postgresql(session) else _insert_runs_sqlite
    for indexes in rounds:
        for start in range(0, len(indexes), RUNS_PER_STATEMENT):
            part = indexes[start : start + RUNS_PER_STATEMENT]
            got = dict((destination_id, run_id) for run_id, destination_id in
                       await insert(session, [rows[i] for i in part], same))
            for i in part:
                ids[i] = got[rows[i][0]]
    return ids


async def _insert_runs_postgresql(session: AsyncSession, rows: Sequence[Sequence[Any]], same: Sequence[Any]
                                  ) -> list[tuple[int, int]]:
    document = json_text([{name: value for name, value in zip(RUN_COLUMNS, row, strict=True) if name != "backlog"}
                          for row in rows])
    backlogs = _SEPARATOR.join([row[_BACKLOG] for row in rows])  # each already its JSON text
    if backlogs.count(_SEPARATOR) != len(rows) - 1:  # never, by the JSON grammar: checked, as rows would shift
        raise ValueError("a backlog's JSON text holds the separator U+001E")
    result = await session.execute(_RUNS_FROM_JSON, {"doc": document, "backlogs": backlogs,
                                                     **dict(zip(RUN_SAME, same, strict=True))})
    return [(row[0], row[1]) for row in result.all()]


async def _insert_runs_sqlite(session: AsyncSession, rows: Sequence[Sequence[Any]], same: Sequence[Any]
                              ) -> list[tuple[int, int]]:
    # One multi-row VALUES statement (RETURNING needs SQLite 3.35, as SQLAlchemy's own bulk RETURNING does).
    # The backlog comes as its JSON text already (`ledger.PackedBacklog`): not through the JSON type's processor.
    formatted = _formatter(session, RUNS, RUN_COLUMNS, then=_formatter(session, RUNS, RUN_SAME)(same),
                           written=("backlog",))
    values = [value for row in rows for value in formatted(row)]
    one = "(" + ", ".join(["?"] * (len(RUN_COLUMNS) + len(RUN_SAME)) + list(_RUN_FIXED.values())) + ")"
    connection = await session.connection()
    result = await connection.exec_driver_sql(
        f"INSERT INTO digest_runs ({_RUN_TARGET}) VALUES {', '.join([one] * len(rows))} RETURNING id, destination_id",
        tuple(values))
    returned: Sequence[Any] = result.all()
    return [(row[0], row[1]) for row in returned]


# ---------------------------------------------------------------- claims

# A claim's values, in this order; every claim of a batch shares its state and time.
CLAIM_COLUMNS = ("destination_id", "paper_id", "revision", "run_id", "position", "page", "version", "reasons")
CLAIM_SAME = ("state", "claimed_at")
_CLAIM_TARGET = ", ".join((*CLAIM_COLUMNS, *CLAIM_SAME))

# What each run owns comes back with the insert: the rows the unique constraint let through, counted by run.
# Rows go as objects with one-letter keys: `json_to_recordset` reads each in one pass, where per-field `->>`
# operators on arrays parsed each row again for every field (a third slower on the server, for all that the
# document is smaller).
_CLAIM_KEYS = ("d", "p", "r", "u", "o", "g", "v", "e")  # CLAIM_COLUMNS, in order
_CLAIMS_FROM_JSON = text(
    f"WITH claimed AS (INSERT INTO deliveries ({_CLAIM_TARGET})"
    " SELECT t.*, :state, :claimed_at FROM json_to_recordset(CAST(:doc AS json))"
    " AS t(d integer, p text, r integer, u integer, o integer, g integer, v integer, e json)"
    " ON CONFLICT (destination_id, paper_id, revision) DO NOTHING RETURNING run_id)"
    " SELECT run_id, count(*) FROM claimed GROUP BY run_id")
CLAIMS_PER_STATEMENT = 10_000  # a megabyte or two of document

_CLAIMS_SQLITE = (f"INSERT INTO deliveries ({_CLAIM_TARGET}) VALUES ({', '.join(['?'] * 10)})"
                  " ON CONFLICT (destination_id, paper_id, revision) DO NOTHING")


async def insert_claims(session: AsyncSession, rows: Sequence[Sequence[Any]], state: str, claimed_at: datetime
                        ) -> dict[int, int]:
    """Insert claim rows (`CLAIM_COLUMNS` values), leaving alone each whose (destination, paper, revision) is
    claimed already (by an earlier row too: the first wins); return how many rows each run got."""
    owned: dict[int, int] = {}
    if not rows:
        return owned
    if is_postgresql(session):
        for start in range(0, len(rows), CLAIMS_PER_STATEMENT):
            document = json_text([dict(zip(_CLAIM_KEYS, row, strict=True))
                                  for row in rows[start : start + CLAIMS_PER_STATEMENT]])
            result = await session.execute(_CLAIMS_FROM_JSON, {"doc": document, "state": state, "claimed_at": claimed_at})
            for run_id, count in result.all():
                owned[run_id] = owned.get(run_id, 0) + count
        return owned
    # SQLite runs in this process: one executemany of plain tuples costs no round trips.
    formatted = _formatter(session, DELIVERIES, CLAIM_COLUMNS,
                           then=_formatter(session, DELIVERIES, CLAIM_SAME)((state, claimed_at)))
    connection = await session.connection()
    await connection.exec_driver_sql(_CLAIMS_SQLITE, [formatted(row) for row in rows])
    run_ids = sorted({row[3] for row in rows})
    for start in range(0, len(run_ids), SET_SIZE):
        counted = await session.execute(select(DELIVERIES.c.run_id, func.count()).where(
            one_of(session, DELIVERIES.c.run_id, run_ids[start : start + SET_SIZE])).group_by(DELIVERIES.c.run_id))
        owned.update((run_id, count) for run_id, count in counted.all())
    return owned


# ---------------------------------------------------------------- set reads

SET_SIZE = 20_000  # values per set parameter: one parameter whatever its size, but statements stay bounded


def one_of(session: AsyncSession, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN values` with the values as one parameter: an array on PostgreSQL (`= ANY`), a JSON array
    on SQLite (`IN (SELECT value FROM json_each(...))`, which SQLite searches its indexes with as it does an IN
    list). An IN list of hundreds of bound parameters cost more to render, convert and bind than the query
    took to run."""
    if is_postgresql(session):
        element = Integer() if isinstance(column.type, Integer) else String()
        return column == any_(cast(bindparam(None, list(values)), ARRAY(element)))
    listed = func.json_each(bindparam(None, json_text(list(values)), type_=String())).table_valued("value")
    return column.in_(select(listed.c.value))
