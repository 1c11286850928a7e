"""researcher evidence: what tells a followed person's arXiv papers from a namesake's

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-14 10:00:00.000000

A followed researcher's fresh arXiv papers carry only names. The subscription now keeps, as JSON, what
else points to the person (frequent co-authors, institutions, categories, words of their works). Rows
stored before it existed keep NULL, which the digest reads as "nothing known" (their name matches are
then shown as possible, not verified) until the next ingest fills it in.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('evidence', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('evidence')
