"""clock: APScheduler's job table made here, and named leases (the daily ingest)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-12 10:00:00.000000

APScheduler's SQLAlchemyJobStore creates its table when the scheduler starts: two clocks starting together
on a fresh database both tried, and one died. The table is made here instead (the job store then finds it);
a database where an earlier release's clock already created it keeps it as it is, jobs included.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JOBS = 'apscheduler_jobs'


def upgrade() -> None:
    if not sa.inspect(op.get_bind()).has_table(JOBS):
        # The columns SQLAlchemyJobStore (APScheduler 3.11) declares, and the index it makes.
        op.create_table(
            JOBS,
            sa.Column('id', sa.Unicode(length=191), nullable=False),
            sa.Column('next_run_time', sa.Float(precision=25), nullable=True),
            sa.Column('job_state', sa.LargeBinary(), nullable=False),
            sa.PrimaryKeyConstraint('id'),
        )
        op.create_index(op.f('ix_apscheduler_jobs_next_run_time'), JOBS, ['next_run_time'], unique=False)
    op.create_table(
        'leases',
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('until', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('leases')
    # The job table stays: the clock of the release before this one would create it again anyway.
