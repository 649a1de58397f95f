"""Staff pages for forums, sessions and agendas: forms, rules, conflicts and who may open them."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from forums.registrations.operations import register
from models import (
    AgendaItem,
    AuditEntry,
    Forum,
    ForumSession,
    RegistrationStatus,
    SessionFacilitator,
    SessionStatus,
    db,
)
from tests.conftest import TEST_YEAR, category, dushanbe_time, sign_in_without_password


@pytest.fixture
def staff(client, create_user):
    """A signed-in organiser's client."""
    return sign_in_without_password(client, create_user("organiser"))


def session_data(forum_id, **overrides):
    """A valid session form, 3 December of TEST_YEAR 10:00-13:00 in Dushanbe."""
    data = {"forum_id": forum_id, "title": "Water and land", "starts_on": f"{TEST_YEAR}-12-03", "starts_time": "10:00",
            "ends_time": "13:00", "venue": "Hotel Tajikistan", "region": "kulyab", "capacity": "30",
            "visibility": "public"}
    data.update(overrides)
    return data


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


STAFF_PAGES = ["/staff/forums", "/staff/forums/new", "/staff/sessions/new", "/staff/participants",
               "/staff/participants/new", "/staff/dimensions"]


@pytest.mark.parametrize("path", STAFF_PAGES + ["/staff/sessions"])
def test_anonymous_readers_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_facilitators_may_not_open_staff_pages(client, create_user, path):
    sign_in_without_password(client, create_user("facilitator"))
    assert client.get(path).status_code == 403


def test_facilitators_may_not_manage_a_session_they_run(client, create_user, create_session):
    facilitator = create_user("facilitator")
    forum_session = create_session()
    db.session.add(SessionFacilitator(session_id=forum_session.id, user_id=facilitator.id))
    db.session.commit()
    sign_in_without_password(client, facilitator)
    for path in (f"/staff/sessions/{forum_session.id}/edit", f"/staff/sessions/{forum_session.id}/agenda",
                 f"/staff/sessions/{forum_session.id}/registrations"):
        assert client.get(path).status_code == 403
    assert client.post(f"/staff/sessions/{forum_session.id}/cancel").status_code == 403
    assert db.session.get(ForumSession, forum_session.id).status is SessionStatus.published


def test_facilitators_see_only_their_own_sessions(client, create_user, create_session, create_forum):
    facilitator = create_user("facilitator")
    forum = create_forum()
    mine = create_session(forum=forum, title="Mine in Kulyab")
    create_session(forum=forum, title="Someone else's")
    db.session.add(SessionFacilitator(session_id=mine.id, user_id=facilitator.id))
    db.session.commit()
    page = sign_in_without_password(client, facilitator).get("/staff/sessions").get_data(as_text=True)
    assert "Mine in Kulyab" in page and "Someone else" not in page
    assert f"/sessions/{mine.id}/checkin" in page
    assert f"/staff/sessions/{mine.id}/edit" not in page


# Forums -------------------------------------------------------------------------------------------

def test_create_and_list_a_forum(staff):
    response = staff.post("/staff/forums/new", data={"title": "Discussion Club", "kind": "discussion_club"})
    assert response.status_code == 302
    forum = db.session.scalars(sa.select(Forum)).one()
    assert forum.kind == "discussion_club"
    assert "Discussion Club" in staff.get("/staff/forums").get_data(as_text=True)


def test_forum_without_title_or_with_unknown_kind_is_refused(staff):
    response = staff.post("/staff/forums/new", data={"title": " ", "kind": "party"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This field is required." in page and "Not a valid choice" in page
    assert count(Forum) == 0


def test_stale_forum_edit_is_refused_and_overwrites_nothing(staff, create_forum):
    forum = create_forum(title="Round table on water")
    form = {"title": "Mine", "kind": "round_table", "version": str(forum.version)}
    staff.post(f"/staff/forums/{forum.id}/edit", data={**form, "title": "Theirs"})
    response = staff.post(f"/staff/forums/{forum.id}/edit", data=form)
    assert response.status_code == 422
    assert "Someone else changed this" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Forum, forum.id).title == "Theirs"


# Sessions -----------------------------------------------------------------------------------------

def test_session_times_are_read_in_dushanbe_and_translations_kept(staff, create_forum):
    forum = create_forum()
    response = staff.post("/staff/sessions/new", data=session_data(
        forum.id, title_ru="Вода и земля", description_tg="Мизи мудаввар", ends_on=f"{TEST_YEAR}-12-04"))
    assert response.status_code == 302
    forum_session = db.session.scalars(sa.select(ForumSession)).one()
    assert forum_session.starts_at == datetime(TEST_YEAR, 12, 3, 5, 0, tzinfo=UTC)
    assert forum_session.ends_at == datetime(TEST_YEAR, 12, 4, 8, 0, tzinfo=UTC)
    assert forum_session.region.key == "kulyab"
    assert forum_session.status is SessionStatus.draft
    assert forum_session.translations == {"ru": {"title": "Вода и земля"}, "tg": {"description": "Мизи мудаввар"}}
    edit = staff.get(f"/staff/sessions/{forum_session.id}/edit").get_data(as_text=True)
    assert 'value="10:00"' in edit and "Вода и земля" in edit


@pytest.mark.parametrize(("overrides", "message"), [
    ({"ends_time": "09:00"}, "The end must be after the start."),
    ({"capacity": "0"}, "Number must be between 1 and 100000."),
    ({"region": "atlantis"}, "Not a valid choice"),
    ({"starts_on": "3 December"}, "Not a valid date value."),
])
def test_invalid_session_is_refused_and_nothing_saved(staff, create_forum, overrides, message):
    forum = create_forum()
    response = staff.post("/staff/sessions/new", data=session_data(forum.id, **overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(ForumSession) == 0


def test_stale_session_edit_is_refused(staff, create_session):
    forum_session = create_session(capacity=20)
    version = str(forum_session.version)
    data = session_data(forum_session.forum_id, version=version)
    assert staff.post(f"/staff/sessions/{forum_session.id}/edit", data={**data, "capacity": "25"}).status_code == 302
    response = staff.post(f"/staff/sessions/{forum_session.id}/edit", data={**data, "capacity": "40"})
    assert response.status_code == 422
    assert "Someone else changed this" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ForumSession, forum_session.id).capacity == 25


def test_session_list_filters_by_forum_region_and_dates(staff, create_forum, create_session):
    club, table = create_forum("Discussion Club", "discussion_club"), create_forum("Round table")
    create_session(forum=club, title="Club in Dushanbe", starts_at=dushanbe_time(3))
    create_session(forum=club, title="Club in Kulyab", region="kulyab", starts_at=dushanbe_time(10))
    create_session(forum=table, title="Table in Kulyab", region="kulyab", starts_at=dushanbe_time(17))

    def titles(**args):
        page = staff.get("/staff/sessions", query_string=args).get_data(as_text=True)
        return {t for t in ("Club in Dushanbe", "Club in Kulyab", "Table in Kulyab") if t in page}

    assert titles(forum=club.id) == {"Club in Dushanbe", "Club in Kulyab"}
    assert titles(region="kulyab") == {"Club in Kulyab", "Table in Kulyab"}
    assert titles(date_from=f"{TEST_YEAR}-12-04", date_to=f"{TEST_YEAR}-12-10") == {"Club in Kulyab"}
    assert titles(forum=club.id, region="kulyab") == {"Club in Kulyab"}


def test_session_list_is_paged(staff, create_forum):
    forum = create_forum()
    for day in range(52):
        db.session.add(ForumSession(forum=forum, title=f"Session {day:02d}", capacity=5,
                                    starts_at=dushanbe_time(1) + timedelta(days=day),
                                    ends_at=dushanbe_time(1) + timedelta(days=day, hours=1),
                                    region=category("region", "hissar")))
    db.session.commit()
    first = staff.get("/staff/sessions?region=hissar").get_data(as_text=True)
    assert "Session 49" in first and "Session 50" not in first and "page=2" in first
    second = staff.get("/staff/sessions?region=hissar&page=2").get_data(as_text=True)
    assert "Session 51" in second and "Session 00" not in second


def test_publish_and_cancel_are_post_buttons(staff, create_session):
    forum_session = create_session(status="draft")
    assert staff.get(f"/staff/sessions/{forum_session.id}/publish").status_code == 405
    assert staff.post(f"/staff/sessions/{forum_session.id}/publish").status_code == 302
    db.session.expire_all()
    assert db.session.get(ForumSession, forum_session.id).status is SessionStatus.published
    assert staff.post(f"/staff/sessions/{forum_session.id}/cancel", data={"confirmed": "1"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(ForumSession, forum_session.id).status is SessionStatus.cancelled
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"session.update", "session.cancel"} <= actions


def test_buttons_need_the_csrf_token_their_page_carries(app, staff, create_session):
    forum_session = create_session(status="draft")
    app.config["WTF_CSRF_ENABLED"] = True
    url = f"/staff/sessions/{forum_session.id}/publish"
    assert staff.post(url).status_code == 400
    db.session.expire_all()
    assert db.session.get(ForumSession, forum_session.id).status is SessionStatus.draft
    page = staff.get("/staff/sessions").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert staff.post(url, data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(ForumSession, forum_session.id).status is SessionStatus.published


# Agenda -------------------------------------------------------------------------------------------

def agenda_data(start, end, **overrides):
    data = {"title": "Opening remarks", "kind": "opening", "on": f"{TEST_YEAR}-12-03", "starts_time": start,
            "ends_time": end}
    data.update(overrides)
    return data


def agenda_titles(forum_session):
    db.session.expire_all()
    return [item.title for item in db.session.get(ForumSession, forum_session.id).agenda]


def test_agenda_items_are_added_with_speakers_and_shown_in_dushanbe_time(staff, create_session, create_participant):
    forum_session = create_session()
    speaker = create_participant("Sharipov Daler", organisation="Academy of Sciences")
    register(forum_session, speaker, RegistrationStatus.invited)
    db.session.commit()
    response = staff.post(f"/staff/sessions/{forum_session.id}/agenda",
                          data=agenda_data("10:00", "10:30", speaker_ids=[str(speaker.id)]))
    assert response.status_code == 302
    item = db.session.scalars(sa.select(AgendaItem)).one()
    assert item.starts_at == datetime(TEST_YEAR, 12, 3, 5, 0, tzinfo=UTC)
    assert [s.participant_id for s in item.speakers] == [speaker.id]
    page = staff.get(f"/staff/sessions/{forum_session.id}/agenda").get_data(as_text=True)
    assert "10:00" in page and "Sharipov Daler" in page


def test_speakers_are_chosen_among_the_sessions_people_not_the_whole_register(staff, create_session,
                                                                               create_participant):
    forum_session = create_session()
    invited = create_participant("Sharipov Daler")
    outsider = create_participant("Qodirova Madina")
    register(forum_session, invited, RegistrationStatus.invited)
    db.session.commit()
    page = staff.get(f"/staff/sessions/{forum_session.id}/agenda").get_data(as_text=True)
    assert "Sharipov Daler" in page and "Qodirova Madina" not in page
    refused = staff.post(f"/staff/sessions/{forum_session.id}/agenda",
                         data=agenda_data("10:00", "10:30", speaker_ids=[str(outsider.id)]))
    assert refused.status_code == 422 and count(AgendaItem) == 0


def test_agenda_item_outside_the_session_is_refused(staff, create_session):
    forum_session = create_session()  # 10:00-13:00
    response = staff.post(f"/staff/sessions/{forum_session.id}/agenda", data=agenda_data("12:30", "13:30"))
    assert response.status_code == 422
    assert "The item must lie within the session" in response.get_data(as_text=True)
    assert count(AgendaItem) == 0


def test_overlapping_items_are_flagged_not_refused(staff, create_session):
    forum_session = create_session()
    staff.post(f"/staff/sessions/{forum_session.id}/agenda", data=agenda_data("10:00", "11:00"))
    staff.post(f"/staff/sessions/{forum_session.id}/agenda", data=agenda_data("10:30", "11:30", title="Panel"))
    assert count(AgendaItem) == 2
    page = staff.get(f"/staff/sessions/{forum_session.id}/agenda").get_data(as_text=True)
    assert page.count("Overlaps another item") == 2


def test_agenda_items_are_reordered_edited_and_deleted(staff, create_session):
    forum_session = create_session()
    for title, start, end in (("Opening", "10:00", "10:15"), ("Panel", "10:15", "11:00"),
                              ("Closing", "12:30", "13:00")):
        staff.post(f"/staff/sessions/{forum_session.id}/agenda", data=agenda_data(start, end, title=title))
    staff.post(f"/staff/sessions/{forum_session.id}/agenda", data=agenda_data("10:15", "10:30", title="Film"))
    closing, panel, film = (db.session.scalar(sa.select(AgendaItem.id).where(AgendaItem.title == t))
                            for t in ("Closing", "Panel", "Film"))
    assert agenda_titles(forum_session) == ["Opening", "Panel", "Film", "Closing"]
    # Only items that start together change places by hand; the agenda stays in time order.
    refused = staff.post(f"/staff/agenda/{closing}/move/up", follow_redirects=True).get_data(as_text=True)
    assert "change its start time" in refused
    assert agenda_titles(forum_session) == ["Opening", "Panel", "Film", "Closing"]
    staff.post(f"/staff/agenda/{film}/move/up")
    assert agenda_titles(forum_session) == ["Opening", "Film", "Panel", "Closing"]
    staff.post(f"/staff/agenda/{film}/move/down")
    assert agenda_titles(forum_session) == ["Opening", "Panel", "Film", "Closing"]
    staff.post(f"/staff/agenda/{film}/delete", data={"confirmed": "1"})
    edit = staff.get(f"/staff/agenda/{panel}/edit").get_data(as_text=True)
    assert 'value="10:15"' in edit
    refused = staff.post(f"/staff/agenda/{panel}/edit", data=agenda_data("09:00", "10:00", title="Early panel"))
    assert refused.status_code == 422
    assert agenda_titles(forum_session) == ["Opening", "Panel", "Closing"]
    staff.post(f"/staff/agenda/{panel}/edit", data=agenda_data("11:00", "12:00", title="Panel of experts",
                                                              kind="discussion"))
    assert agenda_titles(forum_session) == ["Opening", "Panel of experts", "Closing"]
    staff.post(f"/staff/agenda/{panel}/delete", data={"confirmed": "1"})
    assert agenda_titles(forum_session) == ["Opening", "Closing"]


# The session page -------------------------------------------------------------------------------

def test_session_page_links_staff_to_management_pages_only(client, create_user, create_session):
    forum_session = create_session()
    public = client.get(f"/sessions/{forum_session.id}").get_data(as_text=True)
    assert "/staff/" not in public and "/checkin" not in public
    organiser = sign_in_without_password(client, create_user("organiser"))
    page = organiser.get(f"/sessions/{forum_session.id}").get_data(as_text=True)
    for path in ("/edit", "/agenda", "/registrations", "/balance", "/checkin"):
        assert f"/sessions/{forum_session.id}{path}" in page


def test_registration_counts_never_reach_the_public_page(client, create_session, create_participant):
    forum_session = create_session()
    register(forum_session, create_participant("Раҳимова Нигора"), RegistrationStatus.registered)
    db.session.commit()
    assert "Раҳимова" not in client.get(f"/sessions/{forum_session.id}").get_data(as_text=True)
