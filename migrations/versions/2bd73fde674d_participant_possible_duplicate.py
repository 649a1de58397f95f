"""participant possible duplicate: a walk-in a facilitator added is flagged for staff when the register
holds someone with a similar name

At the door a facilitator is shown only near-exact matches among the people of their own session, so
that the register is never read through the walk-in form (issue 14). When the register holds someone
else with a similar name, the new person is added anyway and ``participant.possible_duplicate_of_id``
points at that other person, for staff to check; erasing the other person clears it. Existing rows
get NULL: nobody is waiting for a check.

Revision ID: 2bd73fde674d
Revises: fc93f1054b58
Create Date: 2026-12-03 12:45:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '2bd73fde674d'
down_revision = 'fc93f1054b58'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('possible_duplicate_of_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_participant_possible_duplicate_of_id'), ['possible_duplicate_of_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_participant_possible_duplicate_of_id_participant'), 'participant',
                                    ['possible_duplicate_of_id'], ['id'], ondelete='SET NULL')


def downgrade():
    # The flags waiting for a check are lost; the people stay.
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_participant_possible_duplicate_of_id_participant'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_participant_possible_duplicate_of_id'))
        batch_op.drop_column('possible_duplicate_of_id')
