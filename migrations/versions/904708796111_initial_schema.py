"""initial schema

Revision ID: 904708796111
Revises:
Create Date: 2026-11-27 06:03:44.572979

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '904708796111'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('dimension',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('name_ru', sa.String(length=120), nullable=False),
    sa.Column('name_tg', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dimension')),
    sa.UniqueConstraint('key', name=op.f('uq_dimension_key'))
    )
    op.create_table('forum',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('round_table', 'discussion_club', 'economic_forum', 'symposium', 'seminar', name='forumkind', native_enum=False, length=30), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('retention_days', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum'))
    )
    op.create_table('participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('search_key', sa.String(length=400), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('languages', sa.String(length=40), nullable=False),
    sa.Column('consent_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participant'))
    )
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participant_search_key'), ['search_key'], unique=False)

    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('admin', 'organiser', 'facilitator', name='role', native_enum=False, length=30), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('can_export_names', sa.Boolean(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('email', name=op.f('uq_user_email'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_api_token_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_audit_entry_actor_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_entry_object', ['object_type', 'object_id'], unique=False)

    op.create_table('category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dimension_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('name_ru', sa.String(length=120), nullable=False),
    sa.Column('name_tg', sa.String(length=120), nullable=False),
    sa.Column('counts_toward_balance', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dimension_id'], ['dimension.id'], name=op.f('fk_category_dimension_id_dimension'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category')),
    sa.UniqueConstraint('dimension_id', 'key', name=op.f('uq_category_dimension_id_key'))
    )
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_category_dimension_id'), ['dimension_id'], unique=False)

    op.create_table('personal_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_personal_link_participant_id_participant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_personal_link')),
    sa.UniqueConstraint('participant_id', name=op.f('uq_personal_link_participant_id')),
    sa.UniqueConstraint('token', name=op.f('uq_personal_link_token'))
    )
    op.create_table('forum_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('translations', sa.JSON(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('venue', sa.String(length=200), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('visibility', sa.Enum('public', 'invitation', name='visibility', native_enum=False, length=30), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', 'cancelled', name='sessionstatus', native_enum=False, length=30), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('capacity >= 1', name=op.f('ck_forum_session_capacity_positive')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_forum_session_ends_after_start')),
    sa.ForeignKeyConstraint(['forum_id'], ['forum.id'], name=op.f('fk_forum_session_forum_id_forum'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['region_id'], ['category.id'], name=op.f('fk_forum_session_region_id_category')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_session'))
    )
    with op.batch_alter_table('forum_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forum_session_forum_id'), ['forum_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_forum_session_region_id'), ['region_id'], unique=False)
        batch_op.create_index('ix_forum_session_starts_at', ['starts_at'], unique=False)

    op.create_table('participant_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('dimension_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_participant_category_category_id_category'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['dimension_id'], ['dimension.id'], name=op.f('fk_participant_category_dimension_id_dimension'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_participant_category_participant_id_participant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participant_category')),
    sa.UniqueConstraint('participant_id', 'dimension_id', name=op.f('uq_participant_category_participant_id_dimension_id'))
    )
    with op.batch_alter_table('participant_category', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participant_category_category_id'), ['category_id'], unique=False)

    op.create_table('agenda_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('translations', sa.JSON(), nullable=False),
    sa.Column('kind', sa.Enum('opening', 'presentation', 'discussion', 'break', 'closing', name='agendakind', native_enum=False, length=30), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['forum_session.id'], name=op.f('fk_agenda_item_session_id_forum_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_item'))
    )
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_item_session_id'), ['session_id'], unique=False)

    op.create_table('balance_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forum_id', sa.Integer(), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(forum_id IS NULL) <> (session_id IS NULL)', name=op.f('ck_balance_policy_one_owner')),
    sa.ForeignKeyConstraint(['forum_id'], ['forum.id'], name=op.f('fk_balance_policy_forum_id_forum'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['forum_session.id'], name=op.f('fk_balance_policy_session_id_forum_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_balance_policy')),
    sa.UniqueConstraint('forum_id', name=op.f('uq_balance_policy_forum_id')),
    sa.UniqueConstraint('session_id', name=op.f('uq_balance_policy_session_id'))
    )
    op.create_table('registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('invited', 'registered', 'confirmed', 'attended', 'declined', 'cancelled', 'waitlisted', name='registrationstatus', native_enum=False, length=30), nullable=False),
    sa.Column('status_before_checkin', sa.Enum('invited', 'registered', 'confirmed', 'attended', 'declined', 'cancelled', 'waitlisted', name='registrationstatus', native_enum=False, length=30), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(), nullable=True),
    sa.Column('waitlisted_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_registration_participant_id_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['forum_session.id'], name=op.f('fk_registration_session_id_forum_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration')),
    sa.UniqueConstraint('session_id', 'participant_id', name=op.f('uq_registration_session_id_participant_id'))
    )
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index('ix_registration_session_status', ['session_id', 'status'], unique=False)

    op.create_table('session_facilitator',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['forum_session.id'], name=op.f('fk_session_facilitator_session_id_forum_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_session_facilitator_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'user_id', name=op.f('pk_session_facilitator'))
    )
    op.create_table('agenda_speaker',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_item.id'], name=op.f('fk_agenda_speaker_agenda_item_id_agenda_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_agenda_speaker_participant_id_participant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_speaker')),
    sa.UniqueConstraint('agenda_item_id', 'participant_id', name=op.f('uq_agenda_speaker_agenda_item_id_participant_id'))
    )
    with op.batch_alter_table('agenda_speaker', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_speaker_participant_id'), ['participant_id'], unique=False)

    op.create_table('checkin_request',
    sa.Column('request_id', sa.String(length=80), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_checkin_request_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', name=op.f('pk_checkin_request'))
    )
    op.create_table('quota',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('dimension_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('min_count', sa.Integer(), nullable=True),
    sa.Column('max_count', sa.Integer(), nullable=True),
    sa.Column('min_share', sa.Float(), nullable=True),
    sa.Column('max_share', sa.Float(), nullable=True),
    sa.Column('target_share', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_quota_category_id_category'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['dimension_id'], ['dimension.id'], name=op.f('fk_quota_dimension_id_dimension'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['policy_id'], ['balance_policy.id'], name=op.f('fk_quota_policy_id_balance_policy'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quota')),
    sa.UniqueConstraint('policy_id', 'category_id', name=op.f('uq_quota_policy_id_category_id'))
    )
    with op.batch_alter_table('quota', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quota_policy_id'), ['policy_id'], unique=False)




def downgrade():

    with op.batch_alter_table('quota', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quota_policy_id'))

    op.drop_table('quota')
    op.drop_table('checkin_request')
    with op.batch_alter_table('agenda_speaker', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_speaker_participant_id'))

    op.drop_table('agenda_speaker')
    op.drop_table('session_facilitator')
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_index('ix_registration_session_status')
        batch_op.drop_index(batch_op.f('ix_registration_participant_id'))

    op.drop_table('registration')
    op.drop_table('balance_policy')
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_item_session_id'))

    op.drop_table('agenda_item')
    with op.batch_alter_table('participant_category', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participant_category_category_id'))

    op.drop_table('participant_category')
    with op.batch_alter_table('forum_session', schema=None) as batch_op:
        batch_op.drop_index('ix_forum_session_starts_at')
        batch_op.drop_index(batch_op.f('ix_forum_session_region_id'))
        batch_op.drop_index(batch_op.f('ix_forum_session_forum_id'))

    op.drop_table('forum_session')
    op.drop_table('personal_link')
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_category_dimension_id'))

    op.drop_table('category')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entry_object')
        batch_op.drop_index(batch_op.f('ix_audit_entry_at'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_actor_id'))

    op.drop_table('audit_entry')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    op.drop_table('user')
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participant_search_key'))

    op.drop_table('participant')
    op.drop_table('forum')
    op.drop_table('dimension')

