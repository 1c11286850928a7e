"""paper extras: arXiv comment, Hugging Face summary and code stars, Semantic Scholar TL;DR; a channel's summary mode

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-14 10:00:00.000000

Papers already stored keep NULL: their lines show the abstract's first sentence and what their links and
journal reference say, until a lookup or an ingest brings the rest.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('comment', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('ai_summary', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('tldr', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('code_stars', sa.Integer(), nullable=True))
    with op.batch_alter_table('destinations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary_mode', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                      server_default='tldr'))


def downgrade() -> None:
    with op.batch_alter_table('destinations', schema=None) as batch_op:
        batch_op.drop_column('summary_mode')
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.drop_column('code_stars')
        batch_op.drop_column('tldr')
        batch_op.drop_column('ai_summary')
        batch_op.drop_column('comment')
