"""The desk's pages cost the same number of queries with 2 sessions, people and registrations as with 40
(issue 20: eager loading and constant query counts, as ``tests/test_query_counts.py`` holds every page to)."""

from datetime import timedelta

from forums.balance import policies
from forums.balance.rules import Quota
from models import (
    AgendaItem,
    AgendaKind,
    Commitment,
    ConcernAnswer,
    ConcernIssue,
    ConcernStage,
    ForumSession,
    MailKind,
    MailMessage,
    MailState,
    SessionFacilitator,
    db,
    utcnow,
)
from models.concerns import AnswerState
from tests.conftest import sign_in_without_password

GROUPS = ("government", "uto", "media", "academia")


def _grow(forum_session: ForumSession, create_session, create_participant, create_registration, size: int,
          start: int) -> None:
    """``size`` more sessions this week (drafts among them), people, registrations and agenda items, and for
    the panels of features: mail that failed or bounced, and commitments past their due date."""
    for number in range(start, start + size):
        other = create_session(forum=forum_session.forum, title=f"Session {number}",
                               status="draft" if number % 2 else "published",
                               starts_at=utcnow() + timedelta(days=1, hours=number))
        person = create_participant(f"Person {number:03}", group=GROUPS[number % len(GROUPS)])
        create_registration(forum_session, person, "invited")
        invitation = create_registration(other, person, "invited")
        db.session.add(MailMessage(kind=MailKind.invitation, state=(MailState.failed, MailState.bounced)[number % 2],
                                   registration_id=invitation.id, session_id=other.id,
                                   recipient=f"person{number}@example.org", language="en"))
        issue = ConcernIssue(forum_session=other, title=f"Issue {number}", stage=ConcernStage.answered)
        answer = ConcernAnswer(issue=issue, official="Minister", authority="Ministry", answered_on=utcnow().date(),
                               text="Yes", state=AnswerState.accepted)
        db.session.add(Commitment(answer=answer, description=f"Promise {number}", owner="Ministry",
                                  due_on=utcnow().date() - timedelta(days=7)))
        db.session.add(AgendaItem(forum_session=forum_session, title=f"Item {number}", kind=AgendaKind.discussion,
                                  starts_at=forum_session.starts_at, ends_at=forum_session.ends_at))
    db.session.commit()


def test_desk_pages_cost_the_same_queries_at_any_size(client, create_user, create_session, create_participant,
                                                      create_registration, count_queries) -> None:
    forum_session = create_session(title="Growing session", capacity=500, starts_at=utcnow() + timedelta(days=1))
    assert policies.save_policy(forum_session.forum, [Quota("group", "uto", min_count=30)],
                                policies.load_catalogue()) == []
    facilitator = create_user("facilitator")
    db.session.add(SessionFacilitator(session_id=forum_session.id, user_id=facilitator.id))
    db.session.commit()
    urls = ["/staff/", f"/staff/sessions/{forum_session.id}", "/staff/sessions",
            f"/staff/sessions/{forum_session.id}/invite?cat_group=uto",
            f"/staff/sessions/{forum_session.id}/registrations/bulk", f"/staff/sessions/{forum_session.id}/copy",
            f"/staff/forums/{forum_session.forum_id}/copy", "/staff/dimensions",
            "/staff/dimensions/region/edit?category=dushanbe"]
    organiser = create_user("organiser")

    def counts() -> dict[str, int]:
        found = {}
        for user, paths in ((organiser, urls), (facilitator, ["/staff/"])):
            sign_in_without_password(client, user)
            for url in paths:
                with count_queries() as counted:
                    assert client.get(url).status_code == 200, url
                found[f"{user.role.value} {url}"] = counted()
        return found

    _grow(forum_session, create_session, create_participant, create_registration, 2, 0)
    few = counts()
    _grow(forum_session, create_session, create_participant, create_registration, 38, 2)
    assert counts() == few
