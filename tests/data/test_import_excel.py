"""Excel in the field (issue 14, item 14): files as Russian-locale Excel saves them are imported, categories may
be named in any of the three languages, problems list the valid values and count lines from the file's first,
a template is offered, and what the app writes opens in Excel on Windows. Also the import's duplicates (item 9)."""

import io
from typing import Any

import pytest
import sqlalchemy as sa

from forums.data import excel_csv, imports
from forums.people.seed import DEFAULT_DIMENSIONS
from models import AuditEntry, Participant, db


def _upload(client: Any, raw: bytes, filename: str = "people.csv") -> Any:
    return client.post("/data/participants/import", data={"file": (io.BytesIO(raw), filename)},
                       content_type="multipart/form-data")


def _people() -> dict[str, Participant]:
    db.session.commit()
    return {person.name: person for person in db.session.scalars(sa.select(Participant))}


def _keys(person: Participant) -> set[str]:
    return {link.category.key for link in person.categories}


# Encodings and separators ---------------------------------------------------------------------------

def test_a_windows_1251_file_with_semicolons_and_russian_names_of_categories(client, create_user, login):
    """Russian-locale Excel's "CSV": Windows-1251, semicolons, CRLF, categories as Russian users write them."""
    login(create_user("organiser"))
    text = ("name;organisation;email;phone;languages;group;region;gender\r\n"
            "Рахимова Нигора;Женщины Куляба;nigora@example.org;+992 93 555 0101;ru;Гражданское общество;Куляб;"
            "Женщины\r\n"
            "Иванов Сергей;;;;ru;правительство;ДУШАНБЕ;мужчины\r\n")
    page = _upload(client, text.encode("cp1251")).get_data(as_text=True)
    assert "2 people are ready to be imported." in page and "Windows-1251" in page
    assert client.post("/data/participants/import/confirm").status_code == 302
    people = _people()
    assert people["Рахимова Нигора"].organisation == "Женщины Куляба"
    assert _keys(people["Рахимова Нигора"]) == {"civil_society", "kulyab", "woman"}
    assert _keys(people["Иванов Сергей"]) == {"government", "dushanbe", "man"}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-16-le"])
def test_unicode_text_in_utf16_with_tabs_and_tajik_names(client, create_user, login, encoding):
    """Excel's "Unicode text": UTF-16 (with a byte order mark, or without one), tab-separated, Tajik letters kept."""
    login(create_user("organiser"))
    text = ("name\torganisation\tgroup\tregion\tgender\r\n"
            "Раҳимова Нигора\tЗанони Кӯлоб\tҶомеаи шаҳрвандӣ\tКӯлоб\tЗанон\r\n"
            "Ҷураев Фирдавс\t\tmedia\tQurghonteppa\tMen\r\n")
    page = _upload(client, text.encode(encoding), "people.txt").get_data(as_text=True)
    assert "Line 3, column “region”: Unknown category." in page, "a typo is still a problem"
    text = text.replace("Qurghonteppa", "Қӯрғонтеппа")
    page = _upload(client, text.encode(encoding), "people.txt").get_data(as_text=True)
    assert "2 people are ready to be imported." in page and "UTF-16" in page
    client.post("/data/participants/import/confirm")
    people = _people()
    assert people["Раҳимова Нигора"].organisation == "Занони Кӯлоб"
    assert _keys(people["Раҳимова Нигора"]) == {"civil_society", "kulyab", "woman"}
    assert _keys(people["Ҷураев Фирдавс"]) == {"media", "kurgan_tyube", "man"}


def test_utf8_with_a_byte_order_mark_and_english_names_in_any_case(client, create_user, login):
    login(create_user("organiser"))
    text = "\ufeffname,group,region,gender\r\nSafarov Umed,  national MINORITIES ,Leninabad (Sughd),men\r\n"
    _upload(client, text.encode("utf-8"))
    client.post("/data/participants/import/confirm")
    assert _keys(_people()["Safarov Umed"]) == {"minorities", "leninabad", "man"}


def test_letters_windows_1251_lost_are_a_problem_that_says_how_to_save(client, create_user, login):
    """Excel writes "?" for the Tajik letters Windows-1251 lacks: such a file would garble names."""
    login(create_user("organiser"))
    page = _upload(client, "name;group\r\nРа?имова Нигора;media\r\n".encode("cp1251")).get_data(as_text=True)
    assert "Line 2, column “name”: “?” stands for a letter Windows-1251 does not have" in page
    assert "“CSV UTF-8”" in page and "Import them" not in page


def test_bytes_that_are_no_known_text_are_refused_without_a_line_number(client, create_user, login):
    login(create_user("organiser"))
    page = _upload(client, b"name\n\x98\x81\n").get_data(as_text=True)
    assert "The file is not text in UTF-8, UTF-16 or Windows-1251" in page
    assert "Line 0" not in page
    assert _people() == {}


def test_decode_rules():
    assert imports.decode("имя".encode()) == ("имя", "utf-8")
    assert imports.decode("\ufeffимя".encode("utf-8")) == ("имя", "utf-8")
    assert imports.decode("имя".encode("cp1251")) == ("имя", "cp1251")
    assert imports.decode("name\tимя".encode("utf-16")) == ("name\tимя", "utf-16")
    assert imports.decode("name\tимя".encode("utf-16-le")) == ("name\tимя", "utf-16")
    assert imports.decode(b"\xff\xfe\x00") is None, "a broken UTF-16 file"


# Values and line numbers -----------------------------------------------------------------------------

def test_an_unknown_category_lists_the_values_in_the_readers_language(client, create_user, login):
    login(create_user("organiser"))
    page = _upload(client, b"name,gender\nSafarov Umed,male\n").get_data(as_text=True)
    assert "Line 2, column “gender”: Unknown category. Use one of: woman (Women), man (Men)." in page
    client.get("/?lang=ru")
    page = _upload(client, b"name,gender\nSafarov Umed,male\n").get_data(as_text=True)
    assert "woman (Женщины), man (Мужчины)" in page


def test_line_numbers_count_from_the_files_first_line_even_after_blank_lines(client, create_user, login):
    login(create_user("organiser"))
    page = _upload(client, b"\r\n\r\nname,religion\r\nSafarov Umed,x\r\n\r\nBad,,\r\n").get_data(as_text=True)
    assert "Line 3, column “religion”: Unknown column" in page
    assert "Line 6: This line has 3 cells; the header has 2." in page
    assert "Line 1" not in page
    assert "The file is empty." in _upload(client, b"\r\n \r\n").get_data(as_text=True)


# The template and what the app writes ------------------------------------------------------------------

def test_the_import_page_offers_a_template_excel_opens(client, create_user, login):
    login(create_user("organiser"))
    page = client.get("/data/participants/import").get_data(as_text=True)
    assert 'href="/data/participants/import/template.csv"' in page
    assert "Правительство" in page and "Ҳукумат" in page
    response = client.get("/data/participants/import/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    dimensions = ",".join(key for key, _names, _categories in DEFAULT_DIMENSIONS)
    assert raw == f"\ufeffname,organisation,email,phone,languages,{dimensions}\r\n".encode()
    # The template itself is a file the import takes.
    assert "The file is empty." not in _upload(client, raw).get_data(as_text=True)


def test_facilitators_may_not_download_the_template(client, create_user, login):
    login(create_user("facilitator"))
    assert client.get("/data/participants/import/template.csv").status_code == 403


def test_the_registrations_export_opens_in_excel(client, create_user, login, create_session, create_participant,
                                                 create_registration):
    forum_session = create_session()
    create_registration(forum_session, create_participant("Раҳимова Нигора"), "registered")
    login(create_user("organiser"))
    raw = client.post(f"/data/sessions/{forum_session.id}/export").get_data()
    assert raw.startswith(excel_csv.BOM.encode()) and raw.count(b"\r\n") == 2 and b"\n" not in raw.replace(b"\r\n", b"")


def test_the_helper_neutralises_quotes_and_ends_lines_for_excel():
    assert excel_csv.line(["=1+1", "a,b", "Ҳисор"]) == "'=1+1,\"a,b\",Ҳисор\r\n"
    assert "".join(excel_csv.lines(["h"], [["x"], ["y"]])) == "\ufeffh\r\nx\r\ny\r\n"


# Duplicates (issue 14, item 9) -----------------------------------------------------------------------

DUPLICATES = ("name,email,phone\n"
              "Rahimova Nigora,,\n"            # line 2: in the register under her Cyrillic name
              "Karimov Jamshed,j@example.org,\n"
              "Someone New,,\n"
              "Каримов Ҷамшед,,\n")            # line 5: the same person as line 3


def test_the_preview_warns_of_people_in_the_register_and_twice_in_the_file(client, create_user, login,
                                                                          create_participant):
    known = create_participant("Раҳимова Нигора")
    login(create_user("organiser"))
    page = _upload(client, DUPLICATES.encode()).get_data(as_text=True)
    assert "4 people are ready to be imported." in page
    assert "2 lines may be people already in the register or earlier in the file." in page
    assert f'href="/staff/participants/{known.id}"' in page
    assert "the same person as line 3 (same name)" in page
    assert 'value="skip"' in page and 'value="add"' in page
    assert db.session.scalars(sa.select(AuditEntry.detail).where(
        AuditEntry.action == "participant.duplicate_warning")).all() == ["matches=1"]


def test_confirming_skips_their_lines_unless_asked(client, create_user, login, create_participant):
    create_participant("Раҳимова Нигора")
    login(create_user("organiser"))
    _upload(client, DUPLICATES.encode())
    page = client.post("/data/participants/import/confirm", follow_redirects=True).get_data(as_text=True)
    assert "2 people were added to the register." in page and "2 lines were skipped" in page
    assert set(_people()) == {"Раҳимова Нигора", "Karimov Jamshed", "Someone New"}
    detail = db.session.scalar(sa.select(AuditEntry.detail).where(AuditEntry.action == "participant.import"))
    assert detail == "rows=2 skipped=2"


def test_confirming_with_add_imports_every_line(client, create_user, login, create_participant):
    create_participant("Раҳимова Нигора")
    login(create_user("organiser"))
    _upload(client, DUPLICATES.encode())
    client.post("/data/participants/import/confirm", data={"duplicates": "add"})
    assert len(_people()) == 5
