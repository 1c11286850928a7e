"""institutions: a followed institution's roster of active researchers

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 05:30:00.000000

`follow institution` keeps, as JSON on the subscription, the institution's active researchers (OpenAlex ids,
names and what tells their arXiv papers from a namesake's), rebuilt weekly by ingest, and when its works were
last listed. Other kinds and rows stored before keep NULL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('roster', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('roster')
