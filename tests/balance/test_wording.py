"""One wording of balance (issue 13): the words live in forums/balance/wording.py and every page shows those.

The first tests read the source: no template or view writes a status, verdict or suggestion in words of its
own, nor picks words by comparing a status itself. The others open every page that shows balance and find
the one wording there.
"""

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from forums.balance import policies, wording
from forums.balance.rules import Quota
from forums.registrations.operations import register
from models import RegistrationStatus, SessionFacilitator, SessionStatus, db
from tests.conftest import sign_in_without_password

ROOT = Path(__file__).resolve().parent.parent.parent
HOME = ROOT / "forums" / "balance" / "wording.py"

#: what the four templates and the views used to call a status, a verdict or a suggestion
OLD_WORDINGS = {
    "balanced", "out of balance", "ok", "too few", "too many", "within limits", "below minimum", "above maximum",
    "above its maximum", "below its minimum", "Those present meet the balance policy.",
    "%(dimension)s is out of balance.", "%(n)d more of %(category)s (%(dimension)s)",
    "%(n)d too many of %(category)s (%(dimension)s)", "%(dimension)s cannot be balanced: %(reason)s.",
}
#: the wording's own words: nowhere but in its home
OWN_WORDINGS = {str(label._args[0]) for labels in (wording.STATUS_LABELS, wording.VERDICT_LABELS,
                                                    wording.REPORT_VERDICTS) for label in labels.values()}
OWN_WORDINGS |= {"not counted", "Add %(num)d person from %(category)s", "Remove %(num)d person from %(category)s"}

#: a translatable literal: _('...'), _l("..."), gettext(...), ngettext(...) in Python or a template
MESSAGE = re.compile(r"""\b(?:_|_l|gettext|lazy_gettext|ngettext)\(\s*(?P<quote>['"])(?P<text>.*?)(?<!\\)(?P=quote)""",
                     re.DOTALL)
#: a template choosing words by a balance status of its own: ``status == 'over'``, ``status-{{ line.status``
STATUS_TEST = re.compile(r"""status\s*==\s*['"](?:ok|under|over)['"]|status-\{\{\s*[\w.]*line\.status""")


def sources():
    """Every template and Python module of the app but the wording's home."""
    files = [*(ROOT / "templates").rglob("*.html"), *(ROOT / "forums").rglob("*.py")]
    return [path for path in files if path != HOME]


def test_the_wording_is_written_once():
    found = []
    for path in sources():
        text = path.read_text(encoding="utf-8")
        for match in MESSAGE.finditer(text):
            if match["text"] in OLD_WORDINGS | OWN_WORDINGS:
                found.append(f"{path.relative_to(ROOT)}: {match['text']!r}")
    assert found == [], "word balance through forums/balance/wording.py (macros.html's balance_* macros)"


def test_no_template_picks_status_words_itself():
    found = [f"{path.relative_to(ROOT)}: {match[0]!r}" for path in (ROOT / "templates").rglob("*.html")
             for match in STATUS_TEST.finditer(path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_words_say_what_the_statuses_mean(app):
    with app.test_request_context():
        assert [wording.status_label(status) for status in ("ok", "under", "over")] == [
            "within the policy", "below the minimum", "above the maximum"]
        assert wording.status_label("over", counts_toward_balance=False) == "not counted"
        assert wording.verdict_label(True, 3) == "within the policy"
        assert wording.verdict_label(False, 3) == "outside the policy"
        assert wording.verdict_label(True, 0) == "nobody counted yet"  # never green over nobody
        assert wording.report_verdict_label(True, 0) == "Nobody is counted at this stage yet."


# The pages ------------------------------------------------------------------------------------------


def text_of(response) -> str:
    assert response.status_code in (200, 422), response.status_code
    return " ".join(BeautifulSoup(response.get_data(as_text=True), "html.parser").get_text(" ").split())


@pytest.fixture
def lopsided(create_session, create_participant):
    """Three government people registered and checked in where the forum allows one and asks for one from the UTO."""
    forum_session = create_session(capacity=20)
    quotas = [Quota("group", "government", max_count=1), Quota("group", "uto", min_count=1)]
    assert policies.save_policy(forum_session.forum, quotas, policies.load_catalogue()) == []
    for number in range(3):
        registration = register(forum_session, create_participant(f"Official {number}", group="government"),
                                RegistrationStatus.registered)
        registration.status = RegistrationStatus.attended
    db.session.commit()
    return forum_session


def test_every_page_shows_the_one_wording(client, lopsided, create_user, create_participant):
    organiser = create_user("organiser")
    sign_in_without_password(client, organiser)
    session_id = lopsided.id
    over, under = "Government above the maximum", "United Tajik Opposition below the minimum"
    add, remove = "Add 1 person from United Tajik Opposition", "Remove 2 people from Government"

    dashboard = text_of(client.get(f"/sessions/{session_id}/balance"))
    assert "Group: outside the policy" in dashboard and "Gender: within the policy" in dashboard
    assert "above the maximum" in dashboard and "below the minimum" in dashboard
    assert add in dashboard and remove in dashboard

    overview = text_of(client.get(f"/forums/{lopsided.forum_id}/balance"))
    assert "outside the policy" in overview and "within the policy" in overview

    panel = text_of(client.get(f"/sessions/{session_id}/checkin/panel"))
    assert "Group: outside the policy" in panel and "Government 3 100% above the maximum" in panel
    assert "United Tajik Opposition 0 0% below the minimum" in panel
    assert add in panel and remove in panel

    another = create_participant("Official 4", group="government")
    confirm = text_of(client.post(f"/staff/sessions/{session_id}/registrations/add",
                                  data={"participant_ids": [str(another.id)], "action": "invite"}))
    assert "Government — above the maximum" in confirm

    lopsided.status = SessionStatus.draft
    db.session.commit()
    publish = text_of(client.post(f"/staff/sessions/{session_id}/publish"))
    assert "Government — above the maximum" in publish and "United Tajik Opposition — below the minimum" in publish

    facilitator = create_user("facilitator")
    db.session.add(SessionFacilitator(session_id=session_id, user_id=facilitator.id))
    for number in range(3):
        register(lopsided, create_participant(f"Teacher {number}", group="academia"),
                 RegistrationStatus.registered).status = RegistrationStatus.attended
    db.session.commit()
    sign_in_without_password(client, facilitator)
    coarse = text_of(client.get(f"/sessions/{session_id}/checkin/panel"))
    assert "Group: outside the policy" in coarse and over in coarse and under in coarse
    for everywhere in (dashboard, overview, panel, confirm, publish, coarse):
        for old in ("out of balance", "too many", "too few", "within limits", "above its maximum"):
            assert old not in everywhere
