"""checkin sync events: every check-in, undo, walk-in and paper line as a device recorded it (issue 18)

One row per event a device sent, unique on (session, client id), so that a batch sent twice is taken
once; the device's time and the time the server received it are both kept, with the outcome and why staff
should look at it. A new table: no existing row changes.

Revision ID: dd2026a00003
Revises: dd2026a00002
Create Date: 2026-12-03 15:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'dd2026a00003'
down_revision = 'dd2026a00002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'checkin_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.String(length=80), nullable=False),
        sa.Column('kind', sa.Enum('check_in', 'undo', 'walk_in', 'paper', name='checkineventkind',
                                  native_enum=False, length=30), nullable=False),
        sa.Column('registration_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('device_id', sa.String(length=80), nullable=False),
        sa.Column('device_at', sa.DateTime(), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('outcome', sa.Enum('applied', 'counted_once', 'no_change', 'reconcile', 'refused',
                                     name='checkinoutcome', native_enum=False, length=30), nullable=False),
        sa.Column('review', sa.Enum('past_capacity', 'not_expected', 'possible_duplicate', 'undo_conflict',
                                    'session_cancelled', name='reviewreason', native_enum=False, length=30),
                  nullable=True),
        sa.Column('resolved_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['registration_id'], ['registration.id'],
                                name=op.f('fk_checkin_event_registration_id_registration'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['session_id'], ['forum_session.id'],
                                name=op.f('fk_checkin_event_session_id_forum_session'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_checkin_event_user_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_event')),
        sa.UniqueConstraint('session_id', 'client_id', name=op.f('uq_checkin_event_session_id_client_id')),
    )
    op.create_index('ix_checkin_event_registration', 'checkin_event', ['registration_id', 'id'], unique=False)


def downgrade():
    # The events are lost; the attendance they made stays on the registrations.
    op.drop_index('ix_checkin_event_registration', table_name='checkin_event')
    op.drop_table('checkin_event')
