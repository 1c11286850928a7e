"""pause cause: why a channel is paused, typed

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 10:00:00.000000

Until now a reinstall found the channels to resume by the start of their human-readable reason
("Slack workspace access lost: ..."). The cause now has its own column; rows paused before it existed
get theirs from the wordings that were in use, so a reinstall after the upgrade still resumes them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The wordings of the releases before this one (copied, not imported: a migration must not change with the code).
SLACK_ACCESS_LOST_PREFIX = "Slack workspace access lost: "
DISCORD_REMOVED = "the bot was removed from this Discord server; add it again and use /radar resume"
MANAGER_REASON = "paused by a channel manager"

destinations = sa.table(
    'destinations',
    sa.column('paused', sa.Boolean()),
    sa.column('paused_reason', sa.String()),
    sa.column('pause_cause', sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table('destinations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pause_cause', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))

    paused = destinations.c.paused.is_(True)
    reason = destinations.c.paused_reason
    # Most specific first; each statement only touches rows that have no cause yet.
    for cause, which in (
        ('access_lost', reason.startswith(SLACK_ACCESS_LOST_PREFIX, autoescape=True)),
        ('access_lost', reason == DISCORD_REMOVED),
        ('manager', reason == MANAGER_REASON),
        ('delivery', sa.true()),
    ):
        op.execute(destinations.update()
                   .where(paused, destinations.c.pause_cause.is_(None), which)
                   .values(pause_cause=cause))


def downgrade() -> None:
    with op.batch_alter_table('destinations', schema=None) as batch_op:
        batch_op.drop_column('pause_cause')
