"""The concerns pages and API lists cost the same number of queries with 2 concerns as with 20."""

from forums.concerns import operations
from models import db
from models.concerns import AnswerState, Channel, ConcernStage
from tests.concerns.test_concerns import _hearing, forum_world  # noqa: F401

PAGES = ["/sessions/{sid}/concerns", "/sessions/{sid}/concerns/issues", "/sessions/{sid}/concerns/balance",
         "/sessions/{sid}/concerns/brief", "/forums/{fid}/commitments", "/p/token-trader-" + "x" * 30 + "/concerns"]
API = ["/api/v1/sessions/{sid}/concerns", "/api/v1/sessions/{sid}/concern-issues",
       "/api/v1/forums/{fid}/commitments"]


def _grow(forum_session, people, count):
    """``count`` more concerns of the farmer, each accepted, supported, in an issue on the agenda, answered."""
    item = _hearing(forum_session)
    for number in range(count):
        concern = operations.submit(forum_session, people["farmer"], channel=Channel.paper, language="en",
                                    text=f"Concern {number}")
        operations.moderate(concern, ConcernStage.accepted)
        operations.endorse(concern, people["trader"])
        issue = operations.group([concern], operations.new_issue(forum_session, f"Issue {number}"))
        operations.move_issue(issue, ConcernStage.on_agenda, item.id)
        answer = operations.draft_answer(issue, official="Minister", authority="Ministry",
                                         answered_on=item.starts_at.date(), text="Yes", state=AnswerState.accepted)
        operations.add_commitment(answer, description="Do it", owner="Ministry", due_on=item.starts_at.date())
        operations.publish_answer(answer)
    db.session.commit()


def _counts(client, headers, count_queries, forum_session):
    counts = {}
    for path in PAGES + API:
        url = path.format(sid=forum_session.id, fid=forum_session.forum_id)
        with count_queries() as counted:
            response = client.get(url, headers=headers if url.startswith("/api/") else {})
        assert response.status_code == 200, url
        counts[path] = counted()
    return counts


def test_concern_reads_do_not_grow_with_the_concerns(client, login, token_for, count_queries,
                                                     forum_world):  # noqa: F811
    _forum, forum_session, people, staff = forum_world
    headers = token_for(staff)
    login(staff)
    _grow(forum_session, people, 2)
    few = _counts(client, headers, count_queries, forum_session)
    _grow(forum_session, people, 18)
    assert _counts(client, headers, count_queries, forum_session) == few
