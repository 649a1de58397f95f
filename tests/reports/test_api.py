"""``GET /api/v1/reports``: the same report as the page, as JSON, for staff only, audited, validated."""

import jsonschema_rs
import pytest
import sqlalchemy as sa

from forums.i18n import to_local
from forums.reports.rules import last_month
from models import AuditEntry, db, utcnow


@pytest.fixture
def staff_headers(create_user, token_for):
    return token_for(create_user("organiser"))


def test_the_report_as_json_matches_its_schema_and_names_nobody(client, held, staff_headers):
    response = client.get("/api/v1/reports", query_string={"from": "2026-10-01", "to": "2026-11-30",
                                                           "forum": held.id}, headers=staff_headers)
    assert response.status_code == 200
    body = response.get_json()
    spec = client.get("/api/v1/openapi.json").get_json()
    validator = jsonschema_rs.Draft202012Validator({"$ref": "#/components/schemas/Report",
                                                    "components": spec["components"]})
    validator.validate(body)
    assert body["sessions_held"] == 2 and body["forum_ids"] == [held.id]
    civil = next(line for line in body["categories"] if line["category"] == "civil_society")
    assert civil["attendances"] == 6
    assert {"dimension": "group", "category": "uto"} in body["never_present"]
    assert "Person" not in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(AuditEntry.detail).where(AuditEntry.action == "report.view")) \
        == f"2026-10-01..2026-11-30|{held.id}"


@pytest.mark.parametrize("query, field", [
    ({"from": "2026-11-30", "to": "2026-11-01"}, "to"),
    ({"from": "20261101", "to": "2026-11-30"}, "from"),
    ({"from": "2026-11-01"}, "to"),
    ({"from": "2026-11-01", "to": "2026-11-30", "forum": "999999"}, "forum"),
    ({"from": "2026-11-01", "to": "2026-11-30", "forum": "１"}, "forum"),
])
def test_bad_queries_are_refused_naming_the_field(client, staff_headers, query, field):
    response = client.get("/api/v1/reports", query_string=query, headers=staff_headers)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_facilitators_and_strangers_are_refused(client, create_user, token_for):
    query = {"from": "2026-11-01", "to": "2026-11-30"}
    assert client.get("/api/v1/reports", query_string=query).status_code == 401
    assert client.get("/api/v1/reports", query_string=query,
                      headers=token_for(create_user("facilitator"))).status_code == 403


def test_without_a_period_the_report_covers_last_month_as_the_page_does(client, staff_headers):
    first_day, last_day = last_month(to_local(utcnow()).date())
    response = client.get("/api/v1/reports", headers=staff_headers)
    assert response.status_code == 200
    assert (response.get_json()["from"], response.get_json()["to"]) == (first_day.isoformat(), last_day.isoformat())
