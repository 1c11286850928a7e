"""ratings: 👍/👎 per channel, paper and person; the channel profile learned from them; `subscribe similar`

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 12:00:00.000000

Channels start with learning on and no ratings, which leaves their digest exactly as it was.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('destinations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('learning', sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('examples', sa.JSON(), nullable=True))
    op.create_table(
        'ratings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('destination_id', sa.Integer(), nullable=False),
        sa.Column('paper_id', sa.String(length=300), nullable=False),
        sa.Column('user_id', sa.String(length=64), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['destination_id'], ['destinations.id']),
        sa.ForeignKeyConstraint(['paper_id'], ['papers.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('destination_id', 'paper_id', 'user_id', name='uq_rating_channel_paper_user'),
    )
    op.create_index('ix_ratings_destination_id', 'ratings', ['destination_id'])
    op.create_table(
        'channel_profiles',
        sa.Column('destination_id', sa.Integer(), nullable=False),
        sa.Column('indices', sa.JSON(), nullable=False),
        sa.Column('weights', sa.JSON(), nullable=False),
        sa.Column('liked', sa.Integer(), nullable=False),
        sa.Column('disliked', sa.Integer(), nullable=False),
        sa.Column('raters', sa.Integer(), nullable=False),
        sa.Column('liked_vectors', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['destination_id'], ['destinations.id']),
        sa.PrimaryKeyConstraint('destination_id'),
    )


def downgrade() -> None:
    op.drop_table('channel_profiles')
    op.drop_index('ix_ratings_destination_id', table_name='ratings')
    op.drop_table('ratings')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('examples')
    with op.batch_alter_table('destinations', schema=None) as batch_op:
        batch_op.drop_column('learning')
