"""balance stamp: forum_session.balance_stamp, renewed by triggers whenever a balance report may change

The balance report of a session depends on its registrations, on the categories of the people
registered, on the catalogue (dimensions and categories) and on the policy in force (the session's
or its forum's, with their quotas). Triggers give every session whose report may have changed a new
random stamp, in the same transaction as the change, whatever wrote it (the ORM, a bulk delete of the
retention purge, an import, a restore). ``forums.balance.queries`` keeps reports per worker and reuses
one only while the session's stamp is the one it was computed under. Random rather than counted, so
that a restored backup cannot bring back a value some worker already saw for other data.

SQLite gets row-level triggers; PostgreSQL statement-level ones over transition tables, which lock
the sessions in id order before changing them (so two such statements cannot deadlock).

Revision ID: b41a5c0e7d21
Revises: 904708796111
Create Date: 2026-11-27 07:50:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b41a5c0e7d21'
down_revision = '904708796111'
branch_labels = None
depends_on = None

#: per table, the SQL selecting the ids of the sessions whose report a changed row may alter;
#: ``{rows}`` is the changed rows (NEW/OLD on SQLite, a transition table on PostgreSQL)
AFFECTED_SESSIONS = {
    "registration": "SELECT {rows}.session_id",
    "participant_category": "SELECT registration.session_id FROM registration "
                            "WHERE registration.participant_id = {rows}.participant_id",
    "balance_policy": "SELECT forum_session.id FROM forum_session "
                      "WHERE forum_session.id = {rows}.session_id OR forum_session.forum_id = {rows}.forum_id",
    "quota": "SELECT forum_session.id FROM forum_session JOIN balance_policy "
             "ON forum_session.id = balance_policy.session_id OR forum_session.forum_id = balance_policy.forum_id "
             "WHERE balance_policy.id = {rows}.policy_id",
    "category": "SELECT forum_session.id FROM forum_session",
    "dimension": "SELECT forum_session.id FROM forum_session",
}
OPERATIONS = {"insert": ("NEW",), "update": ("OLD", "NEW"), "delete": ("OLD",)}


def _sqlite_upgrade() -> None:
    for table, query in AFFECTED_SESSIONS.items():
        for operation, aliases in OPERATIONS.items():
            # NEW and OLD are the row itself here; "SELECT NEW.session_id" needs no FROM.
            sessions = " UNION ".join(query.format(rows=alias) for alias in aliases)
            op.execute(
                f"CREATE TRIGGER balance_stamp_{table}_{operation} AFTER {operation.upper()} ON {table} "
                f"BEGIN UPDATE forum_session SET balance_stamp = random() WHERE id IN ({sessions}); END"
            )


def _postgres_upgrade() -> None:
    op.execute("""
        CREATE FUNCTION renew_balance_stamps(session_ids integer[]) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM 1 FROM forum_session WHERE id = ANY(session_ids) ORDER BY id FOR UPDATE;
            UPDATE forum_session SET balance_stamp = floor(random() * 4503599627370496)::bigint
            WHERE id = ANY(session_ids);
        END $$
    """)
    for table, query in AFFECTED_SESSIONS.items():
        def affected(rows: str, query: str = query) -> str:
            # Transition tables are tables of the changed rows: put them first in the FROM list.
            sql = query.format(rows=rows).replace("SELECT ", "SELECT DISTINCT ", 1)
            return sql.replace(" FROM ", f" FROM {rows}, ", 1) if " FROM " in sql else f"{sql} FROM {rows}"

        op.execute(f"""
            CREATE FUNCTION balance_stamp_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    PERFORM renew_balance_stamps(ARRAY({affected("new_rows")}));
                ELSIF TG_OP = 'DELETE' THEN
                    PERFORM renew_balance_stamps(ARRAY({affected("old_rows")}));
                ELSE
                    PERFORM renew_balance_stamps(ARRAY({affected("new_rows")} UNION {affected("old_rows")}));
                END IF;
                RETURN NULL;
            END $$
        """)
        transitions = {"insert": "NEW TABLE AS new_rows", "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                       "delete": "OLD TABLE AS old_rows"}
        for operation, transition in transitions.items():
            op.execute(
                f"CREATE TRIGGER balance_stamp_{table}_{operation} AFTER {operation.upper()} ON {table} "
                f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION balance_stamp_{table}()"
            )


def upgrade():
    with op.batch_alter_table('forum_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('balance_stamp', sa.BigInteger(), server_default='0', nullable=False))
    if op.get_bind().dialect.name == "postgresql":
        _postgres_upgrade()
    else:
        _sqlite_upgrade()


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in AFFECTED_SESSIONS:
        for operation in OPERATIONS:
            op.execute(f"DROP TRIGGER balance_stamp_{table}_{operation}" + (f" ON {table}" if postgres else ""))
        if postgres:
            op.execute(f"DROP FUNCTION balance_stamp_{table}()")
    if postgres:
        op.execute("DROP FUNCTION renew_balance_stamps(integer[])")
    with op.batch_alter_table('forum_session', schema=None) as batch_op:
        batch_op.drop_column('balance_stamp')
