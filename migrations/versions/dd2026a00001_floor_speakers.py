"""floor speakers

Revision ID: dd2026a00001
Revises: 2bd73fde674d
Create Date: 2026-12-03 15:20:00

A placeholder in the chain of this session's migrations, filled in by its feature.
"""

revision = 'dd2026a00001'
down_revision = '2bd73fde674d'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
