"""mail outbox

Revision ID: dd2026a00002
Revises: dd2026a00001
Create Date: 2026-12-03 15:20:00

The outbox of e-mail (one row per message to one recipient) and the bounce count of each person's address.
"""

import sqlalchemy as sa
from alembic import op

revision = 'dd2026a00002'
down_revision = 'dd2026a00001'
branch_labels = None
depends_on = None

MAIL_KINDS = ('invitation', 'status', 'moved', 'cancelled', 'reminder', 'signup_confirmation')
MAIL_STATES = ('draft', 'queued', 'inflight', 'awaiting_retry', 'failed', 'sent', 'bounced', 'aborted')


def upgrade():
    op.create_table('mail_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum(*MAIL_KINDS, name='mailkind', native_enum=False, length=30), nullable=False),
    sa.Column('state', sa.Enum(*MAIL_STATES, name='mailstate', native_enum=False, length=30), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('detail', sa.String(length=40), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('send_after', sa.DateTime(), nullable=False),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('claimed_by', sa.String(length=80), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('released_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_mail_message_registration_id_registration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['forum_session.id'], name=op.f('fk_mail_message_session_id_forum_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_mail_message_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['released_by_id'], ['user.id'], name=op.f('fk_mail_message_released_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_message'))
    )
    op.create_index(op.f('ix_mail_message_registration_id'), 'mail_message', ['registration_id'], unique=False)
    op.create_index('ix_mail_message_state_send_after', 'mail_message', ['state', 'send_after'], unique=False)
    op.create_index('ix_mail_message_session_state', 'mail_message', ['session_id', 'state'], unique=False)
    op.create_table('mail_address_health',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('permanent_bounces', sa.Integer(), nullable=False),
    sa.Column('last_bounce_at', sa.DateTime(), nullable=True),
    sa.Column('flagged_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_mail_address_health_participant_id_participant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_address_health')),
    sa.UniqueConstraint('participant_id', 'address', name=op.f('uq_mail_address_health_participant_id_address'))
    )


def downgrade():
    op.drop_table('mail_address_health')
    op.drop_index('ix_mail_message_session_state', table_name='mail_message')
    op.drop_index('ix_mail_message_state_send_after', table_name='mail_message')
    op.drop_index(op.f('ix_mail_message_registration_id'), table_name='mail_message')
    op.drop_table('mail_message')
