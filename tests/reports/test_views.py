"""The report for headquarters as staff use it: the page, the CSV file, the narrative, the audit, no names."""

import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from models import AuditEntry, ForumSession, OrganiserForum, ReportNarrative, db
from tests.conftest import DUSHANBE, sign_in_without_password

PERIOD = {"start": "2026-10-01", "end": "2026-11-30"}


@pytest.fixture
def staff(app, client, create_user):
    return sign_in_without_password(client, create_user("organiser"))


def test_the_report_counts_held_sessions_of_the_chosen_forums_and_names_nobody(staff, held):
    response = staff.get("/staff/reports", query_string={**PERIOD, "forums": held.id})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Sessions held:</strong> 2" in page
    assert "Person" not in page
    rows = [" ".join(row.split()) for row in re.findall(r"<tr><td[^>]*>.*?</tr>", page, flags=re.S)]
    assert any("Water" in row and "<td>6</td>" in row and "within the policy" in row for row in rows), rows
    assert any("Land" in row and "<td>5</td>" in row for row in rows)
    assert not any("Cancelled" in row or "Elsewhere" in row for row in rows)
    assert "2026-10" in page and "2026-11" in page
    assert "United Tajik Opposition" in page  # among the categories never present
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "report.view")).one()
    assert entry.detail == f"2026-10-01..2026-11-30|{held.id}"


def test_the_csv_has_the_same_numbers_and_is_audited(staff, held):
    response = staff.get("/staff/reports/export.csv", query_string={**PERIOD, "forums": held.id})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith("\ufeff")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = [row.split(",") for row in body.strip("\ufeff").split("\r\n") if row]
    assert ["Sessions held", "", "", "", "Sessions", "2"] in rows
    assert ["Attendance", "Group", "Civil society", "", "Attendances", "6"] in rows
    assert ["Attendance", "Gender", "Men", "", "Attendances", "5"] in rows
    assert ["Never present", "Group", "United Tajik Opposition", "", "", ""] in rows
    assert "Person" not in body
    assert db.session.scalar(sa.select(AuditEntry.detail).where(AuditEntry.action == "report.export")) \
        == f"2026-10-01..2026-11-30|{held.id}"


def test_every_forum_when_none_is_ticked(staff, held):
    page = staff.get("/staff/reports", query_string=PERIOD).get_data(as_text=True)
    assert "Sessions held:</strong> 3" in page


def test_staff_write_a_narrative_that_stays_with_the_report(staff, held):
    response = staff.post("/staff/reports/narrative", query_string={**PERIOD, "forums": held.id},
                          data={"text": "Academia came for the first time in November."})
    assert response.status_code == 302
    narrative = db.session.scalars(sa.select(ReportNarrative)).one()
    assert narrative.scope == f"2026-10-01..2026-11-30|{held.id}"
    page = staff.get("/staff/reports", query_string={**PERIOD, "forums": held.id}).get_data(as_text=True)
    assert "Academia came for the first time in November." in page
    other = staff.get("/staff/reports", query_string=PERIOD).get_data(as_text=True)
    assert "Academia came for the first time" not in other
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "report.narrative")) == 1


def test_a_period_ending_before_it_starts_is_refused(staff):
    response = staff.get("/staff/reports", query_string={"start": "2026-11-30", "end": "2026-11-01"})
    assert response.status_code == 422 and "must not be before" in response.get_data(as_text=True)
    assert staff.get("/staff/reports", query_string={"start": "garbage", "end": "2026-11-01"}).status_code == 422


def test_the_report_costs_the_same_queries_with_more_sessions(staff, held, count_queries, create_session,
                                                              create_participant, create_registration):
    def cost() -> int:
        with count_queries() as counted:
            assert staff.get("/staff/reports", query_string={**PERIOD, "forums": held.id}).status_code == 200
        return counted()

    before = cost()
    for day in range(1, 8):
        forum_session = create_session(forum=held, title=f"Extra {day}",
                                       starts_at=datetime(2026, 11, day, 10, tzinfo=DUSHANBE))
        create_registration(forum_session, create_participant(f"Extra Person{day}", group="media"), "attended")
    assert cost() == before


def test_an_organiser_limited_to_some_forums_reports_on_those_only(app, held, create_user):
    limited = create_user("organiser")
    db.session.add(OrganiserForum(user_id=limited.id, forum_id=held.id))
    db.session.commit()
    client = sign_in_without_password(app.test_client(), limited)
    page = client.get("/staff/reports", query_string=PERIOD).get_data(as_text=True)
    # The other forum's session is not theirs: two sessions, not three.
    assert "Sessions held:</strong> 2" in page
    other_forum = db.session.scalar(sa.select(ForumSession.forum_id).where(ForumSession.title == "Elsewhere"))
    refused = client.get("/staff/reports", query_string={**PERIOD, "forums": other_forum})
    assert refused.status_code == 422
    assert db.session.scalar(sa.select(AuditEntry.detail).where(AuditEntry.action == "report.view")) \
        == f"2026-10-01..2026-11-30|{held.id}"


def test_staff_find_the_report_in_the_navigation(staff):
    assert 'href="/staff/reports"' in staff.get("/staff/").get_data(as_text=True)
