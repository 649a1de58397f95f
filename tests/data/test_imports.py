"""CSV import of participants: preview, an error per line in words, all or nothing."""

import io
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app import create_app
from forums.data import imports, retention
from models import AuditEntry, Participant, PendingImport, db, utcnow
from tests.conftest import CommittingClient, sign_in_without_password

GOOD = (
    "name,organisation,email,phone,languages,group,region,gender\n"
    "Раҳимова Нигора,Women of Kulyab,nigora@example.org,+992 93 555 0101,tg ru,civil_society,kulyab,woman\n"
    "Karimov Jamshed,,,,ru,media,dushanbe,man\n"
    "Odinaev Farrukh,Chamber of commerce,,,,business,,\n"
)


def _participants() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Participant)) or 0


def _waiting() -> int:
    db.session.commit()  # a new transaction sees what the requests committed
    return db.session.scalar(sa.select(sa.func.count()).select_from(PendingImport)) or 0


def _token(client: Any) -> str:
    with client.session_transaction() as stored:
        return str(stored["import_upload"])


def _upload(client: Any, text: str | bytes, filename: str = "people.csv") -> Any:
    raw = text.encode() if isinstance(text, str) else text
    return client.post("/data/participants/import", data={"file": (io.BytesIO(raw), filename)},
                       content_type="multipart/form-data")


def test_preview_shows_the_lines_and_saves_nothing(client, create_user, login):
    login(create_user("organiser"))
    response = _upload(client, GOOD)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "3 people are ready to be imported." in page
    assert "Раҳимова Нигора" in page and "Odinaev Farrukh" in page
    assert _participants() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action.startswith("participant."))) == 0


def test_confirm_imports_every_line_and_is_audited(client, create_user, login):
    login(create_user("organiser"))
    _upload(client, GOOD)
    response = client.post("/data/participants/import/confirm")
    assert response.status_code == 302
    people = {p.name: p for p in db.session.scalars(sa.select(Participant))}
    assert set(people) == {"Раҳимова Нигора", "Karimov Jamshed", "Odinaev Farrukh"}
    nigora = people["Раҳимова Нигора"]
    assert (nigora.email, nigora.phone, nigora.language_list) == ("nigora@example.org", "+992 93 555 0101",
                                                                   ["tg", "ru"])
    assert {link.category.key for link in nigora.categories} == {"civil_society", "kulyab", "woman"}
    assert {link.category.key for link in people["Odinaev Farrukh"].categories} == {"business"}
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "participant.import")).one()
    assert entry.detail == "rows=3"
    assert _waiting() == 0, "the waiting upload is deleted once imported"
    # the same confirmation cannot import the file twice
    client.post("/data/participants/import/confirm")
    assert _participants() == 3


def test_one_bad_line_imports_nothing_and_each_error_is_told_in_words(client, create_user, login):
    login(create_user("organiser"))
    text = GOOD + "Bad Email,,not-an-address,,,media,,\n,,,,,,,\nNo Name Group,,,,,warlords,,\n,Org only,,,,,,\n"
    page = _upload(client, text).get_data(as_text=True)
    assert "Line 5, column “email”: Not an e-mail address." in page
    assert "Line 7, column “group”: Unknown category." in page
    assert "Line 8, column “name”: This field is required." in page
    assert "3 problems were found" in page
    assert "Import them" not in page
    assert client.post("/data/participants/import/confirm").status_code == 302
    assert _participants() == 0


def test_header_problems_are_reported_on_line_one(client, create_user, login):
    login(create_user("organiser"))
    page = _upload(client, "full_name,religion,email,email\nX,Y,a@b.cd,a@b.cd\n").get_data(as_text=True)
    assert "Line 1, column “full_name”: Unknown column" in page
    assert "Line 1, column “religion”: Unknown column" in page
    assert "Line 1, column “email”: This column appears twice." in page
    assert "Line 1, column “name”: The column “name” is missing." in page


def test_semicolons_and_a_byte_order_mark_are_understood(client, create_user, login):
    login(create_user("organiser"))
    _upload(client, "\ufeffname;languages;region\nSafarov Umed;ru,tg;hissar\n".encode())
    client.post("/data/participants/import/confirm")
    person = db.session.scalars(sa.select(Participant)).one()
    assert (person.name, person.language_list) == ("Safarov Umed", ["ru", "tg"])


def test_files_that_are_not_text_or_too_long_are_refused(client, create_user, login, monkeypatch):
    login(create_user("organiser"))
    # Windows-1251 is read (tests/data/test_import_excel.py); these bytes are no text in any encoding taken.
    page = _upload(client, b"name\n\x98\x81\n").get_data(as_text=True)
    assert "not text in UTF-8, UTF-16 or Windows-1251" in page
    monkeypatch.setattr(imports, "MAX_ROWS", 2)
    page = _upload(client, GOOD).get_data(as_text=True)
    assert "Line 4: More than 2 people; split the file." in page
    assert _participants() == 0


def test_too_many_cells_and_broken_quotes_are_reported(client, create_user, login):
    login(create_user("organiser"))
    page = _upload(client, 'name,email\nA,a@b.cd,extra\n"B,b@c.de\n').get_data(as_text=True)
    assert "Line 2: This line has 3 cells; the header has 2." in page
    assert "cannot be read as CSV" in page


def test_confirm_rechecks_the_file_against_the_register_as_it_is_now(client, create_user, login):
    login(create_user("admin"))
    _upload(client, "name,group\nSharipov Davron,academia\n")
    # Someone removes the category between preview and confirmation.
    db.session.execute(sa.text("DELETE FROM category WHERE key = 'academia'"))
    db.session.commit()
    page = client.post("/data/participants/import/confirm").get_data(as_text=True)
    assert "Line 2, column “group”: Unknown category." in page
    assert _participants() == 0


def test_cancel_drops_the_waiting_file(client, create_user, login):
    login(create_user("organiser"))
    _upload(client, GOOD)
    assert _waiting() == 1
    client.post("/data/participants/import/cancel")
    assert _waiting() == 0
    client.post("/data/participants/import/confirm")
    assert _participants() == 0


def test_a_new_upload_replaces_the_one_waiting(client, create_user, login):
    login(create_user("organiser"))
    _upload(client, GOOD)
    first = _token(client)
    _upload(client, "name\nSafarov Umed\n")
    assert _token(client) != first and _waiting() == 1
    client.post("/data/participants/import/confirm")
    assert list(db.session.scalars(sa.select(Participant.name))) == ["Safarov Umed"]


def test_only_a_hash_of_the_token_is_stored_and_a_bad_token_finds_nothing(app, create_user):
    user = create_user("organiser")
    token = imports.store_upload(b"name\nX\n", user.id)
    db.session.commit()
    row = db.session.scalars(sa.select(PendingImport)).one()
    assert row.token_hash != token and len(row.token_hash) == 64 and token not in row.token_hash
    assert (row.user_id, row.content) == (user.id, b"name\nX\n")
    assert imports.load_upload(token, user.id) == b"name\nX\n"
    assert imports.load_upload(row.token_hash, user.id) is None, "the stored hash is not a key"
    assert imports.load_upload("../../etc/passwd", user.id) is None
    assert imports.discard_upload("", user.id) is False


def test_another_user_cannot_confirm_or_cancel_someone_elses_upload(app, client, create_user, login):
    login(create_user("organiser"))
    _upload(client, GOOD)
    token = _token(client)
    # Another organiser, whose session somehow carries the same token.
    intruder = sign_in_without_password(app.test_client(), create_user("organiser"))
    with intruder.session_transaction() as stored:
        stored["import_upload"] = token
    response = intruder.post("/data/participants/import/confirm", follow_redirects=True)
    assert "There is no checked file waiting; upload it again." in response.get_data(as_text=True)
    intruder.post("/data/participants/import/cancel")
    assert (_participants(), _waiting()) == (0, 1), "neither imported nor discarded"
    assert not imports.discard_upload(token, create_user("admin").id)
    db.session.rollback()
    assert _waiting() == 1
    # The uploader still can.
    assert client.post("/data/participants/import/confirm").status_code == 302
    assert (_participants(), _waiting()) == (3, 0)


def test_another_host_on_the_same_database_confirms_and_nothing_is_written_to_disk(
        app, app_config, client, create_user, login, tmp_path):
    host_a = tmp_path / "host-a"
    host_b = tmp_path / "host-b"
    host_a.mkdir()
    host_b.mkdir()
    app.instance_path = str(host_a)
    second = create_app(dict(app_config))
    second.instance_path = str(host_b)
    second.test_client_class = CommittingClient
    try:
        login(create_user("organiser"))
        assert "3 people are ready to be imported." in _upload(client, GOOD).get_data(as_text=True)
        # The load balancer sends the confirmation to the other host, with the same cookie.
        other = second.test_client()
        other.set_cookie("session", client.get_cookie("session").value)
        response = other.post("/data/participants/import/confirm", follow_redirects=True)
        assert "3 people were added to the register." in response.get_data(as_text=True)
        assert (_participants(), _waiting()) == (3, 0)
        assert list(host_a.iterdir()) == [] and list(host_b.iterdir()) == [], "no host keeps a file"
    finally:
        with second.app_context():
            db.session.remove()
            db.engine.dispose()


def test_confirming_twice_imports_once_even_if_the_upload_was_read_before(client, create_user, login,
                                                                           monkeypatch):
    login(create_user("organiser"))
    _upload(client, GOOD)
    assert client.post("/data/participants/import/confirm").status_code == 302
    # A second confirmation that had read the upload just before the first one deleted it.
    monkeypatch.setattr(imports, "load_upload", lambda token, user_id: GOOD.encode())
    response = client.post("/data/participants/import/confirm", follow_redirects=True)
    assert "There is no checked file waiting; upload it again." in response.get_data(as_text=True)
    assert _participants() == 3


def test_purge_deletes_only_stale_uploads(app, create_user):
    user = create_user("organiser")
    now = utcnow()
    stale = imports.store_upload(b"name\nOld Person\n", user.id)
    fresh = imports.store_upload(b"name\nNew Person\n", user.id)
    db.session.execute(sa.update(PendingImport).where(PendingImport.content == b"name\nOld Person\n")
                       .values(created_at=now - timedelta(hours=25)))
    db.session.execute(sa.update(PendingImport).where(PendingImport.content == b"name\nNew Person\n")
                       .values(created_at=now - timedelta(hours=23)))
    db.session.commit()
    assert len(imports.stale_uploads(now)) == 1
    assert len(retention.purge_expired(now, dry_run=True).stale_uploads) == 1
    assert _waiting() == 2, "a dry run deletes nothing"
    plan = retention.purge_expired(now)
    db.session.commit()
    assert len(plan.stale_uploads) == 1 and _waiting() == 1
    assert imports.load_upload(stale, user.id) is None
    assert imports.load_upload(fresh, user.id) == b"name\nNew Person\n"
    summary = db.session.scalars(sa.select(AuditEntry.detail).where(AuditEntry.action == "retention.purge")).one()
    assert summary.endswith("upload_files=1")


def test_deleting_the_uploader_deletes_the_upload(app, create_user):
    user = create_user("organiser")
    imports.store_upload(b"name\nX\n", user.id)
    db.session.commit()
    db.session.delete(user)
    db.session.commit()
    assert _waiting() == 0


def test_facilitators_may_not_import(client, create_user, login):
    login(create_user("facilitator"))
    assert client.get("/data/participants/import").status_code == 403
    assert _upload(client, GOOD).status_code == 403
    assert _participants() == 0


def test_a_file_of_bad_lines_stops_at_the_first_problems_and_answers_at_once(client, create_user, login, monkeypatch):
    login(create_user("organiser"))
    response = _upload(client, "name\n" + "a,b\n" * 100_000)  # under 500 kB: no temporary file
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and len(page) < 100_000
    assert page.count("This line has 2 cells") == imports.MAX_ERRORS
    assert f"More than {imports.MAX_ERRORS} problems" in page
    # Bad lines count toward the limit of people as good ones do.
    monkeypatch.setattr(imports, "MAX_ROWS", 50)
    monkeypatch.setattr(imports, "MAX_ERRORS", 1000)
    page = _upload(client, "name\n" + "a,b\n" * 200).get_data(as_text=True)
    assert "Line 52: More than 50 people; split the file." in page
    assert _participants() == 0 and _waiting() == 0


def test_a_line_longer_than_any_person_is_refused(client, create_user, login):
    login(create_user("organiser"))
    page = _upload(client, GOOD + "x" * (imports.MAX_LINE_LENGTH + 1) + "\n").get_data(as_text=True)
    assert f"Line 5: This line is longer than {imports.MAX_LINE_LENGTH} characters" in page
    assert _participants() == 0 and _waiting() == 0


def test_a_preview_that_takes_too_long_stops_with_a_message_and_keeps_nothing(client, create_user, login,
                                                                             monkeypatch):
    login(create_user("organiser"))
    monkeypatch.setattr(imports, "PREVIEW_SECONDS", 0.0)
    page = _upload(client, GOOD).get_data(as_text=True)
    assert "Checking the file took too long and stopped here; split it into smaller files." in page
    assert _participants() == 0 and _waiting() == 0
