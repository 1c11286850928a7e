"""researcher claims (`iam`) and channels that follow their lab (`follow lab`)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-14 10:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'researcher_claims',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('workspace_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('openalex_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column('orcid', sqlmodel.sql.sqltypes.AutoString(length=19), nullable=True),
        sa.Column('s2_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column('name_variants', sa.JSON(), nullable=False),
        sa.Column('institution', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('platform', 'workspace_id', 'user_id', name='uq_claim_user'),
    )
    op.create_index(op.f('ix_researcher_claims_openalex_id'), 'researcher_claims', ['openalex_id'], unique=False)
    with op.batch_alter_table('destinations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follow_lab', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('destinations', schema=None) as batch_op:
        batch_op.drop_column('follow_lab')
    op.drop_index(op.f('ix_researcher_claims_openalex_id'), table_name='researcher_claims')
    op.drop_table('researcher_claims')
