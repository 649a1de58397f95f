"""organiser day: retired dimensions and categories, translated forums

Revision ID: dd2026a00005
Revises: dd2026a00004
Create Date: 2026-12-03 15:20:00

Dimensions and categories can be retired (kept on old records and in reports, no longer offered for new
ones); forums get titles, descriptions and venues in other languages, like sessions.

Plain ``add_column``/``drop_column``, not a batch: a batch copies the table, which on SQLite drops the
balance-stamp triggers of ``category`` and ``dimension`` (migration ``balance_stamp``).
"""

import sqlalchemy as sa
from alembic import op

revision = 'dd2026a00005'
down_revision = 'dd2026a00004'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('dimension', sa.Column('is_retired', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('category', sa.Column('is_retired', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('forum', sa.Column('translations', sa.JSON(), nullable=False, server_default='{}'))


def downgrade():
    op.drop_column('forum', 'translations')
    op.drop_column('category', 'is_retired')
    op.drop_column('dimension', 'is_retired')
