"""The staff home's panel of mail that could not be delivered (issue 20, item 1): per session, with where to fix it."""

from datetime import timedelta

from forums.desk.panels import HOME_PANELS
from models import (
    ForumSession,
    MailKind,
    MailMessage,
    MailState,
    OrganiserForum,
    SessionFacilitator,
    db,
    utcnow,
)
from tests.conftest import sign_in_without_password


def _mail(forum_session: ForumSession, create_participant, create_registration, *states: MailState) -> None:
    """One invitation to a new person of the session in each of ``states``."""
    for number, state in enumerate(states):
        person = create_participant(f"{forum_session.title} person {number}")
        registration = create_registration(forum_session, person, "invited")
        db.session.add(MailMessage(kind=MailKind.invitation, state=state, registration_id=registration.id,
                                   session_id=forum_session.id, recipient=f"p{registration.id}@example.org",
                                   language="en"))
    db.session.commit()


def _panel(client) -> str:
    page = client.get("/staff/").get_data(as_text=True)
    assert 'id="panel-mail"' in page
    return page.split('id="panel-mail"')[1].split("</section>")[0]


def test_undelivered_mail_is_listed_per_session_with_where_to_fix_it(app, create_user, create_session,
                                                                    create_participant, create_registration):
    soon = create_session(title="Water in Sughd", starts_at=utcnow() + timedelta(days=3))
    _mail(soon, create_participant, create_registration,
          MailState.failed, MailState.failed, MailState.bounced, MailState.sent, MailState.queued)
    delivered = create_session(title="All delivered", starts_at=utcnow() + timedelta(days=4))
    _mail(delivered, create_participant, create_registration, MailState.sent, MailState.aborted)
    over = create_session(title="Already over", starts_at=utcnow() - timedelta(days=2))
    _mail(over, create_participant, create_registration, MailState.failed)
    panel = _panel(sign_in_without_password(app.test_client(), create_user("organiser")))
    assert "Water in Sughd" in panel and f"/staff/sessions/{soon.id}/mail" in panel
    assert "Failed: 2" in panel and "Bounced: 1" in panel
    assert "/staff/mail?state=failed" in panel and "/staff/mail?state=bounced" in panel
    # Nothing to fix: all delivered, or a session that is over (its mail would be aborted, not sent).
    assert "All delivered" not in panel and "Already over" not in panel


def test_only_the_failed_state_present_is_linked(app, create_user, create_session, create_participant,
                                                 create_registration):
    forum_session = create_session(title="Border talks", starts_at=utcnow() + timedelta(days=3))
    _mail(forum_session, create_participant, create_registration, MailState.bounced)
    panel = _panel(sign_in_without_password(app.test_client(), create_user("admin")))
    assert "Bounced: 1" in panel and "/staff/mail?state=bounced" in panel
    assert "Failed:" not in panel and "/staff/mail?state=failed" not in panel


def test_a_facilitator_does_not_see_the_panel(app, create_user, create_session, create_participant,
                                              create_registration):
    forum_session = create_session(title="Water in Sughd", starts_at=utcnow() + timedelta(days=1))
    _mail(forum_session, create_participant, create_registration, MailState.failed)
    facilitator = create_user("facilitator")
    db.session.add(SessionFacilitator(session_id=forum_session.id, user_id=facilitator.id))
    db.session.commit()
    page = sign_in_without_password(app.test_client(), facilitator).get("/staff/").get_data(as_text=True)
    assert "Water in Sughd" in page  # their session of the week: the home did show
    assert 'id="panel-mail"' not in page and "Mail that could not be delivered" not in page


def test_a_scoped_organiser_sees_only_their_forums_mail(app, create_user, create_forum, create_session,
                                                        create_participant, create_registration):
    own, other = create_forum(title="Water round tables"), create_forum(title="Border talks")
    own_session = create_session(forum=own, title="Water in Sughd", starts_at=utcnow() + timedelta(days=3))
    other_session = create_session(forum=other, title="Border in Isfara", starts_at=utcnow() + timedelta(days=3))
    for forum_session in (own_session, other_session):
        _mail(forum_session, create_participant, create_registration, MailState.failed)
    scoped, unscoped = create_user("organiser"), create_user("organiser")
    db.session.add(OrganiserForum(user_id=scoped.id, forum_id=own.id))
    db.session.commit()
    panel = _panel(sign_in_without_password(app.test_client(), scoped))
    assert "Water in Sughd" in panel and "Border in Isfara" not in panel
    assert f"/staff/sessions/{other_session.id}/mail" not in panel
    assert "Border in Isfara" in _panel(sign_in_without_password(app.test_client(), unscoped))


def test_nothing_to_fix_says_so(app, create_user, create_session, create_participant, create_registration):
    forum_session = create_session(title="Water in Sughd", starts_at=utcnow() + timedelta(days=3))
    _mail(forum_session, create_participant, create_registration, MailState.sent, MailState.draft)
    panel = _panel(sign_in_without_password(app.test_client(), create_user("organiser")))
    empty = next(each.empty for each in HOME_PANELS if each.key == "mail")
    assert str(empty) in panel and "<li>" not in panel and "Water in Sughd" not in panel
