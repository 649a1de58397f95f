"""Every table is classified for personal data, and the new features' tables go through erasure, the
retention purge and the emergency wipe (SECURITY.md section 3, T14, and the wipe of requirement 9)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g

from forums.accounts.permissions import SCOPE_ATTRIBUTE
from forums.data import backup, retention
from forums.registrations import operations
from models import (
    CheckinEvent,
    CheckinEventKind,
    CheckinOutcome,
    Concern,
    ConcernCategory,
    Endorsement,
    FloorList,
    ForumSession,
    MailAddressHealth,
    MailKind,
    MailMessage,
    MailState,
    OpenSignup,
    Participant,
    Registration,
    RegistrationStatus,
    Speech,
    db,
    utcnow,
)
from models.concerns import Channel
from tests.conftest import category, dushanbe_time

PASSPHRASE = "evacuate the register now"


def _refers_to(table: sa.Table, names: set[str] | tuple[str, ...]) -> list[sa.ForeignKey]:
    return [key for key in table.foreign_keys if key.column.table.name in names]


def test_every_table_is_classified_personal_or_not_on_purpose(app):
    personal, not_personal = set(backup.PERSONAL_TABLES), backup.NOT_PERSONAL
    assert not personal & not_personal, "derived as personal, yet listed as holding none"
    unclassified = set(db.metadata.tables) - personal - not_personal
    assert not unclassified, ("a new table: list it in forums/data/backup.py as NOT_PERSONAL or "
                              "PERSONAL_WITHOUT_REFERENCE, or refer to a person")
    assert not not_personal - set(db.metadata.tables), "NOT_PERSONAL names a table that no longer exists"


def test_the_new_features_tables_about_people_are_personal(app):
    assert {"endorsement", "mail_message", "mail_address_health", "open_signup", "checkin_request",
            "registration", "participant"} <= set(backup.PERSONAL_TABLES)
    assert set(backup.PERSONAL_LINKS) >= {("floor_speech", "participant_id"), ("concern", "submitter_id"),
                                          ("checkin_event", "registration_id")}


def test_every_reference_to_personal_data_is_removed_or_emptied_with_it(app):
    """Erasure, the purge and the wipe follow ON DELETE; a table that kept a person's id would leak it."""
    for table in db.metadata.sorted_tables:
        for key in _refers_to(table, backup.PERSONAL_TABLES):
            if table.name in backup.PERSONAL_TABLES:
                assert key.ondelete in ("CASCADE", "SET NULL"), f"{table.name}.{key.parent.name}"
            else:
                assert key.ondelete == "SET NULL" and key.parent.nullable, (
                    f"{table.name}.{key.parent.name} keeps rows about a person: make it personal or SET NULL")
                assert (table.name, key.parent.name) in backup.PERSONAL_LINKS


def test_personal_tables_come_children_first(app):
    order = {name: position for position, name in enumerate(backup.PERSONAL_TABLES)}
    for name in backup.PERSONAL_TABLES:
        for key in _refers_to(db.metadata.tables[name], backup.PERSONAL_TABLES):
            if key.column.table.name != name:
                assert order[name] < order[key.column.table.name], f"{name} before {key.column.table.name}"


@dataclass
class Contributions:
    """One person's traces in every new feature at one session, and a witness who keeps theirs."""

    forum_session: ForumSession
    person_id: int
    witness_id: int
    speech_id: int
    concern_id: int
    registration_id: int
    event_id: int
    signup_id: int


def _count(model: object, *conditions: sa.ColumnElement[bool]) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions)) or 0  # type: ignore[arg-type]


@pytest.fixture
def contributions(create_forum: Callable[..., object], create_session: Callable[..., ForumSession],
                  create_participant: Callable[..., Participant]) -> Contributions:
    """A person who spoke, raised a concern, supported one, was mailed and checked in, and came by open sign-up."""
    forum_session = create_session(forum=create_forum(retention_days=30), starts_at=dushanbe_time(3))
    person = create_participant("Раҳимова Нигора", organisation="Women of Kulyab")
    witness = create_participant("Karimov Jamshed")
    registration = operations.register(forum_session, person, RegistrationStatus.registered)
    operations.register(forum_session, witness, RegistrationStatus.registered)
    floor = FloorList(session_id=forum_session.id)
    db.session.add(floor)
    db.session.flush()
    speech = Speech(list_id=floor.id, participant_id=person.id, categories={"group": "uto"})
    group = category("group", "uto")
    concern = Concern(session_id=forum_session.id, submitter_id=person.id, channel=Channel.link, language="tg",
                      text="Water for the fields", organisation="Women of Kulyab", agrees_to_be_named=True)
    concern.categories.append(ConcernCategory(dimension_id=group.dimension_id, category_id=group.id))
    theirs = Concern(session_id=forum_session.id, submitter_id=witness.id, channel=Channel.paper, language="ru",
                     text="Roads")
    db.session.add_all([speech, concern, theirs])
    db.session.flush()
    db.session.add_all([
        Endorsement(concern_id=theirs.id, participant_id=person.id),
        Endorsement(concern_id=concern.id, participant_id=witness.id),
        MailMessage(kind=MailKind.status, state=MailState.sent, registration_id=registration.id,
                    session_id=forum_session.id, recipient="nigora@example.org", language="tg"),
        MailAddressHealth(participant_id=person.id, address="nigora@example.org", permanent_bounces=1),
    ])
    event = CheckinEvent(session_id=forum_session.id, client_id="door-1", kind=CheckinEventKind.check_in,
                         registration_id=registration.id, device_id="phone-1", device_at=utcnow(),
                         outcome=CheckinOutcome.applied)
    signup = OpenSignup(session_id=forum_session.id, code_hash="c" * 64, consent_notice="2026-1",
                        consent_at=utcnow(), confirmed_at=utcnow(), registration_id=registration.id)
    db.session.add_all([event, signup])
    db.session.commit()
    return Contributions(forum_session, person.id, witness.id, speech.id, concern.id, registration.id, event.id,
                         signup.id)


def _assert_person_gone_and_traces_anonymous(world: Contributions) -> None:
    db.session.expire_all()
    assert db.session.get(Participant, world.person_id) is None
    speech = db.session.get(Speech, world.speech_id)
    assert speech.participant_id is None and speech.categories == {"group": "uto"}, "the speech keeps its categories"
    concern = db.session.get(Concern, world.concern_id)
    assert concern.submitter_id is None and concern.text == "Water for the fields"
    assert concern.organisation == "" and not concern.agrees_to_be_named, "the organisation names the person too"
    assert _count(ConcernCategory, ConcernCategory.concern_id == world.concern_id) == 1, "categories at submission"
    assert _count(Endorsement, Endorsement.participant_id == world.person_id) == 0
    assert _count(MailMessage, MailMessage.recipient == "nigora@example.org") == 0
    assert _count(MailAddressHealth, MailAddressHealth.participant_id == world.person_id) == 0
    assert db.session.get(CheckinEvent, world.event_id).registration_id is None
    assert db.session.get(OpenSignup, world.signup_id).registration_id is None


def test_erasing_a_person_removes_or_anonymises_their_rows_in_every_new_table(contributions):
    assert retention.erase_participant(contributions.person_id) is not None
    db.session.commit()
    _assert_person_gone_and_traces_anonymous(contributions)
    # The witness keeps their support of the erased person's concern, their own concern and registration.
    assert _count(Endorsement, Endorsement.participant_id == contributions.witness_id) == 1
    assert _count(Concern, Concern.submitter_id == contributions.witness_id) == 1
    assert _count(Registration, Registration.participant_id == contributions.witness_id) == 1


def test_erasing_a_person_forgets_their_unconfirmed_sign_ups_by_contact(contributions):
    person = db.session.get(Participant, contributions.person_id)
    person.email, person.phone = "nigora@example.org", "+992 93 555 0101"
    for code, email, phone in (("a", "nigora@example.org", ""), ("b", "", "+992 93 555 0101"),
                               ("d", "someone.else@example.org", "")):
        db.session.add(OpenSignup(session_id=contributions.forum_session.id, code_hash=code * 64, name="Nigora",
                                  email=email, phone=phone, consent_notice="2026-1", consent_at=utcnow()))
    db.session.commit()
    retention.erase_participant(contributions.person_id)
    db.session.commit()
    assert set(db.session.scalars(sa.select(OpenSignup.email).where(OpenSignup.confirmed_at.is_(None)))) == {
        "someone.else@example.org"}
    assert db.session.get(OpenSignup, contributions.signup_id) is not None, "a confirmed one holds no contact"


def test_the_purge_unties_speeches_concerns_and_support_of_expired_sessions(contributions):
    now = contributions.forum_session.ends_at + timedelta(days=31)
    assert contributions.forum_session.id in retention.plan_purge(now).session_ids
    retention.purge_expired(now)
    db.session.commit()
    _assert_person_gone_and_traces_anonymous(contributions)
    assert _count(Endorsement) == 0 and _count(Participant) == 0
    assert _count(Concern, Concern.submitter_id.is_not(None)) == 0
    assert retention.purge_expired(now + timedelta(days=1)).is_empty


def test_a_person_with_only_a_concern_in_a_live_session_is_not_purged(contributions, create_session,
                                                                       create_participant):
    live = create_session(title="Still running", starts_at=dushanbe_time(3) + timedelta(days=400))
    db.session.add(Concern(session_id=live.id, submitter_id=contributions.person_id, channel=Channel.floor,
                           language="tg", text="Later"))
    db.session.commit()
    retention.purge_expired(contributions.forum_session.ends_at + timedelta(days=31))
    db.session.commit()
    assert db.session.get(Participant, contributions.person_id) is not None
    assert _count(Concern, Concern.session_id == live.id, Concern.submitter_id == contributions.person_id) == 1


def test_the_purge_runs_the_mails_own_retention(app, contributions):
    old = utcnow() - timedelta(days=app.config["MAIL_RETENTION_DAYS"] + 1)
    db.session.execute(sa.update(MailMessage).values(updated_at=old))
    db.session.commit()
    retention.purge_expired(utcnow())
    db.session.commit()
    assert _count(MailMessage) == 0
    assert _count(Registration) == 2, "nothing of the session expired: only the finished mail went"


def test_the_wipe_empties_the_links_and_the_restore_puts_them_back(runner, contributions, tmp_path):
    target = tmp_path / "evacuation.bin"
    result = runner.invoke(args=["emergency-wipe", "--backup", str(target), "--passphrase-stdin"],
                           input=PASSPHRASE + "\n")
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Speech, contributions.speech_id).participant_id is None
    assert _count(Concern, Concern.submitter_id.is_not(None)) == 0
    assert _count(Concern, Concern.organisation != "") == 0, "the organisation names the submitter too"
    assert db.session.get(CheckinEvent, contributions.event_id).registration_id is None
    assert all(_count(db.metadata.tables[name]) == 0 for name in backup.PERSONAL_TABLES)
    result = runner.invoke(args=["emergency-restore", str(target), "--passphrase-stdin"], input=PASSPHRASE + "\n")
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Speech, contributions.speech_id).participant_id == contributions.person_id
    concern = db.session.get(Concern, contributions.concern_id)
    assert (concern.submitter_id, concern.organisation, concern.agrees_to_be_named) == (
        contributions.person_id, "Women of Kulyab", True)
    assert db.session.get(CheckinEvent, contributions.event_id).registration_id == contributions.registration_id
    assert _count(Endorsement) == 2 and _count(MailAddressHealth) == 1


@pytest.mark.parametrize("own_forum", [True, False])
def test_an_organiser_limited_to_other_forums_reads_none_of_the_new_tables_rows(app, contributions, create_forum,
                                                                                own_forum):
    """The forum scope (forums.accounts.scope) hides every row that belongs to a session of another forum."""
    forum_id = contributions.forum_session.forum_id if own_forum else create_forum(title="Border talks").id
    with app.test_request_context():
        setattr(g, SCOPE_ATTRIBUTE, frozenset({forum_id}))
        seen = {model.__name__: len(db.session.scalars(sa.select(model)).all())
                for model in (Concern, FloorList, MailMessage, CheckinEvent, OpenSignup, Registration)}
    assert seen == ({"Concern": 2, "FloorList": 1, "MailMessage": 1, "CheckinEvent": 1, "OpenSignup": 1,
                     "Registration": 2} if own_forum else dict.fromkeys(seen, 0))
