"""delivery pages: the message of its run each paper goes out in, fixed when the run claims it

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-12 10:00:00.000000

A resumed run used to cut its remaining papers into messages afresh, so the message a crash left unmarked
could carry other papers than the one the resumed run looked for. Rows claimed before this column existed
keep NULL: their run gets its pages when it is next delivered.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('page', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('page')
