"""floor speakers

Revision ID: dd2026a00001
Revises: 2bd73fde674d
Create Date: 2026-12-03 15:20:00

The list of speakers (issue 15): lists, requests for the floor, stretches of speaking, budgets and projector
display tokens, and the Chatham House flag of a session.
"""

import sqlalchemy as sa
from alembic import op

revision = 'dd2026a00001'
down_revision = '2bd73fde674d'
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=30)


def upgrade():
    # A plain ALTER TABLE, not a batch: SQLite adds (and, from 3.35, drops) a column in place, while a batch would
    # copy forum_session to a new table and trip over the balance_stamp triggers that name it.
    op.add_column('forum_session', sa.Column('is_chatham_house', sa.Boolean(), nullable=False,
                                             server_default=sa.false()))
    op.create_table(
        'floor_list',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('agenda_item_id', sa.Integer(), nullable=True),
        sa.Column('policy', _enum('floorpolicy', 'first_come', 'first_time', 'balance', 'alternate'), nullable=False),
        sa.Column('dimension_key', sa.String(length=40), nullable=False),
        sa.Column('alternate_first', sa.String(length=40), nullable=False),
        sa.Column('alternate_second', sa.String(length=40), nullable=False),
        sa.Column('speech_seconds', sa.Integer(), nullable=False),
        sa.Column('stamp', sa.BigInteger(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_item.id'],
                                name=op.f('fk_floor_list_agenda_item_id_agenda_item'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['session_id'], ['forum_session.id'],
                                name=op.f('fk_floor_list_session_id_forum_session'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_floor_list')),
    )
    op.create_index(op.f('ix_floor_list_session_id'), 'floor_list', ['session_id'])
    op.create_index(op.f('ix_floor_list_agenda_item_id'), 'floor_list', ['agenda_item_id'])
    op.create_table(
        'floor_speech',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('list_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=True),
        sa.Column('kind', _enum('speechkind', 'contribution', 'pro', 'contra', 'reply', 'point_of_order',
                                'interposed_question'), nullable=False),
        sa.Column('state', _enum('speechstate', 'waiting', 'speaking', 'paused', 'done', 'skipped'), nullable=False),
        sa.Column('asked_at', sa.DateTime(), nullable=False),
        sa.Column('categories', sa.JSON(), nullable=False),
        sa.Column('moved_rank', sa.Integer(), nullable=True),
        sa.Column('reply_to_id', sa.Integer(), nullable=True),
        sa.Column('from_paper', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['list_id'], ['floor_list.id'],
                                name=op.f('fk_floor_speech_list_id_floor_list'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['participant_id'], ['participant.id'],
                                name=op.f('fk_floor_speech_participant_id_participant'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['reply_to_id'], ['floor_speech.id'],
                                name=op.f('fk_floor_speech_reply_to_id_floor_speech'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_floor_speech')),
    )
    op.create_index(op.f('ix_floor_speech_list_id'), 'floor_speech', ['list_id'])
    op.create_index(op.f('ix_floor_speech_participant_id'), 'floor_speech', ['participant_id'])
    op.create_table(
        'floor_stretch',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('speech_id', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint('ended_at IS NULL OR ended_at >= started_at',
                           name=op.f('ck_floor_stretch_ends_after_start')),
        sa.ForeignKeyConstraint(['speech_id'], ['floor_speech.id'],
                                name=op.f('fk_floor_stretch_speech_id_floor_speech'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_floor_stretch')),
    )
    op.create_index(op.f('ix_floor_stretch_speech_id'), 'floor_stretch', ['speech_id'])
    op.create_table(
        'floor_budget',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('list_id', sa.Integer(), nullable=False),
        sa.Column('category_key', sa.String(length=40), nullable=False),
        sa.Column('initial_seconds', sa.Integer(), nullable=False),
        sa.Column('added_seconds', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['list_id'], ['floor_list.id'],
                                name=op.f('fk_floor_budget_list_id_floor_list'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_floor_budget')),
        sa.UniqueConstraint('list_id', 'category_key', name=op.f('uq_floor_budget_list_id_category_key')),
    )
    op.create_table(
        'floor_display',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('list_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('hide_labels', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['list_id'], ['floor_list.id'],
                                name=op.f('fk_floor_display_list_id_floor_list'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_floor_display')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_floor_display_token_hash')),
    )
    op.create_index(op.f('ix_floor_display_list_id'), 'floor_display', ['list_id'])


def downgrade():
    op.drop_table('floor_display')
    op.drop_table('floor_budget')
    op.drop_table('floor_stretch')
    op.drop_table('floor_speech')
    op.drop_table('floor_list')
    op.drop_column('forum_session', 'is_chatham_house')
