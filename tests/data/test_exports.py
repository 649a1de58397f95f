"""CSV export of a session's registrations (SECURITY.md T15, T16)."""

import csv
import inspect
import io
import random
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from forums.data import exports
from forums.registrations import operations
from models import AuditEntry, ForumSession, Participant, RegistrationStatus, db

CODE = re.compile(r"^P-[A-Z2-7]{12}$")


@pytest.fixture
def dummy_meeting(create_session: Callable[..., ForumSession],
                  create_participant: Callable[..., Participant]) -> ForumSession:
    """A session with six registrations: five civil society and one journalist; four women, two men."""
    forum_session = create_session(capacity=50)
    people = [create_participant(f"Person {n}", organisation=f"Org {n}", group="civil_society",
                                 gender="woman" if n < 4 else "man") for n in range(5)]
    people.append(create_participant("Karimov Jamshed", organisation="Radio Ozodi", group="media", gender="man"))
    for person in people:
        operations.register(forum_session, person, RegistrationStatus.registered)
    db.session.commit()
    return forum_session


def _export(client: Any, session_id: int, **form: Any) -> list[dict[str, str]]:
    response = client.post(f"/data/sessions/{session_id}/export", data=form)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_export_is_pseudonymous_by_default_and_audited(client, create_user, login, dummy_meeting):
    user = create_user("organiser", can_export_names=True)
    login(user)
    rows = _export(client, dummy_meeting.id)
    text = repr(rows)
    assert len(rows) == 6
    assert "Person" not in text and "Karimov" not in text and "Org " not in text
    assert set(rows[0]) == {"code", "status", "group", "region", "gender", "sector"}
    codes = [row["code"] for row in rows]
    assert all(CODE.match(code) for code in codes) and len(set(codes)) == 6
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export.registrations")).one()
    assert (entry.object_type, entry.object_id, entry.actor) == ("session", dummy_meeting.id, user.email)
    assert entry.detail == "rows=6 names=no"


def test_codes_cannot_be_joined_across_two_exports(client, create_user, login, dummy_meeting):
    login(create_user("organiser"))
    first = {row["code"] for row in _export(client, dummy_meeting.id)}
    second = {row["code"] for row in _export(client, dummy_meeting.id)}
    assert not first & second


def test_codes_do_not_follow_the_order_of_ids():
    salt = b"s" * 32
    codes = [exports.pseudonym(participant_id, salt) for participant_id in range(1, 30)]
    assert codes != sorted(codes)
    assert len(set(codes)) == len(codes)


def test_categories_are_suppressed_until_no_row_stands_out(client, create_user, login, dummy_meeting):
    login(create_user("organiser"))
    rows = _export(client, dummy_meeting.id)
    # Five civil society and one journalist: showing "civil_society" five times would leave a sixth
    # row that can only be the journalist, so no group is shown; four women and two men, likewise.
    assert {row["group"] for row in rows} == {"other/suppressed"}
    assert {row["gender"] for row in rows} == {"other/suppressed"}
    assert {row["region"] for row in rows} == {"dushanbe"} and {row["status"] for row in rows} == {"registered"}


def _quasi_identifiers(row: dict[str, str]) -> tuple[str, ...]:
    return tuple(value for key, value in row.items() if key not in {"code", "name", "organisation"})


def test_a_unique_combination_of_common_values_is_suppressed(client, create_user, login, create_session,
                                                            create_participant):
    # Each group, region and gender here is held by five people or more, which the old column-by-column
    # rule showed as they are; but only one person is a Kulyab man of the government.
    forum_session = create_session(capacity=50)
    crowds = [("government", "dushanbe", "man"), ("government", "kulyab", "woman"), ("media", "kulyab", "man")]
    for n, (group, region, gender) in enumerate(crowd for crowd in crowds for _ in range(5)):
        person = create_participant(f"Person {n}", group=group, region=region, gender=gender)
        operations.register(forum_session, person, RegistrationStatus.registered)
    lone = create_participant("Lone Official", group="government", region="kulyab", gender="man")
    operations.register(forum_session, lone, RegistrationStatus.registered)
    db.session.commit()
    login(create_user("organiser"))
    rows = _export(client, forum_session.id)
    combinations = Counter(_quasi_identifiers(row) for row in rows)
    assert ("registered", "government", "kulyab", "man") not in combinations
    assert min(combinations.values()) >= 5, combinations


@pytest.mark.parametrize("k", [5, 3])
def test_every_combination_in_the_file_is_shared_by_k_rows(app, client, create_user, login, create_session,
                                                          create_participant, k):
    """Property-style: a varied meeting, drawn at random with a fixed seed, exported with k from the config."""
    app.config["SMALL_COUNT_THRESHOLD"] = k
    draw = random.Random(14)
    forum_session = create_session(capacity=200)
    groups, regions = ["government", "uto", "media", "minorities", "business"], ["dushanbe", "kulyab", "karategin"]
    for n in range(60):
        person = create_participant(f"Person {n}", group=draw.choice(groups), region=draw.choice(regions),
                                    gender=draw.choice(["woman", "man"]))
        operations.register(forum_session, person, draw.choice([RegistrationStatus.invited,
                                                                 RegistrationStatus.registered]))
    db.session.commit()
    login(create_user("admin", can_export_names=True))
    for form in ({}, {"include_names": "y"}):
        rows = _export(client, forum_session.id, **form)
        assert len(rows) == 60
        combinations = Counter(_quasi_identifiers(row) for row in rows)
        assert min(combinations.values()) >= k, combinations
        # Not everything is thrown away.
        assert any(value != "other/suppressed" for row in rows for value in _quasi_identifiers(row))


def test_names_need_the_permission_and_the_tick(client, create_user, login, dummy_meeting):
    login(create_user("organiser", can_export_names=True))
    without_tick = _export(client, dummy_meeting.id)
    assert "name" not in without_tick[0]
    with_names = _export(client, dummy_meeting.id, include_names="y")
    assert sorted(row["name"] for row in with_names)[0] == "Karimov Jamshed"
    assert {"Radio Ozodi", "Org 0"} <= {row["organisation"] for row in with_names}
    details = db.session.scalars(sa.select(AuditEntry.detail).where(AuditEntry.action == "export.registrations")
                                 .order_by(AuditEntry.id)).all()
    assert details == ["rows=6 names=no", "rows=6 names=yes"]


def test_names_are_refused_without_the_permission(client, create_user, login, dummy_meeting):
    login(create_user("organiser"))
    response = client.post(f"/data/sessions/{dummy_meeting.id}/export", data={"include_names": "y"})
    assert response.status_code == 403
    assert "Karimov" not in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "export.registrations")) == 0


def test_the_export_form_offers_names_only_to_those_allowed(client, create_user, login, dummy_meeting):
    login(create_user("organiser"))
    page = client.get(f"/data/sessions/{dummy_meeting.id}/export").get_data(as_text=True)
    assert "include_names" not in page


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\")", "+7 900", "-1+1", "@SUM(A1)", "\tx", "\rx", "\x00x"])
def test_formula_cells_are_neutralised(value):
    assert exports.neutralise_cell(value) == "'" + value
    assert exports.neutralise_cell("Dushanbe " + value) == "Dushanbe " + value


def test_formula_names_are_neutralised_in_the_file(client, create_user, login, create_session, create_participant):
    forum_session = create_session()
    dangerous = ["=cmd|' /C calc'!A0", "+992 44 600", "-2+3", "@SUM(1)"]
    for name in dangerous:
        operations.register(forum_session, create_participant(name, organisation=name), RegistrationStatus.invited)
    db.session.commit()
    login(create_user("admin", can_export_names=True))
    rows = _export(client, forum_session.id, include_names="y")
    assert sorted(row["name"] for row in rows) == sorted("'" + name for name in dangerous)
    assert sorted(row["organisation"] for row in rows) == sorted("'" + name for name in dangerous)


def test_the_file_is_produced_line_by_line_in_batches(app, dummy_meeting, monkeypatch, count_queries):
    monkeypatch.setattr(exports, "BATCH_SIZE", 4)
    with app.test_request_context():
        plan = exports.plan_export(dummy_meeting.id, with_names=False, k=5)
        with count_queries() as counted:
            lines = exports.export_lines(plan)
            assert inspect.isgenerator(lines)
            header, *rows = list(lines)
    assert header.startswith("\ufeffcode,status"), "a byte order mark first, for Excel"
    assert len(rows) == 6 and len({row.split(",")[0] for row in rows}) == 6
    # Per batch: the registrations, their people, the people's categories; then the empty batch.
    assert counted() == 2 * 3 + 1


def test_facilitators_and_anonymous_may_not_export(client, create_user, login, dummy_meeting):
    assert client.post(f"/data/sessions/{dummy_meeting.id}/export").status_code == 302
    login(create_user("facilitator"))
    assert client.get(f"/data/sessions/{dummy_meeting.id}/export").status_code == 403
    assert client.post(f"/data/sessions/{dummy_meeting.id}/export").status_code == 403


def test_unknown_session_is_404(client, create_user, login):
    login(create_user("organiser"))
    assert client.post("/data/sessions/999/export").status_code == 404
