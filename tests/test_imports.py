"""CSV import of participants: preview, an error per line in words, all or nothing."""

import io
import os
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from forums import imports
from models import AuditEntry, Participant, db, utcnow

GOOD = (
    "name,organisation,email,phone,languages,group,region,gender\n"
    "Раҳимова Нигора,Women of Kulyab,nigora@example.org,+992 93 555 0101,tg ru,civil_society,kulyab,woman\n"
    "Karimov Jamshed,,,,ru,media,dushanbe,man\n"
    "Odinaev Farrukh,Chamber of commerce,,,,business,,\n"
)


@pytest.fixture(autouse=True)
def private_upload_folder(app_config: dict[str, Any], tmp_path: Any) -> None:
    """Each test gets its own folder for waiting uploads."""
    app_config["IMPORT_UPLOAD_FOLDER"] = str(tmp_path / "uploads")


def _participants() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Participant)) or 0


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
    assert (nigora.email, nigora.phone, nigora.language_list) == ("nigora@example.org", "+992 93 555 0101", ["tg", "ru"])
    assert {link.category.key for link in nigora.categories} == {"civil_society", "kulyab", "woman"}
    assert {link.category.key for link in people["Odinaev Farrukh"].categories} == {"business"}
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "participant.import")).one()
    assert entry.detail == "rows=3"
    assert not list(imports.upload_folder().glob("*.csv")), "the waiting file is deleted once imported"
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


def test_files_that_are_not_utf8_or_too_long_are_refused(client, create_user, login, monkeypatch):
    login(create_user("organiser"))
    page = _upload(client, "name\nРахимова\n".encode("cp1251")).get_data(as_text=True)
    assert "not UTF-8" in page
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
    assert len(list(imports.upload_folder().glob("*.csv"))) == 1
    client.post("/data/participants/import/cancel")
    assert not list(imports.upload_folder().glob("*.csv"))
    client.post("/data/participants/import/confirm")
    assert _participants() == 0


def test_waiting_files_are_private_and_found_stale_after_a_day(app):
    token = imports.store_upload(b"name\nX\n")
    path = imports.upload_folder() / f"{token}.csv"
    assert path.stat().st_mode & 0o777 == 0o600
    assert imports.load_upload("../../etc/passwd") is None
    assert imports.stale_uploads(utcnow()) == []
    day_old = (utcnow() - timedelta(hours=25)).timestamp()
    os.utime(path, (day_old, day_old))
    assert imports.stale_uploads(utcnow()) == [path]


def test_facilitators_may_not_import(client, create_user, login):
    login(create_user("facilitator"))
    assert client.get("/data/participants/import").status_code == 403
    assert _upload(client, GOOD).status_code == 403
    assert _participants() == 0
