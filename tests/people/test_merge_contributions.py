"""Merging two records moves what the person did in the newer features: speeches on the floor, concerns,
support of concerns (once per concern), and the mail and check-in events of a registration that went."""

from datetime import timedelta

import sqlalchemy as sa

from forums.people import merge
from models import (
    CheckinEvent,
    CheckinEventKind,
    CheckinOutcome,
    Concern,
    Endorsement,
    FloorList,
    MailKind,
    MailMessage,
    MailState,
    Registration,
    Speech,
    db,
    utcnow,
)
from models.concerns import Channel


def test_merge_moves_speeches_concerns_support_and_a_joined_registrations_mail(
        app, create_session, create_participant, create_registration):
    kept, other = create_participant("Раҳимова Нигора"), create_participant("Rahimova Nigora")
    forum_session = create_session()
    create_registration(forum_session, kept, "invited")
    went = create_registration(forum_session, other, "invited")
    floor = FloorList(session_id=forum_session.id)
    db.session.add(floor)
    db.session.flush()
    raised_by_kept = Concern(session_id=forum_session.id, submitter_id=kept.id, channel=Channel.link,
                             language="tg", text="Water")
    raised_by_other = Concern(session_id=forum_session.id, submitter_id=other.id, channel=Channel.paper,
                              language="ru", text="Roads")
    speech = Speech(list_id=floor.id, participant_id=other.id, categories={"group": "uto"})
    db.session.add_all([raised_by_kept, raised_by_other, speech])
    db.session.flush()
    earlier = utcnow() - timedelta(days=2)
    db.session.add_all([
        Endorsement(concern_id=raised_by_kept.id, participant_id=kept.id),
        Endorsement(concern_id=raised_by_kept.id, participant_id=other.id, created_at=earlier),
        Endorsement(concern_id=raised_by_other.id, participant_id=other.id),
        MailMessage(kind=MailKind.invitation, state=MailState.sent, registration_id=went.id,
                    session_id=forum_session.id, recipient="nigora@example.org", language="tg"),
        CheckinEvent(session_id=forum_session.id, client_id="door-1", kind=CheckinEventKind.check_in,
                     registration_id=went.id, device_id="phone-1", device_at=utcnow(),
                     outcome=CheckinOutcome.applied),
    ])
    db.session.commit()
    kept_id, other_id, speech_id = kept.id, other.id, speech.id

    merge.merge(kept, other)
    db.session.commit()

    assert db.session.get(Speech, speech_id).participant_id == kept_id
    assert set(db.session.scalars(sa.select(Concern.submitter_id))) == {kept_id}
    support = db.session.execute(sa.select(Endorsement.concern_id, Endorsement.created_at)
                                 .order_by(Endorsement.concern_id)).all()
    assert [concern_id for concern_id, _ in support] == sorted([raised_by_kept.id, raised_by_other.id]), \
        "support of a concern both records gave is one"
    assert dict(support)[raised_by_kept.id] == earlier, "dated by the earlier support"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Endorsement)
                             .where(Endorsement.participant_id == other_id)) == 0
    stayed = db.session.scalars(sa.select(Registration.id).where(Registration.participant_id == kept_id)).one()
    assert db.session.scalars(sa.select(MailMessage.registration_id)).all() == [stayed], "the mail sent is kept"
    assert db.session.scalars(sa.select(CheckinEvent.registration_id)).all() == [stayed]
