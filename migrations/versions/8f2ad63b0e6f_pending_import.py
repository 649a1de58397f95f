"""pending import: uploads of the participant CSV import wait in the database, not on a host's disk

Between its preview and its confirmation an uploaded file used to wait in the instance folder of the
host that showed the preview, so a confirmation reaching another host found nothing. The rows are
keyed by the SHA-256 of the token kept in the uploader's session and belong to that user (deleting
the user deletes them). Files still waiting on disk at upgrade time are not carried over: they are
at most a day old and the uploader only has to upload again.

Revision ID: 8f2ad63b0e6f
Revises: b41a5c0e7d21
Create Date: 2026-11-27 10:01:16.412288

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8f2ad63b0e6f'
down_revision = 'b41a5c0e7d21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pending_import',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    # models.UTCDateTime stores naive UTC in a plain DateTime column.
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_pending_import_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_pending_import'))
    )
    with op.batch_alter_table('pending_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_import_user_id'), ['user_id'], unique=False)


def downgrade():
    # Uploads still waiting are dropped with the table; their uploaders upload again.
    with op.batch_alter_table('pending_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_import_user_id'))

    op.drop_table('pending_import')
