"""economic concerns

Revision ID: dd2026a00004
Revises: dd2026a00003
Create Date: 2026-12-03 15:20:00

Concerns of economic forums (models/concerns.py): per-forum settings, issues, concerns with the submitter's
categories at submission, endorsements (once per person and concern), answers and commitments.
"""

import sqlalchemy as sa
from alembic import op

revision = 'dd2026a00004'
down_revision = 'dd2026a00003'
branch_labels = None
depends_on = None

STAGES = ('submitted', 'accepted', 'declined', 'grouped', 'on_agenda', 'presented', 'answered', 'followed_up')


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, length=30)


def upgrade():
    op.create_table(
        'concern_settings',
        sa.Column('forum_id', sa.Integer(), nullable=False),
        sa.Column('anonymity', _enum('anonymity', 'attributed', 'staff_only', 'anonymous'), nullable=False),
        sa.Column('max_per_organisation', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['forum_id'], ['forum.id'], name=op.f('fk_concern_settings_forum_id_forum'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('forum_id', name=op.f('pk_concern_settings')),
    )
    op.create_table(
        'concern_issue',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('stage', _enum('concernstage', *STAGES), nullable=False),
        sa.Column('agenda_item_id', sa.Integer(), nullable=True),
        sa.Column('merged_into_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_item.id'],
                                name=op.f('fk_concern_issue_agenda_item_id_agenda_item'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['merged_into_id'], ['concern_issue.id'],
                                name=op.f('fk_concern_issue_merged_into_id_concern_issue'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['session_id'], ['forum_session.id'],
                                name=op.f('fk_concern_issue_session_id_forum_session'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_concern_issue')),
    )
    op.create_index(op.f('ix_concern_issue_session_id'), 'concern_issue', ['session_id'])
    op.create_index(op.f('ix_concern_issue_agenda_item_id'), 'concern_issue', ['agenda_item_id'])
    op.create_table(
        'concern',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('submitter_id', sa.Integer(), nullable=True),
        sa.Column('channel', _enum('channel', 'link', 'paper', 'floor'), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('translations', sa.JSON(), nullable=False),
        sa.Column('stage', _enum('concernstage', *STAGES), nullable=False),
        sa.Column('decline_reason', sa.Text(), nullable=False),
        sa.Column('issue_id', sa.Integer(), nullable=True),
        sa.Column('organisation', sa.String(length=200), nullable=False),
        sa.Column('agrees_to_be_named', sa.Boolean(), nullable=False),
        sa.Column('submitted_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['issue_id'], ['concern_issue.id'], name=op.f('fk_concern_issue_id_concern_issue'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['session_id'], ['forum_session.id'],
                                name=op.f('fk_concern_session_id_forum_session'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['submitter_id'], ['participant.id'],
                                name=op.f('fk_concern_submitter_id_participant'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_concern')),
    )
    op.create_index(op.f('ix_concern_session_id'), 'concern', ['session_id'])
    op.create_index(op.f('ix_concern_submitter_id'), 'concern', ['submitter_id'])
    op.create_index(op.f('ix_concern_issue_id'), 'concern', ['issue_id'])
    op.create_table(
        'concern_category',
        sa.Column('concern_id', sa.Integer(), nullable=False),
        sa.Column('dimension_id', sa.Integer(), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_concern_category_category_id_category'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['concern_id'], ['concern.id'], name=op.f('fk_concern_category_concern_id_concern'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['dimension_id'], ['dimension.id'],
                                name=op.f('fk_concern_category_dimension_id_dimension'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('concern_id', 'dimension_id', name=op.f('pk_concern_category')),
    )
    op.create_index(op.f('ix_concern_category_category_id'), 'concern_category', ['category_id'])
    op.create_table(
        'endorsement',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('concern_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['concern_id'], ['concern.id'], name=op.f('fk_endorsement_concern_id_concern'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['participant_id'], ['participant.id'],
                                name=op.f('fk_endorsement_participant_id_participant'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_endorsement')),
        sa.UniqueConstraint('concern_id', 'participant_id', name=op.f('uq_endorsement_concern_id_participant_id')),
    )
    op.create_index(op.f('ix_endorsement_participant_id'), 'endorsement', ['participant_id'])
    op.create_table(
        'concern_answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issue_id', sa.Integer(), nullable=False),
        sa.Column('official', sa.String(length=200), nullable=False),
        sa.Column('authority', sa.String(length=200), nullable=False),
        sa.Column('answered_on', sa.Date(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('state', _enum('answerstate', 'accepted', 'under_study', 'rejected'), nullable=False),
        sa.Column('published_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['issue_id'], ['concern_issue.id'], name=op.f('fk_concern_answer_issue_id_concern_issue'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_concern_answer')),
    )
    op.create_index(op.f('ix_concern_answer_issue_id'), 'concern_answer', ['issue_id'])
    op.create_table(
        'commitment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('answer_id', sa.Integer(), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('owner', sa.String(length=200), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('status', _enum('commitmentstatus', 'open', 'done', 'dropped'), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['answer_id'], ['concern_answer.id'], name=op.f('fk_commitment_answer_id_concern_answer'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_commitment')),
    )
    op.create_index(op.f('ix_commitment_answer_id'), 'commitment', ['answer_id'])


def downgrade():
    for table in ('commitment', 'concern_answer', 'endorsement', 'concern_category', 'concern', 'concern_issue',
                  'concern_settings'):
        op.drop_table(table)
