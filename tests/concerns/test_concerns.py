"""Concerns of an economic forum through the pages: sent ahead, moderated, grouped, heard in balance, answered."""

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forums import validation
from forums.balance.policies import load_catalogue, save_policy
from forums.balance.rules import Quota
from forums.concerns import operations, queries
from forums.data.retention import erase_participant
from models import (
    AgendaItem,
    AgendaKind,
    AuditEntry,
    Concern,
    ConcernIssue,
    Endorsement,
    ParticipantCategory,
    PersonalLink,
    SessionStatus,
    db,
    utcnow,
)
from models.concerns import Anonymity, AnswerState, Channel, ConcernStage
from tests.conftest import category


@pytest.fixture
def forum_world(create_forum, create_session, create_participant, create_registration, create_user, login):
    forum = create_forum(title="Economic forum", kind="economic_forum")
    forum_session = create_session(forum=forum, title="Kulyab business day", region="kulyab")
    forum_session.status = SessionStatus.published
    forum_session.starts_at = utcnow() + timedelta(days=5)
    forum_session.ends_at = forum_session.starts_at + timedelta(hours=3)
    people = {
        "farmer": create_participant("Rahimov Daler", organisation="Kulyab Farmers", group="business",
                                     region="kulyab", gender="man", sector="agriculture"),
        "trader": create_participant("Sharipova Zarina", organisation="Dushanbe Traders", group="business",
                                     region="dushanbe", gender="woman", sector="trade"),
        "official": create_participant("Nazarov Firdavs", organisation="Ministry", group="government",
                                       region="dushanbe", gender="man"),
    }
    for key, person in people.items():
        create_registration(forum_session, person, "registered")
        db.session.add(PersonalLink(participant_id=person.id, token=f"token-{key}-" + "x" * 30, created_at=utcnow()))
    db.session.commit()
    staff = create_user("organiser")
    return forum, forum_session, people, staff


def _submit(client, who, text, session_id):
    return client.post(f"/p/token-{who}-{'x' * 30}/concerns",
                       data={"session_id": session_id, "language": "ru", "text": text})


def test_a_participant_sends_a_concern_that_keeps_their_categories(client, forum_world):
    _forum, forum_session, people, _staff = forum_world
    page = client.get(f"/p/token-farmer-{'x' * 30}/concerns")
    assert page.status_code == 200 and "Kulyab business day" in page.get_data(as_text=True)
    assert _submit(client, "farmer", "Налоги на воду слишком высоки", forum_session.id).status_code == 302
    concern = db.session.scalar(sa.select(Concern))
    assert (concern.channel, concern.stage, concern.language) == (Channel.link, ConcernStage.submitted, "ru")
    # The person moves region later; the concern keeps the region they had when they submitted it.
    link = db.session.scalar(sa.select(ParticipantCategory).where(
        ParticipantCategory.participant_id == people["farmer"].id,
        ParticipantCategory.dimension_id == category("region", "kulyab").dimension_id))
    link.category_id = category("region", "dushanbe").id
    db.session.commit()
    held = {link.category.key for link in queries.concern(concern.id).categories}
    assert {"kulyab", "business", "agriculture", "man"} <= held
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "concern.submit"))
    assert entry.actor == f"participant-link:{people['farmer'].id}"


def test_empty_text_is_refused_and_changes_nothing(client, forum_world):
    _forum, forum_session, _people, _staff = forum_world
    response = _submit(client, "farmer", "   ", forum_session.id)
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Concern)) == 0


def _concern(forum_session, person, text="Roads", stage=None):
    concern = operations.submit(forum_session, person, channel=Channel.paper, language="en", text=text)
    if stage:
        operations.moderate(concern, stage, "off topic" if stage is ConcernStage.declined else "")
    db.session.commit()
    return concern


def test_support_is_once_each_and_only_for_accepted_concerns(client, forum_world):
    _forum, forum_session, people, _staff = forum_world
    pending = _concern(forum_session, people["farmer"], "Water")
    accepted = _concern(forum_session, people["farmer"], "Roads", ConcernStage.accepted)
    url = f"/p/token-trader-{'x' * 30}/concerns/endorse"
    client.post(url, data={"concern_id": pending.id})
    client.post(url, data={"concern_id": accepted.id})
    client.post(url, data={"concern_id": accepted.id})
    rows = db.session.execute(sa.select(Endorsement.concern_id, Endorsement.participant_id)).all()
    assert rows == [(accepted.id, people["trader"].id)]
    # The database refuses a second endorsement even when the check before it is skipped.
    db.session.add(Endorsement(concern_id=accepted.id, participant_id=people["trader"].id))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_merge_keeps_every_concern_and_supporter(app, forum_world):
    _forum, forum_session, people, _staff = forum_world
    first = _concern(forum_session, people["farmer"], "Water tax", ConcernStage.accepted)
    second = _concern(forum_session, people["trader"], "Water price", ConcernStage.accepted)
    operations.endorse(first, people["official"])
    operations.endorse(second, people["farmer"])
    one = operations.new_issue(forum_session, "Water")
    other = operations.new_issue(forum_session, "Water costs")
    operations.group([first], one)
    operations.group([second], other)
    operations.merge_issues(other, one)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Concern)) == 2
    assert {c.issue_id for c in db.session.scalars(sa.select(Concern))} == {one.id}
    assert db.session.get(ConcernIssue, other.id).merged_into_id == one.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Endorsement)) == 2
    support = queries.support_of_session(forum_session.id)
    assert (support[first.id].raw, support[second.id].raw) == (1, 1)


def test_the_balance_report_runs_over_the_concern_stages(client, login, forum_world):
    _forum, forum_session, people, staff = forum_world
    _concern(forum_session, people["farmer"], "Water", ConcernStage.declined)
    _concern(forum_session, people["trader"], "Roads", ConcernStage.accepted)
    save_policy(forum_session, [Quota("region", "kulyab", min_count=1)], load_catalogue())
    db.session.commit()
    balance = queries.concern_balance(forum_session.id)
    kulyab = {stage: next(c for d in balance.report(stage).dimensions if d.key == "region"
                          for c in d.categories if c.key == "kulyab") for stage in ("submitted", "accepted")}
    assert (kulyab["submitted"].count, kulyab["submitted"].status) == (1, "ok")
    assert (kulyab["accepted"].count, kulyab["accepted"].status) == (0, "under")
    assert balance.report("accepted").total == 1
    suggestions = [s for s in balance.report("accepted").suggestions if s.dimension == "region"]
    assert [(s.action, s.category, s.count) for s in suggestions] == [("add", "kulyab", 1)]
    login(staff)
    page = client.get(f"/sessions/{forum_session.id}/concerns/balance")
    assert page.status_code == 200 and "Add 1 person from Kulyab" in page.get_data(as_text=True)


def _hearing(forum_session):
    item = AgendaItem(forum_session=forum_session, title="Hearing", kind=AgendaKind.discussion,
                      starts_at=forum_session.starts_at, ends_at=forum_session.ends_at)
    db.session.add(item)
    db.session.flush()
    return item


def test_answers_are_seen_by_submitters_only_once_published(client, forum_world):
    _forum, forum_session, people, _staff = forum_world
    concern = _concern(forum_session, people["farmer"], "Water", ConcernStage.accepted)
    issue = operations.new_issue(forum_session, "Water")
    operations.group([concern], issue)
    item = _hearing(forum_session)
    operations.move_issue(issue, ConcernStage.on_agenda, item.id)
    answer = operations.draft_answer(issue, official="Deputy minister", authority="Ministry of Water",
                                     answered_on=utcnow().date(), text="We will review the tariff",
                                     state=AnswerState.under_study)
    operations.add_commitment(answer, description="Review the tariff", owner="Ministry of Water",
                              due_on=utcnow().date() - timedelta(days=1))
    db.session.commit()
    page = f"/p/token-farmer-{'x' * 30}/concerns"
    assert "We will review the tariff" not in client.get(page).get_data(as_text=True)
    operations.endorse(concern, people["trader"])
    operations.publish_answer(answer)
    db.session.commit()
    assert "We will review the tariff" in client.get(page).get_data(as_text=True)
    # Supporters read it too; someone on the list who did not support the concern is not shown the answer.
    assert "We will review the tariff" in client.get(f"/p/token-trader-{'x' * 30}/concerns").get_data(as_text=True)
    assert "We will review the tariff" not in client.get(
        f"/p/token-official-{'x' * 30}/concerns").get_data(as_text=True)
    assert db.session.get(Concern, concern.id).stage is ConcernStage.answered
    overdue = [c for c in queries.forum_commitments(forum_session.forum_id) if queries.is_overdue(c, utcnow().date())]
    assert [c.description for c in overdue] == ["Review the tariff"]


def test_officials_see_names_only_in_an_attributed_forum_with_agreement(client, login, forum_world):
    forum, forum_session, people, staff = forum_world
    concern = _concern(forum_session, people["farmer"], "Water", ConcernStage.accepted)
    concern.agrees_to_be_named = True
    issue = operations.new_issue(forum_session, "Water")
    operations.group([concern], issue)
    item = _hearing(forum_session)
    operations.move_issue(issue, ConcernStage.on_agenda, item.id)
    db.session.commit()
    login(staff)
    issues = client.get(f"/sessions/{forum_session.id}/concerns/issues").get_data(as_text=True)
    assert "Hearing" in issues and "Rahimov Daler" in issues  # staff know who raised it
    brief = f"/sessions/{forum_session.id}/concerns/brief"
    assert "Rahimov Daler" not in client.get(brief).get_data(as_text=True)  # default: staff only
    operations.save_settings(forum, Anonymity.attributed, None)
    db.session.commit()
    assert "Rahimov Daler" in client.get(brief).get_data(as_text=True)
    operations.save_settings(forum, Anonymity.anonymous, None)
    db.session.commit()
    assert "Rahimov Daler" not in client.get(f"/sessions/{forum_session.id}/concerns").get_data(as_text=True)


def test_the_organisation_limit_stops_acceptance(forum_world):
    forum, forum_session, people, _staff = forum_world
    operations.save_settings(forum, Anonymity.staff_only, 1)
    _concern(forum_session, people["farmer"], "Water", ConcernStage.accepted)
    second = _concern(forum_session, people["farmer"], "Roads")
    with pytest.raises(validation.Conflict):
        operations.moderate(second, ConcernStage.accepted)
    db.session.rollback()
    assert db.session.get(Concern, second.id).stage is ConcernStage.submitted


def test_staff_pages_and_the_export(client, login, forum_world):
    _forum, forum_session, people, staff = forum_world
    _concern(forum_session, people["farmer"], "=HYPERLINK(\"x\")", ConcernStage.accepted)
    login(staff)
    for path in ("", "/issues", "/new", "/form", "/brief"):
        assert client.get(f"/sessions/{forum_session.id}/concerns{path}").status_code == 200
    response = client.post(f"/sessions/{forum_session.id}/concerns/new",
                           data={"participant_id": people["official"].id, "channel": "floor", "language": "tg",
                                 "text": "Роҳҳо"})
    assert response.status_code == 302
    exported = client.post(f"/sessions/{forum_session.id}/concerns/export")
    body = exported.get_data(as_text=True)
    assert exported.status_code == 200 and "Rahimov" not in body and "'=HYPERLINK" in body
    # Two concerns, fewer than k = 5: no row's stage or categories may single its submitter out.
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) == 2 and {row["region"] for row in rows} == {row["stage"] for row in rows} == {"other/suppressed"}
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "export.concerns")) is not None


def test_forum_pages_settings_and_commitments(client, login, forum_world):
    forum, forum_session, people, staff = forum_world
    login(staff)
    assert f"/forums/{forum.id}/concerns" in client.get("/staff/forums").get_data(as_text=True)
    response = client.post(f"/forums/{forum.id}/concerns", data={"anonymity": "attributed",
                                                                  "max_per_organisation": "0"})
    assert response.status_code == 422  # a limit of 0 would silence everyone
    assert operations.settings_of(forum.id).anonymity is Anonymity.staff_only
    client.post(f"/forums/{forum.id}/concerns", data={"anonymity": "attributed", "max_per_organisation": "2"})
    db.session.expire_all()
    assert (operations.settings_of(forum.id).anonymity, operations.settings_of(forum.id).max_per_organisation) \
        == (Anonymity.attributed, 2)
    concern = _concern(forum_session, people["farmer"], "Water", ConcernStage.accepted)
    issue = operations.new_issue(forum_session, "Water")
    operations.group([concern], issue)
    operations.move_issue(issue, ConcernStage.on_agenda, _hearing(forum_session).id)
    answer = operations.draft_answer(issue, official="Minister", authority="Ministry of Water",
                                     answered_on=utcnow().date(), text="Yes", state=AnswerState.accepted)
    late = operations.add_commitment(answer, description="Repair the canal", owner="Vodokanal",
                                     due_on=utcnow().date() - timedelta(days=3))
    operations.add_commitment(answer, description="Report back", owner="Ministry",
                              due_on=utcnow().date() + timedelta(days=30))
    db.session.commit()
    page = client.get(f"/forums/{forum.id}/commitments").get_data(as_text=True)
    assert "Repair the canal" in page and "Report back" in page and "1 overdue" in page
    client.post(f"/sessions/{forum_session.id}/concerns/commitments/status",
                data={"commitment_id": late.id, "status": "done", "back": "forum"})
    assert "Repair the canal" not in client.get(f"/forums/{forum.id}/commitments").get_data(as_text=True)


def test_moderation_and_merging_through_the_pages(client, login, forum_world):
    _forum, forum_session, people, staff = forum_world
    first = _concern(forum_session, people["farmer"], "Water tax")
    second = _concern(forum_session, people["trader"], "Water price", ConcernStage.accepted)
    login(staff)
    base = f"/sessions/{forum_session.id}/concerns"
    client.post(f"{base}/moderate", data={"concern_id": first.id, "decision": "declined", "reason": ""})
    assert db.session.get(Concern, first.id).stage is ConcernStage.submitted  # a decline needs a reason
    client.post(f"{base}/moderate", data={"concern_id": first.id, "decision": "accepted"})
    operations.endorse(db.session.get(Concern, second.id), people["official"])
    db.session.commit()
    for concern, title in ((first, "Water tax"), (second, "Water price")):
        client.post(f"{base}/group", data={"concern_ids": [concern.id], "title": title, "issue_id": "0"})
    one, other = db.session.scalars(sa.select(ConcernIssue).order_by(ConcernIssue.id)).all()
    client.post(f"{base}/issues/merge", data={"issue_id": other.id, "target_id": one.id})
    db.session.expire_all()
    assert {c.issue_id for c in db.session.scalars(sa.select(Concern))} == {one.id}
    assert db.session.get(ConcernIssue, other.id).merged_into_id == one.id
    assert db.session.scalar(sa.select(Endorsement.concern_id)) == second.id  # the supporter stayed with it
    page = client.get(f"{base}/issues").get_data(as_text=True)
    assert "Merged into another issue" in page and "1 supporter" in page


def test_erasing_a_person_unlinks_their_concerns_and_removes_their_support(app, forum_world):
    _forum, forum_session, people, _staff = forum_world
    raised = _concern(forum_session, people["farmer"], "Water", ConcernStage.accepted)
    other = _concern(forum_session, people["trader"], "Roads", ConcernStage.accepted)
    operations.endorse(other, people["farmer"])
    db.session.commit()
    erase_participant(people["farmer"].id)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Concern, raised.id).submitter_id is None  # the concern stays, nobody's
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Endorsement)) == 0
    assert {link.category.key for link in queries.concern(raised.id).categories} >= {"kulyab", "business"}


def test_staff_translate_a_concern_as_a_draft_then_done(client, login, forum_world):
    _forum, forum_session, people, staff = forum_world
    concern = _concern(forum_session, people["farmer"], "Water", ConcernStage.accepted)
    login(staff)
    url = f"/sessions/{forum_session.id}/concerns/translate"
    client.post(url, data={"concern_id": concern.id, "language": "ru", "text": "Вода"})
    db.session.expire_all()
    assert db.session.get(Concern, concern.id).translations == {"ru": {"text": "Вода", "done": False}}
    page = client.get(f"/sessions/{forum_session.id}/concerns").get_data(as_text=True)
    assert "ru: draft" in page and ">Вода</textarea>" in page
    client.post(url, data={"concern_id": concern.id, "language": "ru", "text": "Вода", "done": "y"})
    client.post(url, data={"concern_id": concern.id, "language": "en", "text": "Water again"})  # the original
    db.session.expire_all()
    stored = db.session.get(Concern, concern.id)
    assert stored.translations == {"ru": {"text": "Вода", "done": True}} and stored.translation("ru") == "Вода"
