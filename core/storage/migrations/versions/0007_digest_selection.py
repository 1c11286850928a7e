"""digest selection: what each subscription matched in a run, and the backlog's reasons

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 10:00:00.000000

A run now records how many papers each subscription matched (the digest header, and `list`'s week) and, for
the papers past the cap, the reasons they matched for, so `digest more` shows their why-lines. Runs recorded
before keep NULL: their header has no per-subscription line and their backlog shows without reasons.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('digest_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('matched', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('backlog', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('digest_runs', schema=None) as batch_op:
        batch_op.drop_column('backlog')
        batch_op.drop_column('matched')
