"""The staff home's panel of overdue commitments (issue 20, item 1): each with its owner, due date, forum and
session, leading to the forum's commitments page."""

from datetime import timedelta

from forums.concerns import operations, queries
from forums.desk.panels import HOME_PANELS
from forums.i18n import display_zone
from models import (
    ConcernAnswer,
    ConcernIssue,
    ConcernStage,
    ForumSession,
    OrganiserForum,
    SessionFacilitator,
    db,
    utcnow,
)
from models.concerns import AnswerState, CommitmentStatus
from tests.conftest import sign_in_without_password


def _today():
    """Today in the display zone, as the home's "overdue" counts days."""
    return utcnow().astimezone(display_zone()).date()


def _answer(forum_session: ForumSession, title: str) -> ConcernAnswer:
    """An issue of the session heard and answered, its answer ready to carry commitments."""
    issue = ConcernIssue(forum_session=forum_session, title=title, stage=ConcernStage.answered)
    answer = ConcernAnswer(issue=issue, official="Deputy minister", authority="Ministry of Water",
                           answered_on=_today(), text="We will", state=AnswerState.accepted)
    db.session.add(answer)
    db.session.flush()
    return answer


def _promise(forum_session: ForumSession, description: str, days_late: int, owner: str = "Vodokanal",
             status: CommitmentStatus = CommitmentStatus.open):
    commitment = operations.add_commitment(_answer(forum_session, description), description=description,
                                           owner=owner, due_on=_today() - timedelta(days=days_late))
    commitment.status = status
    db.session.commit()
    return commitment


def _panel(client) -> str:
    page = client.get("/staff/").get_data(as_text=True)
    assert 'id="panel-commitments"' in page
    return page.split('id="panel-commitments"')[1].split("</section>")[0]


def test_overdue_commitments_are_listed_with_where_to_fix_them(client, create_forum, create_session,
                                                               create_user):
    forum = create_forum(title="Economic forum", kind="economic_forum")
    forum_session = create_session(forum=forum, title="Kulyab business day")
    late = _promise(forum_session, "Repair the canal", days_late=3, owner="Vodokanal")
    not_yet = [_promise(forum_session, "Report back", days_late=-30),
               _promise(forum_session, "Due today", days_late=0),
               _promise(forum_session, "Already done", days_late=10, status=CommitmentStatus.done),
               _promise(forum_session, "Dropped long ago", days_late=10, status=CommitmentStatus.dropped)]
    assert [queries.is_overdue(each, _today()) for each in (late, *not_yet)] == [True, False, False, False, False]
    panel = _panel(sign_in_without_password(client, create_user("organiser")))
    assert "Repair the canal" in panel and "Vodokanal" in panel
    assert "Economic forum: Kulyab business day" in panel
    assert f"/forums/{forum.id}/commitments" in panel
    for promise in not_yet:
        assert promise.description not in panel
    # Marked done on the forum's page, it leaves the home.
    client.post(f"/sessions/{forum_session.id}/concerns/commitments/status",
                data={"commitment_id": late.id, "status": "done", "back": "forum"})
    assert "Repair the canal" not in _panel(client)


def test_a_facilitator_does_not_see_the_panel(client, create_session, create_user):
    forum_session = create_session(title="Kulyab business day", starts_at=utcnow() + timedelta(days=1))
    _promise(forum_session, "Repair the canal", days_late=3)
    facilitator = create_user("facilitator")
    db.session.add(SessionFacilitator(session_id=forum_session.id, user_id=facilitator.id))
    db.session.commit()
    page = sign_in_without_password(client, facilitator).get("/staff/").get_data(as_text=True)
    assert "Kulyab business day" in page  # their session of the week: the home did show
    assert 'id="panel-commitments"' not in page and "Repair the canal" not in page


def test_a_scoped_organiser_sees_only_their_forums_commitments(app, create_forum, create_session,
                                                               create_user):
    own, other = create_forum(title="Khatlon forum"), create_forum(title="Sughd forum")
    _promise(create_session(forum=own, title="Kulyab day"), "Repair the canal", days_late=3)
    _promise(create_session(forum=other, title="Khujand day"), "Open the border market", days_late=3)
    scoped, unscoped = create_user("organiser"), create_user("organiser")
    db.session.add(OrganiserForum(user_id=scoped.id, forum_id=own.id))
    db.session.commit()
    panel = _panel(sign_in_without_password(app.test_client(), scoped))
    assert "Repair the canal" in panel and "Open the border market" not in panel
    assert f"/forums/{other.id}/commitments" not in panel
    assert "Open the border market" in _panel(sign_in_without_password(app.test_client(), unscoped))


def test_nothing_overdue_says_so(client, create_session, create_user):
    _promise(create_session(title="Kulyab day"), "Report back", days_late=-30)
    panel = _panel(sign_in_without_password(client, create_user("organiser")))
    empty = next(each.empty for each in HOME_PANELS if each.key == "commitments")
    assert str(empty) in panel and "<li>" not in panel and "Report back" not in panel
