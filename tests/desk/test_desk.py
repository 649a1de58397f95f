"""The organiser's desk: the staff home, a session's staff page, acting on suggestions, changing many at once,
copying (issue 20, items 1, 2, 3 and 6)."""

from datetime import date, timedelta

import sqlalchemy as sa

from forums.balance import policies
from forums.balance.rules import Quota
from forums.desk.panels import HOME_PANELS, HomeLine, HomePanel, register_panel
from models import (
    AgendaItem,
    AgendaKind,
    AuditEntry,
    BalancePolicy,
    ForumSession,
    Registration,
    RegistrationStatus,
    Role,
    SessionFacilitator,
    SessionStatus,
    db,
    utcnow,
)
from tests.conftest import TEST_PASSWORD, dushanbe_time, sign_in_without_password


def _policy(forum_session: ForumSession) -> None:
    """At least one person from the UTO, at most one from the government."""
    assert policies.save_policy(forum_session, [Quota("group", "uto", min_count=1),
                                                Quota("group", "government", max_count=1)],
                                policies.load_catalogue()) == []
    db.session.commit()


def _out_of_balance(create_session, create_participant, create_registration) -> ForumSession:
    """A session inviting two people from the government and nobody from the UTO, starting in two days."""
    forum_session = create_session(title="Water and land", visibility="invitation",
                                   starts_at=utcnow() + timedelta(days=2))
    _policy(forum_session)
    for name in ("Gov One", "Gov Two"):
        create_registration(forum_session, create_participant(name, group="government"), "invited")
    return forum_session


def test_sign_in_lands_on_the_staff_home_and_keeps_next(client, create_user) -> None:
    """After sign-in staff land on their home; a ``next=`` page still wins."""
    user = create_user("organiser")
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.headers["Location"] == "/staff/"
    client.post("/logout")
    response = client.post("/login?next=/staff/participants", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.headers["Location"] == "/staff/participants"


def test_home_lists_what_needs_the_organiser(client, create_user, create_session, create_participant,
                                             create_registration) -> None:
    """This week's sessions, sessions outside their policy, drafts and unanswered invitations, each linked."""
    forum_session = _out_of_balance(create_session, create_participant, create_registration)
    draft = create_session(title="Draft on seeds", status="draft", starts_at=utcnow() + timedelta(days=30))
    sign_in_without_password(client, create_user("organiser"))
    page = client.get("/staff/").get_data(as_text=True)
    week, balance, drafts, invitations = (page.split(f'id="panel-{key}"')[1].split("</section>")[0]
                                          for key in ("week", "balance", "drafts", "invitations"))
    assert f"/staff/sessions/{forum_session.id}" in week and f"/sessions/{forum_session.id}/checkin" in week
    assert "Draft on seeds" not in week  # a month ahead
    assert f"/staff/sessions/{forum_session.id}#balance" in balance and "Invited" in balance
    assert f"/staff/sessions/{draft.id}" in drafts and "Water and land" not in drafts
    assert "2 invitations not answered" in invitations
    assert f"/staff/sessions/{forum_session.id}/registrations?status=invited" in invitations


def test_home_shows_a_facilitator_only_their_sessions_without_balance(client, create_user, create_session,
                                                                      create_participant,
                                                                      create_registration) -> None:
    """A facilitator sees their own sessions of the week, each leading to its check-in, and no staff panel."""
    mine = _out_of_balance(create_session, create_participant, create_registration)
    create_session(title="Someone else's evening", starts_at=utcnow() + timedelta(days=1))
    facilitator = create_user("facilitator")
    db.session.add(SessionFacilitator(session_id=mine.id, user_id=facilitator.id))
    db.session.commit()
    sign_in_without_password(client, facilitator)
    page = client.get("/staff/").get_data(as_text=True)
    assert f"/sessions/{mine.id}/checkin" in page and f"/staff/sessions/{mine.id}" not in page
    assert "Someone else&#39;s evening" not in page and "Someone else's evening" not in page
    assert 'id="panel-balance"' not in page and "invitations not answered" not in page


def test_a_feature_adds_a_panel_to_the_home(client, create_user) -> None:
    """The extension point: a registered panel shows for the roles it names, with its lines linked."""
    panel = HomePanel("test-mail", "Mail that bounced", frozenset({Role.admin}),
                      lambda user, now: [HomeLine("3 messages to Khorog", "/somewhere")], "Nothing bounced.")
    register_panel(panel)
    try:
        sign_in_without_password(client, create_user("admin"))
        page = client.get("/staff/").get_data(as_text=True)
        assert "Mail that bounced" in page and '<a href="/somewhere">3 messages to Khorog</a>' in page
        sign_in_without_password(client, create_user("organiser"))
        assert "Mail that bounced" not in client.get("/staff/").get_data(as_text=True)
    finally:
        HOME_PANELS.remove(panel)


def test_session_page_gathers_the_session(client, create_user, create_session, create_participant,
                                          create_registration) -> None:
    """Details, agenda, registrations by status, balance at every stage with linked suggestions, tools, history."""
    forum_session = _out_of_balance(create_session, create_participant, create_registration)
    db.session.add(AgendaItem(forum_session=forum_session, title="Opening words", kind=AgendaKind.opening,
                              starts_at=forum_session.starts_at, ends_at=forum_session.starts_at + timedelta(hours=1)))
    facilitator = create_user("facilitator", email="door@example.org")
    db.session.add(SessionFacilitator(session_id=forum_session.id, user_id=facilitator.id))
    db.session.commit()
    sign_in_without_password(client, create_user("organiser"))
    page = client.get(f"/staff/sessions/{forum_session.id}").get_data(as_text=True)
    assert "Water and land" in page and "Opening words" in page and "door@example.org" in page
    assert "outside the policy" in page and "nobody counted yet" in page  # invited; registered counts nobody
    assert f'href="/staff/sessions/{forum_session.id}/invite?cat_group=uto"' in page  # "Add 1 person from UTO"
    assert f'href="/staff/sessions/{forum_session.id}/registrations/bulk?cat_group=government"' in page
    for tool in ("/selection", "/checkin", "/export", "/agenda", "/copy", "/cancel"):
        assert f"/sessions/{forum_session.id}{tool}" in page
    assert client.get("/staff/sessions/999999").status_code == 404


def test_session_list_shows_balance_and_no_cancel_button(client, create_user, create_session, create_participant,
                                                         create_registration) -> None:
    """The list says where each session's balance stands; cancelling is done from the session page, whose old
    address still works and returns to it."""
    forum_session = _out_of_balance(create_session, create_participant, create_registration)
    sign_in_without_password(client, create_user("organiser"))
    page = client.get("/staff/sessions").get_data(as_text=True)
    assert "outside the policy" in page and f"/staff/sessions/{forum_session.id}#balance" in page
    assert f"/sessions/{forum_session.id}/cancel" not in page
    asked = client.post(f"/staff/sessions/{forum_session.id}/cancel", data={"back": "session"})
    assert asked.status_code == 200 and "Water and land" in asked.get_data(as_text=True)
    done = client.post(f"/staff/sessions/{forum_session.id}/cancel", data={"back": "session", "confirmed": "1"})
    assert done.headers["Location"] == f"/staff/sessions/{forum_session.id}"
    assert db.session.get(ForumSession, forum_session.id).status is SessionStatus.cancelled


def test_suggestion_leads_to_inviting_with_the_effect_shown_first(client, create_user, create_session,
                                                                  create_participant, create_registration) -> None:
    """The register filtered to the category, people already on the session left out; the preview shows the
    category moving into the policy before anything is saved, and confirming invites."""
    forum_session = _out_of_balance(create_session, create_participant, create_registration)
    uto = create_participant("Uto Person", group="uto")
    on_list = create_participant("Uto Already", group="uto")
    create_registration(forum_session, on_list, "cancelled")  # on no stage, but has a registration
    create_participant("Media Person", group="media")
    sign_in_without_password(client, create_user("organiser"))
    url = f"/staff/sessions/{forum_session.id}/invite?cat_group=uto"
    page = client.get(url).get_data(as_text=True)
    assert "Uto Person" in page and "Uto Already" not in page and "Media Person" not in page
    preview = client.post(url, data={"ids": [uto.id], "scope": "selected", "action": "invite"})
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Effect on the balance" in text
    assert "below the minimum" in text and "within the policy" in text  # UTO: 0 below, 1 within
    assert db.session.scalar(sa.select(Registration).where(Registration.participant_id == uto.id)) is None
    done = client.post(f"/staff/sessions/{forum_session.id}/registrations/add",
                       data={"participant_ids": [uto.id], "action": "invite", "confirmed": "1"})
    assert done.status_code == 302
    assert db.session.scalar(sa.select(Registration.status).where(Registration.participant_id == uto.id)) \
        is RegistrationStatus.invited


def test_invite_all_matching_a_filter_across_pages(client, create_user, create_session, create_participant) -> None:
    """"All that match" takes every match, not only the page shown."""
    forum_session = create_session(title="Big evening", capacity=200)
    people = [create_participant(f"Person {number:03}", group="media") for number in range(55)]
    sign_in_without_password(client, create_user("organiser"))
    url = f"/staff/sessions/{forum_session.id}/invite?cat_group=media"
    preview = client.post(url, data={"scope": "all", "action": "invite"}).get_data(as_text=True)
    assert all(f'value="{person.id}"' in preview for person in people)
    assert "You are about to add 55 people" in preview


def test_invite_without_a_choice_is_refused(client, create_user, create_session) -> None:
    """Nothing ticked and not "all": the page says so and nothing changes."""
    forum_session = create_session()
    sign_in_without_password(client, create_user("organiser"))
    response = client.post(f"/staff/sessions/{forum_session.id}/invite", data={"scope": "selected",
                                                                                "action": "invite"})
    assert response.status_code == 422 and "Tick at least one" in response.get_data(as_text=True)


def test_bulk_status_previews_then_changes_all_at_once(client, create_user, create_session, create_participant,
                                                       create_registration) -> None:
    """Removing the government's extra invitation: preview first, then every chosen registration changes,
    each audited."""
    forum_session = _out_of_balance(create_session, create_participant, create_registration)
    sign_in_without_password(client, create_user("organiser"))
    url = f"/staff/sessions/{forum_session.id}/registrations/bulk?cat_group=government"
    assert "Gov One" in client.get(url).get_data(as_text=True)
    preview = client.post(url, data={"scope": "all", "status": "cancelled"}).get_data(as_text=True)
    assert "You are about to change 2 registrations" in preview and "above the maximum" in preview
    assert db.session.scalar(sa.select(sa.func.count()).where(Registration.status == RegistrationStatus.cancelled)) == 0
    ids = list(db.session.scalars(sa.select(Registration.id).where(Registration.session_id == forum_session.id)))
    done = client.post(f"/staff/sessions/{forum_session.id}/registrations/bulk",
                       data={"ids": ids, "scope": "selected", "status": "cancelled", "confirmed": "1"})
    assert done.status_code == 302
    assert set(db.session.scalars(sa.select(Registration.status))) == {RegistrationStatus.cancelled}
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "registration.update")) == 2


def test_bulk_status_past_capacity_changes_nothing(client, create_user, create_session, create_participant,
                                                   create_registration) -> None:
    """Registering more people than there are seats is refused whole: one transaction."""
    forum_session = create_session(capacity=1)
    ids = [create_registration(forum_session, create_participant(f"Person {n}"), "invited").id for n in range(2)]
    sign_in_without_password(client, create_user("organiser"))
    client.post(f"/staff/sessions/{forum_session.id}/registrations/bulk",
                data={"ids": ids, "scope": "selected", "status": "registered", "confirmed": "1"})
    assert set(db.session.scalars(sa.select(Registration.status))) == {RegistrationStatus.invited}


def test_copy_a_session_to_a_new_date(client, create_user, create_session, create_participant,
                                      create_registration) -> None:
    """Agenda, policy and facilitators come along at the same time of day; registrations do not."""
    forum_session = _out_of_balance(create_session, create_participant, create_registration)
    forum_session.starts_at = dushanbe_time(day=3, hour=10)
    forum_session.ends_at = dushanbe_time(day=3, hour=13)
    db.session.add(AgendaItem(forum_session=forum_session, title="Opening words", kind=AgendaKind.opening,
                              starts_at=dushanbe_time(day=3, hour=10), ends_at=dushanbe_time(day=3, hour=11)))
    facilitator = create_user("facilitator")
    db.session.add(SessionFacilitator(session_id=forum_session.id, user_id=facilitator.id))
    db.session.commit()
    sign_in_without_password(client, create_user("organiser"))
    response = client.post(f"/staff/sessions/{forum_session.id}/copy", data={"day": "2036-12-10"})
    copy_id = int(response.headers["Location"].rsplit("/", 1)[1])
    copy = db.session.get(ForumSession, copy_id)
    assert copy.status is SessionStatus.draft and copy.title == "Water and land"
    assert copy.starts_at == dushanbe_time(day=10, hour=10) and copy.ends_at == dushanbe_time(day=10, hour=13)
    assert [(item.title, item.starts_at) for item in copy.agenda] == [("Opening words", dushanbe_time(day=10, hour=10))]
    assert [user.id for user in copy.facilitators] == [facilitator.id]
    assert policies.session_policy(copy_id).quotas == policies.session_policy(forum_session.id).quotas
    assert db.session.scalar(sa.select(sa.func.count()).where(Registration.session_id == copy_id)) == 0
    assert client.post(f"/staff/sessions/{forum_session.id}/copy", data={"day": "nonsense"}).status_code == 422


def test_copy_a_forum_series(client, create_user, create_forum, create_session) -> None:
    """A new forum of drafts, the first on the day chosen and the rest keeping their spacing; cancelled left out."""
    forum = create_forum(title="Discussion Club")
    assert policies.save_policy(forum, [Quota("group", "uto", min_count=1)], policies.load_catalogue()) == []
    create_session(forum=forum, title="First", starts_at=dushanbe_time(day=3, hour=18))
    create_session(forum=forum, title="Second", starts_at=dushanbe_time(day=10, hour=18))
    create_session(forum=forum, title="Called off", starts_at=dushanbe_time(day=17, hour=18), status="cancelled")
    sign_in_without_password(client, create_user("organiser"))
    response = client.post(f"/staff/forums/{forum.id}/copy", data={"title": "Discussion Club 2037",
                                                                  "first_day": "2037-01-14"})
    assert response.status_code == 302
    copies = list(db.session.scalars(sa.select(ForumSession).join(ForumSession.forum)
                                     .where(ForumSession.forum_id != forum.id).order_by(ForumSession.starts_at)))
    assert [(s.title, s.starts_at.date(), s.status) for s in copies] == [
        ("First", date(2037, 1, 14), SessionStatus.draft), ("Second", date(2037, 1, 21), SessionStatus.draft)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BalancePolicy)
                             .where(BalancePolicy.forum_id == copies[0].forum_id)) == 1


def test_the_words_of_balance_are_explained_in_three_languages(client, create_user, create_session) -> None:
    """The help page explains the Gallagher index, maximin and leximin; the dashboard links to it."""
    forum_session = create_session()
    _policy(forum_session)
    sign_in_without_password(client, create_user("organiser"))
    english = client.get("/staff/help/balance-words?lang=en").get_data(as_text=True)
    assert all(f'id="{term}"' in english for term in ("gallagher", "maximin", "leximin"))
    assert "raise the smallest chance of anyone in the pool" in english
    russian = client.get("/staff/help/balance-words?lang=ru").get_data(as_text=True)
    tajik = client.get("/staff/help/balance-words?lang=tg").get_data(as_text=True)
    assert "Индекс Галлахера" in russian and "Индекси Галлагер" in tajik
    assert "raise the smallest chance" not in russian + tajik
    selection = client.get(f"/staff/sessions/{forum_session.id}/selection?lang=en").get_data(as_text=True)
    assert "/staff/help/balance-words#maximin" in selection


def test_ticks_survive_paging_without_javascript(client, create_user, create_session, create_participant) -> None:
    """The page buttons post the ticks: a tick on page 1 is carried to page 2 and into the preview."""
    forum_session = create_session(title="Big evening", capacity=200)
    people = [create_participant(f"Person {number:03}", group="media") for number in range(55)]
    sign_in_without_password(client, create_user("organiser"))
    url = f"/staff/sessions/{forum_session.id}/invite?cat_group=media"
    first, last = people[0], people[-1]  # by name: page 1 and page 2
    second_page = client.post(url, data={"ids": [first.id], "go": "2", "scope": "selected"}).get_data(as_text=True)
    assert "Person 054" in second_page and "Person 000" not in second_page
    assert f'<input type="hidden" name="ids" value="{first.id}">' in second_page and "1 more ticked" in second_page
    preview = client.post(url, data={"ids": [first.id, last.id], "scope": "selected", "action": "invite"})
    assert "You are about to add 2 people" in preview.get_data(as_text=True)
    back = client.post(url, data={"ids": [first.id, last.id], "go": "1"}).get_data(as_text=True)
    assert f'value="{first.id}" id="pick-{first.id}" checked' in back
