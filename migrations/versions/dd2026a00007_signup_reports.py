"""open registration and reports

Revision ID: dd2026a00007
Revises: dd2026a00006
Create Date: 2026-12-03 15:20:00

Open registration for public sessions (issue 20, item 4): what each session's form asks
(``signup_setting``), sign-ups waiting for their confirmation link (``open_signup``), and a flag on
a person's category saying they declared it themselves (existing rows: false, staff entered them).
A mail message may be a sign-up's confirmation link instead of a registration's news (``mail_message.signup_id``:
exactly one of the two is set). Reports for headquarters (item 5): the narrative staff add to a report (``report_narrative``).
"""

import sqlalchemy as sa
from alembic import op

revision = 'dd2026a00007'
down_revision = 'dd2026a00006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('signup_setting',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('asks_organisation', sa.Boolean(), nullable=False),
    sa.Column('asks_contact', sa.Boolean(), nullable=False),
    sa.Column('dimension_ids', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['forum_session.id'],
                            name=op.f('fk_signup_setting_session_id_forum_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_signup_setting'))
    )
    op.create_table('open_signup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('consent_notice', sa.String(length=40), nullable=False),
    sa.Column('consent_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['forum_session.id'],
                            name=op.f('fk_open_signup_session_id_forum_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'],
                            name=op.f('fk_open_signup_registration_id_registration'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open_signup')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_open_signup_code_hash'))
    )
    op.create_index(op.f('ix_open_signup_session_id'), 'open_signup', ['session_id'], unique=False)
    # mail_message has no triggers, so the batch's copy of it on SQLite loses nothing.
    with op.batch_alter_table('mail_message') as batch:
        batch.add_column(sa.Column('signup_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_mail_message_signup_id_open_signup'), 'open_signup', ['signup_id'], ['id'],
                                 ondelete='CASCADE')
        batch.create_index(op.f('ix_mail_message_signup_id'), ['signup_id'], unique=False)
        batch.create_check_constraint(op.f('ck_mail_message_one_subject'),
                                      '(registration_id IS NULL) <> (signup_id IS NULL)')
    op.create_table('report_narrative',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=300), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'],
                            name=op.f('fk_report_narrative_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_narrative')),
    sa.UniqueConstraint('scope', name=op.f('uq_report_narrative_scope'))
    )
    # Plain add_column, not a batch: a batch copies the table, and on SQLite that drops its balance-stamp triggers.
    op.add_column('participant_category',
                  sa.Column('is_self_declared', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    # Whether a category was self-declared is lost; the categories stay.
    op.drop_column('participant_category', 'is_self_declared')
    op.drop_table('report_narrative')
    # Sign-up confirmations go with their column: the rest of the outbox keeps its registration.
    op.execute("DELETE FROM mail_message WHERE signup_id IS NOT NULL")
    with op.batch_alter_table('mail_message') as batch:
        batch.drop_constraint(op.f('ck_mail_message_one_subject'), type_='check')
        batch.drop_index(op.f('ix_mail_message_signup_id'))
        batch.drop_constraint(op.f('fk_mail_message_signup_id_open_signup'), type_='foreignkey')
        batch.drop_column('signup_id')
    op.drop_index(op.f('ix_open_signup_session_id'), table_name='open_signup')
    op.drop_table('open_signup')
    op.drop_table('signup_setting')
