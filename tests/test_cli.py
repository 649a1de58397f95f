"""The command-line tools: init-db, create-user, create-token, demo-data."""

from datetime import timedelta

import sqlalchemy as sa

from forums.people.seed import DEFAULT_DIMENSIONS
from models import (
    ApiToken,
    AuditEntry,
    Category,
    Dimension,
    Forum,
    ForumKind,
    ForumSession,
    Participant,
    Registration,
    RegistrationStatus,
    User,
    db,
)


def _rows(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_init_db_seeds_default_dimensions_with_three_languages_and_is_idempotent(runner):
    first = runner.invoke(args=["init-db"])
    assert first.exit_code == 0, first.output
    counts = (_rows(Dimension), _rows(Category))
    second = runner.invoke(args=["init-db"])
    assert second.exit_code == 0 and "0 default" in second.output
    assert (_rows(Dimension), _rows(Category)) == counts == (len(DEFAULT_DIMENSIONS),
                                                             sum(len(c) for _, _, c in DEFAULT_DIMENSIONS))
    minorities = db.session.scalars(sa.select(Category).where(Category.key == "minorities")).one()
    assert (minorities.name_en, minorities.name_ru, minorities.name_tg) == (
        "National minorities", "Национальные меньшинства", "Ақаллиятҳои миллӣ")
    international = db.session.scalars(sa.select(Category).where(Category.key == "international")).one()
    assert international.counts_toward_balance is False


def test_create_user_reads_the_password_from_stdin_and_hashes_it(runner):
    result = runner.invoke(args=["create-user", "Org@Example.org", "--role", "organiser", "--password-stdin"],
                           input="a long enough passphrase\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalars(sa.select(User).where(User.email == "org@example.org")).one()
    assert user.role == "organiser" and user.password_hash.startswith("$argon2id$")
    assert "a long enough passphrase" not in user.password_hash


def test_create_user_refuses_short_and_common_passwords_and_duplicates(runner):
    short = runner.invoke(args=["create-user", "a@example.org", "--role", "admin", "--password-stdin"], input="short\n")
    common = runner.invoke(args=["create-user", "a@example.org", "--role", "admin", "--password-stdin"],
                           input="1qaz2wsx3edc\n")
    assert short.exit_code != 0 and "at least" in short.output
    assert common.exit_code != 0 and "too common" in common.output
    ok = runner.invoke(args=["create-user", "a@example.org", "--role", "admin", "--password-stdin"],
                       input="seven bridges over the Vakhsh and two mountain passes, at dusk!!"[:64] + "\n")
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(args=["create-user", "a@example.org", "--role", "admin", "--password-stdin"],
                          input="another long passphrase\n")
    assert again.exit_code != 0 and "already exists" in again.output
    assert _rows(User) == 1


def test_create_token_prints_a_token_that_is_stored_hashed_and_works(runner, client, create_user):
    user = create_user("organiser", email="staff@example.org")
    result = runner.invoke(args=["create-token", "staff@example.org"])
    assert result.exit_code == 0
    token = result.output.strip()
    stored = db.session.scalars(sa.select(ApiToken)).one()
    assert stored.token_hash != token and len(stored.token_hash) == 64
    assert client.get("/api/v1/openapi.json", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/api/v1/openapi.json", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert runner.invoke(args=["create-token", "nobody@example.org"]).exit_code != 0
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.object_id == user.id)) == "token.create"


def test_demo_data_covers_every_kind_group_region_gender_and_status_and_runs_twice(runner):
    first = runner.invoke(args=["demo-data"])
    assert first.exit_code == 0, first.output
    assert "admin@example.org password:" in first.output
    counts = (_rows(Forum), _rows(ForumSession), _rows(Participant), _rows(Registration))
    assert {f.kind for f in db.session.scalars(sa.select(Forum))} == set(ForumKind)
    assert counts[1] >= 12 and counts[2] >= 120
    used = set(db.session.scalars(
        sa.select(Category.key).join(Category.dimension)
        .where(Dimension.key.in_(["group", "region", "gender", "sector"]))
        .where(Category.id.in_(sa.select(sa.literal_column("category_id"))
                               .select_from(sa.table("participant_category", sa.column("category_id")))))
    ))
    assert used == {seed.key for _, _, categories in DEFAULT_DIMENSIONS for seed in categories}
    assert set(db.session.scalars(sa.select(Registration.status).distinct())) == set(RegistrationStatus)
    names = list(db.session.scalars(sa.select(Participant.name)))
    assert any(any(ch in name for ch in "ҳқғҷӯӣ") for name in names)
    assert any(name.isascii() for name in names)
    second = runner.invoke(args=["demo-data"])
    assert second.exit_code == 0 and "already loaded" in second.output
    assert (_rows(Forum), _rows(ForumSession), _rows(Participant), _rows(Registration)) == counts


def test_create_token_takes_a_name_and_an_expiry(runner, client, create_user):
    create_user("organiser", email="staff@example.org")
    result = runner.invoke(args=["create-token", "staff@example.org", "--name", "weekly report", "--expires-days", "7"])
    assert result.exit_code == 0, result.output
    stored = db.session.scalars(sa.select(ApiToken)).one()
    assert stored.name == "weekly report"
    assert timedelta(days=6, hours=23) < stored.expires_at - stored.created_at <= timedelta(days=7)
    assert client.get("/api/v1/forums", headers={"Authorization": f"Bearer {result.output.strip()}"}).status_code == 200


def test_create_token_refuses_a_name_on_two_lines_or_a_life_out_of_range(runner, create_user):
    create_user("organiser", email="staff@example.org")
    for args in (["--name", "report\nsecond line"], ["--expires-days", "0"],
                 ["--expires-days", "99999999999999999999"]):
        result = runner.invoke(args=["create-token", "staff@example.org", *args])
        assert result.exit_code != 0, args
    assert _rows(ApiToken) == 0
