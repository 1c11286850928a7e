"""weekly digests: a channel's cadence

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 05:30:00.000000

`settings every week on monday` makes a channel's digest weekly: one digest on the one day in `weekdays`,
covering the seven days since the last one. Existing channels keep their daily digest.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('destinations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cadence', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False,
                                      server_default='daily'))


def downgrade() -> None:
    with op.batch_alter_table('destinations', schema=None) as batch_op:
        batch_op.drop_column('cadence')
