"""Several senders never take the same message: rows are claimed FOR UPDATE SKIP LOCKED (PostgreSQL)."""

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from forums.mail import sender
from models import ForumSession, MailMessage, MailState, Participant, db, utcnow
from tests.conftest import ON_POSTGRES
from tests.mail.helpers import invite, messages, person, release_all


def test_claiming_takes_each_due_message_once(create_session: Callable[..., ForumSession],
                                              create_participant: Callable[..., Participant]) -> None:
    forum_session = create_session()
    for n in range(5):
        invite(forum_session, person(create_participant, f"P{n}", f"p{n}@example.org"))
    release_all(forum_session.id)
    first = sender.claim("one", 3, utcnow())
    second = sender.claim("two", 3, utcnow())
    assert len(first) == 3 and len(second) == 2 and not set(first) & set(second)
    assert sender.claim("three", 3, utcnow()) == []
    assert {(m.claimed_by, m.state) for m in messages()} == {("one", MailState.inflight), ("two", MailState.inflight)}


if ON_POSTGRES:
    def test_a_sender_skips_the_rows_another_is_claiming(create_session: Callable[..., ForumSession],
                                                         create_participant: Callable[..., Participant]) -> None:
        forum_session = create_session()
        for n in range(4):
            invite(forum_session, person(create_participant, f"P{n}", f"p{n}@example.org"))
        release_all(forum_session.id)
        with Session(db.engine) as other:
            # Another sender is in the middle of its claim: it holds two rows' locks.
            locked = list(other.scalars(sa.select(MailMessage.id).order_by(MailMessage.id).limit(2)
                                        .with_for_update(skip_locked=True)))
            claimed = sender.claim("mine", 10, utcnow())  # does not wait for them, does not take them
            other.rollback()
        assert len(locked) == 2 and len(claimed) == 2 and not set(locked) & set(claimed)
