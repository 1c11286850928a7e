"""SQLModel tables. Times are stored in UTC; conversion to a channel's zone happens at the edges.

JSON columns hold lists and small dicts that are always read and written whole (a paper's authors,
categories, versions); anything queried on its own has a column.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    Index,
    LargeBinary,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class DestinationRow(SQLModel, table=True):
    """A channel that receives digests, with its schedule and preferences."""

    __tablename__ = "destinations"
    __table_args__ = (UniqueConstraint("platform", "workspace_id", "channel_id", name="uq_destination_address"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    workspace_id: str = Field(max_length=64)
    channel_id: str = Field(max_length=64)
    timezone: str = Field(default="UTC", max_length=64)
    digest_time: str = Field(default="08:00", max_length=5)  # HH:MM, local to `timezone`
    weekdays: str = Field(default="mon-fri", max_length=40)  # cron day_of_week expression
    max_items: int = Field(default=10)
    paused: bool = Field(default=False)
    paused_reason: str | None = Field(default=None, max_length=500)
    # A PauseCause: what may lift the pause (the reason above is only for people to read). None when running.
    pause_cause: str | None = Field(default=None, max_length=16)
    include_updates: bool = Field(default=False)  # revised versions of older papers (arXiv replace)
    include_crosslists: bool = Field(default=True)
    quiet_notice: bool = Field(default=False)  # post "no new papers" on empty days
    learning: bool = Field(default=True)  # order the digest with what the channel's ratings taught it
    cadence: str = Field(default="daily", max_length=8)  # daily, or weekly on the one day in `weekdays`
    # What each paper's line says under its title: tldr (the one-line summary), abstract (its opening) or off.
    summary_mode: str = Field(default="tldr", max_length=16)
    # `follow lab`: this channel follows everyone who claims a researcher record (`iam`) in its workspace,
    # now and later.
    follow_lab: bool = Field(default=False)
    next_subscription_number: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    last_digest_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class SubscriptionRow(SQLModel, table=True):
    """What a channel follows: a topic query, an arXiv category, or a researcher by stable ids."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("destination_id", "number", name="uq_subscription_number"),)

    id: int | None = Field(default=None, primary_key=True)
    destination_id: int = Field(foreign_key="destinations.id", index=True)
    number: int  # the short id shown to the channel, unique within it
    kind: str = Field(max_length=16)  # topic | category | researcher
    query: str | None = Field(default=None, sa_type=Text)  # topic query text or category name
    openalex_id: str | None = Field(default=None, max_length=32, index=True)
    orcid: str | None = Field(default=None, max_length=19)
    s2_id: str | None = Field(default=None, max_length=32)
    display_name: str | None = Field(default=None, max_length=300)
    name_variants: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # `subscribe similar`: the examples' centroid in the content space ({"indices", "weights"}) and their titles.
    examples: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # What tells a followed researcher's arXiv papers from a namesake's (`ResearcherEvidence.to_json`);
    # NULL for rows stored before it existed and for topics and categories.
    evidence: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    # A followed institution's roster of active researchers (`InstitutionRoster.to_json`); NULL for other kinds
    # and until ingest first builds it.
    roster: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    created_by: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class PaperRow(SQLModel, table=True):
    """A paper, one row per arXiv id without version (else DOI), merged across sources and versions."""

    __tablename__ = "papers"
    __table_args__ = (Index("ix_papers_announced", "announced"),)

    id: str = Field(primary_key=True, max_length=300)  # canonical id: arXiv:<base> or doi:<doi>
    arxiv_id: str | None = Field(default=None, max_length=64, index=True)
    doi: str | None = Field(default=None, max_length=300, index=True)
    latest_version: int | None = None
    versions: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    title: str = Field(sa_type=Text)
    abstract: str = Field(default="", sa_type=Text)
    authors: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    primary_category: str | None = Field(default=None, max_length=32)
    announce_type: str | None = Field(default=None, max_length=16)
    announced: date | None = None
    published: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    journal_ref: str | None = Field(default=None, sa_type=Text)
    venue: str | None = Field(default=None, max_length=500)
    citation_count: int | None = None
    openalex_id: str | None = Field(default=None, max_length=32)
    s2_id: str | None = Field(default=None, max_length=64)
    sources: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    links: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    # When we first saw the newest version: a digest window selects papers by this "arrival" time, so a
    # replacement (v2) arrives again for channels that asked for updates, and enrichment alone never does.
    arrived_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), index=True)
    # How the newest announcement listed it (new / cross / replace / replace-cross; None for journal works).
    last_announce_type: str | None = Field(default=None, max_length=16)
    last_announced: date | None = None
    # The extras a paper's line shows (core/model/extras.py): arXiv's comment, Hugging Face's summary and the
    # code's stars, Semantic Scholar's TL;DR. Code and project links live in `links`.
    comment: str | None = Field(default=None, sa_type=Text)
    ai_summary: str | None = Field(default=None, sa_type=Text)
    tldr: str | None = Field(default=None, sa_type=Text)
    code_stars: int | None = None


class ResearcherRow(SQLModel, table=True):
    """A researcher by stable ids, with the cached profile card data."""

    __tablename__ = "researchers"

    id: int | None = Field(default=None, primary_key=True)
    openalex_id: str | None = Field(default=None, max_length=32, unique=True)
    orcid: str | None = Field(default=None, max_length=19, index=True)
    s2_id: str | None = Field(default=None, max_length=32, index=True)
    display_name: str = Field(default="", max_length=300)
    names: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    profile: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    fetched_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    works_checked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class ResearcherClaimRow(SQLModel, table=True):
    """`iam`: a chat user says which researcher record is them; one claim per user per workspace or server."""

    __tablename__ = "researcher_claims"
    __table_args__ = (UniqueConstraint("platform", "workspace_id", "user_id", name="uq_claim_user"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    workspace_id: str = Field(max_length=64)
    user_id: str = Field(max_length=64)
    openalex_id: str | None = Field(default=None, max_length=32, index=True)
    orcid: str | None = Field(default=None, max_length=19)
    s2_id: str | None = Field(default=None, max_length=32)
    display_name: str = Field(default="", max_length=300)
    name_variants: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    institution: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class LookupCacheRow(SQLModel, table=True):
    """Answers of external lookups (candidate lists, paper cards, trending) kept for a TTL."""

    __tablename__ = "lookup_cache"

    key: str = Field(primary_key=True, max_length=400)
    value: Any = Field(sa_column=Column(JSON, nullable=False))
    fetched_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))


class DigestRunRow(SQLModel, table=True):
    """One digest for one destination: recorded before anything is sent, so a restart can resume it."""

    __tablename__ = "digest_runs"

    id: int | None = Field(default=None, primary_key=True)
    destination_id: int = Field(foreign_key="destinations.id", index=True)
    kind: str = Field(default="scheduled", max_length=16)  # scheduled | now | catchup | more
    state: str = Field(default="building", max_length=16)  # building | sending | done | failed | retry
    scheduled_for: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    window_start: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    window_end: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    item_count: int = 0
    more_count: int = 0
    note: str | None = Field(default=None, sa_type=Text)
    error: str | None = Field(default=None, sa_type=Text)
    attempts: int = 0
    # Matched papers past the channel's cap, in rank order, for `digest more`: written by runs recorded before
    # `backlog` named them (in its packed format); newer runs leave it empty (`ledger.DigestRun.more_ids` reads
    # whichever the run has).
    more_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The same papers in order with their reasons, revision and version (`ledger.packed_backlog`); runs stored
    # before that format kept them by paper id ({"reasons": [...], "revision": 0, "version": 2}).
    backlog: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # How many papers each subscription matched: [{"number", "kind", "label", "matched"}], subscription order.
    matched: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Platform message ids sent so far, in order (the first is the thread parent on Slack).
    messages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    view: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Who is delivering this run, until when: two clock processes never send the same run at once, and
    # when one dies its lease runs out and the other finishes the work.
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    started_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class DeliveryRow(SQLModel, table=True):
    """The delivery ledger: a (destination, paper) pair is claimed once, ever, then marked sent."""

    __tablename__ = "deliveries"
    # revision 0 is the paper itself; N > 0 is "updated to vN", sent only to channels that asked for updates.
    __table_args__ = (
        UniqueConstraint("destination_id", "paper_id", "revision", name="uq_delivery_destination_paper"),
    )

    id: int | None = Field(default=None, primary_key=True)
    destination_id: int = Field(foreign_key="destinations.id", index=True)
    paper_id: str = Field(foreign_key="papers.id", max_length=300)
    run_id: int = Field(foreign_key="digest_runs.id", index=True)
    state: str = Field(default="claimed", max_length=16)  # claimed | sent
    revision: int = Field(default=0)
    position: int = 0
    # The message of its run this paper goes out in (0: the first), fixed when the run claims it: a resumed run
    # sends the same messages, so one found already posted accounts for exactly the papers it carried.
    page: int | None = None
    version: int | None = None
    reasons: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    message_id: str | None = Field(default=None, max_length=128)
    claimed_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    sent_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class SourceStatusRow(SQLModel, table=True):
    """The last known health of each source or feed, for `status` and for ingest retries."""

    __tablename__ = "source_status"

    key: str = Field(primary_key=True, max_length=200)  # e.g. "arxiv-feed:cs.LG", "openalex"
    ok: bool = True
    message: str | None = Field(default=None, sa_type=Text)
    feed_date: date | None = None
    last_ok_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    last_error_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    items: int = 0



class LeaseRow(SQLModel, table=True):
    """A named piece of work that one process at a time may do (the daily ingest), held until `until`.

    The holder renews it while it works; a process that dies simply stops renewing, so the work is free
    again within one lease, without anyone having to notice the death.
    """

    __tablename__ = "leases"

    name: str = Field(primary_key=True, max_length=64)
    owner: str | None = Field(default=None, max_length=64)
    until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


# APScheduler's job store (`core.digest.schedule`), declared here so that a migration creates it once: left to
# the job store, two clocks starting together both create it and one of them dies. The columns are exactly
# the ones SQLAlchemyJobStore declares (191 is MySQL's longest indexable utf8mb4 key, Float(25) an 8-byte float).
APSCHEDULER_JOBS = Table(
    "apscheduler_jobs",
    SQLModel.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


class RatingRow(SQLModel, table=True):
    """One person's 👍 (+1) or 👎 (-1) on one paper in one channel; the last click counts."""

    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("destination_id", "paper_id", "user_id", name="uq_rating_channel_paper_user"),)

    id: int | None = Field(default=None, primary_key=True)
    destination_id: int = Field(foreign_key="destinations.id", index=True)
    paper_id: str = Field(foreign_key="papers.id", max_length=300)
    user_id: str = Field(max_length=64)
    value: int
    rated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class ChannelProfileRow(SQLModel, table=True):
    """What a channel's ratings taught its digest, rebuilt whenever a rating changes (so planning only reads it).

    `indices`/`weights`: the Rocchio profile in the content space; `liked_vectors`: the most recent liked papers'
    strongest terms, so the digest can say how many liked papers an item is close to."""

    __tablename__ = "channel_profiles"

    destination_id: int = Field(foreign_key="destinations.id", primary_key=True)
    indices: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    weights: list[float] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    liked: int = 0
    disliked: int = 0
    raters: int = 0
    liked_vectors: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
