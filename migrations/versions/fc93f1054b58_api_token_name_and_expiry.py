"""api token name and expiry: tokens can be told apart in a list and given an end

``api_token.name`` says what a token is for, so its owner (or an admin) can revoke the right one;
tokens made before have an empty name. ``api_token.expires_at`` is the moment (naive UTC, as every
``models.UTCDateTime``) from which the token no longer signs anyone in; NULL, as for every token made
before, means it lasts until it is revoked.

Revision ID: fc93f1054b58
Revises: 8f2ad63b0e6f
Create Date: 2026-12-03 12:40:00.000000

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'fc93f1054b58'
down_revision = '8f2ad63b0e6f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        # The existing rows get an empty name; the default is dropped after, as the model sets the value.
        batch_op.add_column(sa.Column('name', sa.String(length=80), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.alter_column('name', server_default=None)


def downgrade():
    # The older schema has no expiry: a token given one is revoked (at its expiry if that has passed),
    # rather than left to last forever. Names are lost.
    now = datetime.now(UTC).replace(tzinfo=None)
    op.get_bind().execute(
        sa.text("UPDATE api_token SET revoked_at = CASE WHEN expires_at < :now THEN expires_at ELSE :now END "
                "WHERE revoked_at IS NULL AND expires_at IS NOT NULL")
        .bindparams(sa.bindparam("now", now, type_=sa.DateTime()))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
        batch_op.drop_column('name')
