"""Two records of one person become one: everything moves, nothing is lost, audited (issue 14, item 9)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from forums.audit import log as audit
from forums.people import merge
from forums.people.links import rotate
from forums.validation import Conflict
from models import (
    AgendaItem,
    AgendaKind,
    AgendaSpeaker,
    AuditEntry,
    CheckinRequest,
    ForumSession,
    Participant,
    PersonalLink,
    Registration,
    RegistrationStatus,
    db,
    utcnow,
)
from models.registrations import PROGRESS
from tests.conftest import category


def _status(session_id: int, participant_id: int) -> RegistrationStatus | None:
    db.session.commit()
    return db.session.scalar(sa.select(Registration.status).where(Registration.session_id == session_id,
                                                                  Registration.participant_id == participant_id))


def _item(forum_session: ForumSession, *speakers: Participant) -> AgendaItem:
    item = AgendaItem(forum_session=forum_session, title="Opening", kind=AgendaKind.opening,
                      starts_at=forum_session.starts_at, ends_at=forum_session.starts_at + timedelta(minutes=15))
    item.speakers = [AgendaSpeaker(participant=person, position=n) for n, person in enumerate(speakers)]
    db.session.add(item)
    db.session.commit()
    return item


@pytest.fixture
def two_records(create_participant):
    """The same woman twice: once in Cyrillic with an e-mail, once in Latin with a phone and another region."""
    kept = create_participant("Раҳимова Нигора", organisation="")
    kept.email = "nigora@example.org"
    kept.languages = "tg"
    other = create_participant("Rahimova Nigora", organisation="Women of Kulyab", region="kulyab")
    other.phone = "+992 93 555 0101"
    other.languages = "ru,tg"
    db.session.commit()
    return kept, other


def test_every_reference_to_a_person_is_one_the_merge_moves(app):
    referring = {(table.name, column.name) for table in db.metadata.sorted_tables for column in table.columns
                 for key in column.foreign_keys if key.column is Participant.__table__.c.id}
    assert referring == merge.REFERENCES, "a new table refers to people: move its rows in forums/people/merge.py"


def test_progress_orders_every_status():
    assert sorted(PROGRESS) == sorted(RegistrationStatus)
    assert PROGRESS[-3:] == (RegistrationStatus.registered, RegistrationStatus.confirmed, RegistrationStatus.attended)


def test_merge_moves_registrations_speeches_link_history_and_fills_details(app, two_records, create_session,
                                                                          create_registration):
    kept, other = two_records
    water, roads, both = create_session(title="Water"), create_session(title="Roads"), create_session(title="Both")
    create_registration(water, other, "confirmed")
    create_registration(roads, kept, "invited")
    create_registration(both, kept, "invited")
    attended = create_registration(both, other, "attended")
    joined_away = db.session.scalar(sa.select(Registration.id).where(Registration.session_id == both.id,
                                                                     Registration.participant_id == kept.id))
    db.session.add(CheckinRequest(request_id="tap-1", registration_id=joined_away))
    audit.record("registration.create", "registration", joined_away, detail="invited")
    audit.record("participant.read", "participant", other.id)
    audit.record("registration.accept", "registration", attended.id, actor=f"participant-link:{other.id}")
    shared = _item(both, kept, other)
    _item(water, other)
    link = rotate(other)
    db.session.commit()
    sequences = {s.id: s.sequence for s in (water, both, roads)}
    kept_id, other_id, token = kept.id, other.id, link.token

    summary = merge.merge(kept, other)
    db.session.commit()

    assert db.session.get(Participant, other_id) is None
    person = db.session.get(Participant, kept_id)
    assert (person.name, person.email, person.phone, person.organisation) == (
        "Раҳимова Нигора", "nigora@example.org", "+992 93 555 0101", "Women of Kulyab")
    assert person.language_list == ["tg", "ru"]
    region = category("region", "dushanbe")
    assert {link.category_id for link in person.categories if link.dimension_id == region.dimension_id} == {region.id}
    assert _status(water.id, kept_id) is RegistrationStatus.confirmed
    assert _status(roads.id, kept_id) is RegistrationStatus.invited
    assert _status(both.id, kept_id) is RegistrationStatus.attended, "the registration further along stays"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)
                             .where(Registration.participant_id == kept_id)) == 3
    # The history of the registration that went belongs to the one that stayed.
    assert db.session.get(CheckinRequest, "tap-1").registration_id == attended.id
    assert db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_type == "registration",
                                                                 AuditEntry.object_id == joined_away)).all() == []
    assert "registration.create" in db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.object_type == "registration", AuditEntry.object_id == attended.id)).all()
    # Speeches: one entry per item, calendars told.
    speakers = db.session.scalars(sa.select(AgendaSpeaker.agenda_item_id)
                                  .where(AgendaSpeaker.participant_id == kept_id))
    assert sorted(speakers) == sorted([shared.id, shared.id + 1])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgendaSpeaker)
                             .where(AgendaSpeaker.agenda_item_id == shared.id)) == 1
    for forum_session in (water, both):
        assert db.session.get(ForumSession, forum_session.id).sequence == sequences[forum_session.id] + 1
    assert db.session.get(ForumSession, roads.id).sequence == sequences[roads.id]
    # The link the person was given still works, now for the kept record.
    assert db.session.scalar(sa.select(PersonalLink.participant_id).where(PersonalLink.token == token)) == kept_id
    # The audit log names the kept record wherever it named the other.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.object_type == "participant", AuditEntry.object_id == other_id)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.actor == f"participant-link:{kept_id}")) == 1
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "participant.merge")).one()
    assert (entry.object_type, entry.object_id) == ("participant", kept_id)
    assert entry.detail == (f"merged participant {other_id} into {kept_id}: registrations_moved=1 "
                            "registrations_joined=1 speaker_entries_moved=1 speaker_entries_joined=1 "
                            "personal_link=moved audit_entries=3")
    assert "Нигора" not in entry.detail and "Nigora" not in entry.detail
    assert summary.kept_id == kept_id


def test_the_kept_record_may_be_the_one_further_behind(app, two_records, create_session, create_registration):
    kept, other = two_records
    forum_session = create_session()
    create_registration(forum_session, kept, "attended")
    create_registration(forum_session, other, "declined")
    kept_id = kept.id
    merge.merge(kept, other)
    db.session.commit()
    assert _status(forum_session.id, kept_id) is RegistrationStatus.attended


def test_a_seat_freed_by_joining_two_registrations_goes_to_the_waitlist(app, two_records, create_session,
                                                                         create_registration, create_participant):
    kept, other = two_records
    forum_session = create_session(capacity=2)
    create_registration(forum_session, kept, "registered")
    create_registration(forum_session, other, "confirmed")
    waiting = create_participant("Saidov Umed", gender="man")
    waitlisted = create_registration(forum_session, waiting, "waitlisted")
    waitlisted.waitlisted_at = utcnow()
    db.session.commit()
    kept_id, waiting_id = kept.id, waiting.id
    merge.merge(kept, other)
    db.session.commit()
    assert _status(forum_session.id, kept_id) is RegistrationStatus.confirmed
    assert _status(forum_session.id, waiting_id) is RegistrationStatus.registered


def test_two_waitlisted_places_keep_the_earlier(app, two_records, create_session, create_registration):
    kept, other = two_records
    forum_session = create_session(capacity=1)
    mine, theirs = create_registration(forum_session, kept, "waitlisted"), create_registration(forum_session, other,
                                                                                              "waitlisted")
    mine.waitlisted_at, theirs.waitlisted_at = utcnow(), utcnow() - timedelta(days=2)
    db.session.commit()
    earlier, mine_id = theirs.waitlisted_at, mine.id
    merge.merge(kept, other)
    db.session.commit()
    assert db.session.get(Registration, mine_id).waitlisted_at == earlier


def test_a_second_link_stops_working_and_flags_move_to_the_kept_record(app, two_records, create_participant):
    kept, other = two_records
    kept_link, other_link = rotate(kept).token, rotate(other).token
    walk_in = create_participant("Rahimova N.")
    walk_in.possible_duplicate_of_id = other.id
    kept.possible_duplicate_of_id = other.id
    db.session.commit()
    kept_id, walk_in_id = kept.id, walk_in.id
    assert merge.merge(kept, other).personal_link == "dropped"
    db.session.commit()
    assert set(db.session.scalars(sa.select(PersonalLink.token))) == {kept_link}
    assert other_link != kept_link
    assert db.session.get(Participant, walk_in_id).possible_duplicate_of_id == kept_id
    assert db.session.get(Participant, kept_id).possible_duplicate_of_id is None


def test_the_same_record_or_a_stale_copy_is_refused_before_any_change(app, two_records):
    kept, other = two_records
    with pytest.raises(Conflict):
        merge.merge(kept, kept)
    with pytest.raises(Conflict):
        merge.merge(kept, other, merged_version=other.version - 1)
    db.session.rollback()
    assert db.session.get(Participant, other.id) is not None


def test_differences_name_what_the_merge_does_not_keep(app, two_records):
    kept, other = two_records
    region = category("region", "kulyab")
    assert merge.differences(kept, other) == ["name", str(region.dimension_id)]


# The page -------------------------------------------------------------------------------------------

def test_the_page_lists_likely_records_then_compares_and_merges(client, create_user, login, two_records,
                                                                create_session, create_registration):
    kept, other = two_records
    create_registration(create_session(), other, "invited")
    kept_id, other_id, versions = kept.id, other.id, {"this_version": str(kept.version),
                                                      "other_version": str(other.version)}
    login(create_user("organiser"))
    page = client.get(f"/staff/participants/{kept_id}/merge").get_data(as_text=True)
    assert f"/staff/participants/{kept_id}/merge?other={other_id}" in page and "same name" in page
    compare = client.get(f"/staff/participants/{kept_id}/merge?other={other_id}")
    page = compare.get_data(as_text=True)
    assert compare.status_code == 200
    assert "Women of Kulyab" in page and "nigora@example.org" in page and "≠" in page
    reads = db.session.scalars(sa.select(AuditEntry.object_id).where(AuditEntry.action == "participant.read")
                               .order_by(AuditEntry.id)).all()
    assert reads == [kept_id, kept_id, other_id], "the list names this person, the comparison both"
    assert db.session.scalar(sa.select(AuditEntry.detail).where(
        AuditEntry.action == "participant.duplicate_warning")) == "matches=1"
    response = client.post(f"/staff/participants/{kept_id}/merge?other={other_id}",
                           data={"keep": str(other_id), **versions})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/staff/participants/{other_id}")
    db.session.commit()
    assert db.session.get(Participant, kept_id) is None
    assert db.session.get(Participant, other_id).email == "nigora@example.org"


def test_the_page_refuses_a_stale_copy_an_unknown_record_and_a_missing_choice(client, create_user, login,
                                                                             two_records):
    kept, other = two_records
    kept_id, other_id, kept_version = kept.id, other.id, str(kept.version)
    login(create_user("organiser"))
    url = f"/staff/participants/{kept_id}/merge?other={other_id}"
    stale = client.post(url, data={"keep": str(kept_id), "this_version": kept_version, "other_version": "0"})
    assert stale.status_code == 422 and "Someone else changed this" in stale.get_data(as_text=True)
    missing = client.post(url, data={"this_version": kept_version, "other_version": "1"})
    assert missing.status_code == 422 and "Choose the record to keep." in missing.get_data(as_text=True)
    assert client.get(f"/staff/participants/{kept_id}/merge?other=999999").status_code == 404
    assert client.get(f"/staff/participants/{kept_id}/merge?other={kept_id}").status_code == 404
    db.session.commit()
    assert db.session.get(Participant, other_id) is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "participant.merge")) == 0


def test_facilitators_may_not_merge(client, create_user, login, two_records):
    kept, other = two_records
    login(create_user("facilitator"))
    url = f"/staff/participants/{kept.id}/merge?other={other.id}"
    assert client.get(url).status_code == 403
    assert client.post(url, data={"keep": str(kept.id), "this_version": "1", "other_version": "1"}).status_code == 403
