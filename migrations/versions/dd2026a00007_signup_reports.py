"""open registration and reports

Revision ID: dd2026a00007
Revises: dd2026a00006
Create Date: 2026-12-03 15:20:00

A placeholder in the chain of this session's migrations, filled in by its feature.
"""

revision = 'dd2026a00007'
down_revision = 'dd2026a00006'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
