"""Counts for a report to headquarters: per category, stage and session, small cells hidden (SECURITY.md T15, T23)."""

import csv
import io

import sqlalchemy as sa

from forums.registrations import operations
from models import AuditEntry, RegistrationStatus, SessionFacilitator, db
from tests.data.test_exports import dummy_meeting  # noqa: F401  (the shared six-person meeting)

HEADER = ["session id", "session", "date", "stage", "dimension", "category", "count"]


def _counts(client, session_id, scope="session"):
    response = client.post(f"/data/sessions/{session_id}/export/counts", data={"scope": scope})
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv" and response.mimetype_params.get("charset") == "utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    # A byte order mark first, so that Excel reads the file as UTF-8.
    assert response.get_data().startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == HEADER
    return [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]


def _cell(rows, stage, dimension, category):
    return next(row["count"] for row in rows
                if (row["stage"], row["dimension"], row["category"]) == (stage, dimension, category))


def test_the_export_page_offers_the_counts(client, create_user, login, dummy_meeting):
    login(create_user("organiser"))
    page = client.get(f"/data/sessions/{dummy_meeting.id}/export").get_data(as_text=True)
    assert f'action="/data/sessions/{dummy_meeting.id}/export/counts"' in page
    assert 'name="scope"' in page


def test_counts_hide_every_cell_that_could_single_someone_out(client, create_user, login, dummy_meeting):
    user = create_user("organiser")
    login(user)
    rows = _counts(client, dummy_meeting.id)
    assert {row["session id"] for row in rows} == {str(dummy_meeting.id)}
    assert {row["stage"] for row in rows} == {"invited", "registered", "confirmed", "attended"}
    assert all(row["count"] == "suppressed" or row["count"] == "0" or int(row["count"]) >= 5 for row in rows)
    # Six people, all from Dushanbe: a count of six is shown.
    assert _cell(rows, "registered", "region", "dushanbe") == "6"
    # One journalist: hidden, and so is the count of the five others, which would give it away.
    assert _cell(rows, "registered", "group", "media") == "suppressed"
    assert _cell(rows, "registered", "group", "civil_society") == "suppressed"
    # Four women and two men: both hidden; the sum of the two is the six everyone can see.
    assert _cell(rows, "registered", "gender", "woman") == "suppressed"
    assert _cell(rows, "registered", "gender", "man") == "suppressed"
    text = repr(rows)
    assert "Person" not in text and "Karimov" not in text and "Radio Ozodi" not in text
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export.aggregate")).one()
    assert (entry.object_type, entry.object_id, entry.actor) == ("session", dummy_meeting.id, user.email)
    assert entry.detail.startswith("sessions=1 ")


def test_counts_of_a_whole_forum_come_session_by_session(client, create_user, login, create_session,
                                                        create_participant, dummy_meeting):
    second = create_session(dummy_meeting.forum, title="=Second day", capacity=50)
    for n in range(7):
        person = create_participant(f"Second {n}", group="government")
        operations.register(second, person, RegistrationStatus.registered)
    db.session.commit()
    login(create_user("admin"))
    rows = _counts(client, dummy_meeting.id, scope="forum")
    assert {row["session id"] for row in rows} == {str(dummy_meeting.id), str(second.id)}
    # A title a spreadsheet would run as a formula is written as text.
    assert {row["session"] for row in rows if row["session id"] == str(second.id)} == {"'=Second day"}
    assert next(row["count"] for row in rows if row["session id"] == str(second.id) and row["stage"] == "registered"
                and row["dimension"] == "group" and row["category"] == "government") == "7"
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export.aggregate")).one()
    assert (entry.object_type, entry.object_id) == ("forum", dummy_meeting.forum_id)
    assert entry.detail.startswith("sessions=2 ")


def test_k_comes_from_the_config(app, client, create_user, login, dummy_meeting):
    app.config["SMALL_COUNT_THRESHOLD"] = 4
    login(create_user("organiser"))
    rows = _counts(client, dummy_meeting.id)
    # Four women is no longer too few, but then the two men could be worked out from the total.
    assert _cell(rows, "registered", "gender", "woman") == "suppressed"
    assert _cell(rows, "registered", "group", "civil_society") == "suppressed"
    app.config["SMALL_COUNT_THRESHOLD"] = 2
    rows = _counts(client, dummy_meeting.id)
    assert _cell(rows, "registered", "gender", "woman") == "4" and _cell(rows, "registered", "gender", "man") == "2"


def test_facilitators_and_anonymous_may_not_export_counts(client, create_user, login, dummy_meeting):
    url = f"/data/sessions/{dummy_meeting.id}/export/counts"
    assert client.post(url, data={"scope": "session"}).status_code == 302
    facilitator = create_user("facilitator")
    db.session.add(SessionFacilitator(session_id=dummy_meeting.id, user_id=facilitator.id))
    db.session.commit()
    login(facilitator)
    assert client.post(url, data={"scope": "session"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "export.aggregate")) == 0


def test_an_unknown_scope_or_session_is_refused(client, create_user, login, dummy_meeting):
    login(create_user("organiser"))
    assert client.post("/data/sessions/999999/export/counts", data={"scope": "session"}).status_code == 404
    page = client.post(f"/data/sessions/{dummy_meeting.id}/export/counts", data={"scope": "everything"})
    assert page.status_code == 200 and page.mimetype == "text/html"
