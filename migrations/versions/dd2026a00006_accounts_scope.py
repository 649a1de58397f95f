"""accounts scope: two-factor sign-in, recovery codes, organisers limited to chosen forums

``user.totp_secret`` holds an enrolled TOTP secret, encrypted; ``user.totp_confirmed_at`` says the enrolment
was proved by a code (only then does sign-in ask for one); ``user.totp_last_step`` refuses a code used twice.
``recovery_code`` keeps single-use codes as SHA-256 hashes. ``organiser_forum`` limits an organiser to some
forums (an organiser without rows sees all, as before). ``account_policy`` is one row of rules an admin sets
(``require_two_factor``); no row means the defaults.

Revision ID: dd2026a00006
Revises: dd2026a00005
Create Date: 2026-12-03 15:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'dd2026a00006'
down_revision = 'dd2026a00005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('totp_confirmed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
    op.create_table(
        'recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_recovery_code_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_recovery_code_code_hash')),
    )
    op.create_index(op.f('ix_recovery_code_user_id'), 'recovery_code', ['user_id'], unique=False)
    op.create_table(
        'organiser_forum',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('forum_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['forum_id'], ['forum.id'], name=op.f('fk_organiser_forum_forum_id_forum'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_organiser_forum_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'forum_id', name=op.f('pk_organiser_forum')),
    )
    op.create_index(op.f('ix_organiser_forum_forum_id'), 'organiser_forum', ['forum_id'], unique=False)
    op.create_table(
        'account_policy',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('require_two_factor', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account_policy')),
    )


def downgrade():
    # The older schema has neither a second factor nor scopes: organisers see every forum again, and
    # everyone signs in with the password alone.
    op.drop_table('account_policy')
    op.drop_index(op.f('ix_organiser_forum_forum_id'), table_name='organiser_forum')
    op.drop_table('organiser_forum')
    op.drop_index(op.f('ix_recovery_code_user_id'), table_name='recovery_code')
    op.drop_table('recovery_code')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_confirmed_at')
        batch_op.drop_column('totp_secret')
