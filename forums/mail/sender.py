"""The sender: claims queued messages, sends each through SMTP, records what the server said.

Claiming is one transaction: rows whose turn has come are selected ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL (another sender skips them instead of waiting, so several senders never take the same row)
and marked ``inflight`` with a lease; on SQLite every transaction holds the write lock (forums.database),
which serialises claims the same way. Each message is then sent outside any transaction (the web app
must not wait on an SMTP server) and its outcome written only if the row is still this sender's.

A sender killed mid-send leaves its rows ``inflight``; once their lease expires the next claim puts them
back in the queue, so they are retried, never lost. The one case that sends a message twice is a sender
killed after the SMTP server accepted it and before the outcome was written: at-least-once delivery,
as with every outbox that cannot share a transaction with the SMTP server.
"""

import logging
import os
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

import sqlalchemy as sa

from forums.mail import compose, delivery, rules, settings, verp
from forums.mail.outbox import flagged_addresses, rowcount
from forums.mail.smtp import SmtpConnection
from forums.signup import operations as signups
from models import MailMessage, MailState, db, utcnow
from models.registrations import CLOSED, REMINDER_AUDIENCES

logger = logging.getLogger(__name__)

#: states a sender takes a message from
SENDABLE = (MailState.queued, MailState.awaiting_retry)


def worker_name() -> str:
    """This process's name in ``claimed_by``: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


def requeue_expired(now: datetime) -> int:
    """Put back in the queue the inflight messages whose sender's lease ran out; returns how many."""
    return rowcount(db.session.execute(
        sa.update(MailMessage)
        .where(MailMessage.state == MailState.inflight, MailMessage.lease_until < now)
        .values(state=MailState.queued, claimed_by="", lease_until=None)))


def claim(worker: str, limit: int, now: datetime) -> list[int]:
    """Take up to ``limit`` messages whose turn has come, oldest turn first; commits. Returns their ids."""
    requeue_expired(now)
    ids = list(db.session.scalars(
        sa.select(MailMessage.id)
        .where(MailMessage.state.in_(SENDABLE), MailMessage.send_after <= now)
        .order_by(MailMessage.send_after, MailMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ))
    if ids:
        db.session.execute(
            sa.update(MailMessage)
            .where(MailMessage.id.in_(ids), MailMessage.state.in_(SENDABLE))
            .values(state=MailState.inflight, claimed_by=worker, lease_until=now + rules.LEASE,
                    attempts=MailMessage.attempts + 1)
        )
    db.session.commit()
    return ids


def _record(message_id: int, worker: str, values: dict[str, object]) -> bool:
    """Write an outcome if the row is still this sender's (its lease may have run out); the caller commits."""
    return bool(rowcount(db.session.execute(
        sa.update(MailMessage)
        .where(MailMessage.id == message_id, MailMessage.state == MailState.inflight,
               MailMessage.claimed_by == worker)
        .values(lease_until=None, updated_at=utcnow(), **values))))


def outcome_values(outcome: delivery.Outcome, attempts: int, now: datetime) -> dict[str, object]:
    """The columns an outcome sets: sent; a retry after its backoff (failed once out of attempts); failed."""
    if isinstance(outcome, delivery.Sent):
        return {"state": MailState.sent, "sent_at": now, "last_error": ""}
    if isinstance(outcome, delivery.Retry) and not rules.out_of_attempts(attempts):
        return {"state": MailState.awaiting_retry, "last_error": outcome.reason,
                "send_after": now + rules.backoff(attempts, outcome.speed)}
    return {"state": MailState.failed, "last_error": outcome.reason}


def _stale_reason(message: MailMessage, flagged: set[tuple[int, str]], now: datetime) -> str | None:
    if message.signup is not None:
        # A sign-up confirmed or expired since is not mailed its link (an expired one is purged soon after).
        if message.signup.confirmed_at is not None:
            return "signup_confirmed"
        return "signup_expired" if signups.is_expired(message.signup, now) else None
    registration = message.registration
    assert registration is not None, "only a sign-up's confirmation has no registration"
    forum_session = registration.forum_session
    if (registration.participant_id, message.recipient) in flagged:
        return "address_flagged"
    return rules.stale_reason(message.kind.value, registration.status.value, forum_session.status.value,
                              forum_session.ends_at <= now, registration.participant.email.strip() == message.recipient,
                              reported=message.detail, audience=REMINDER_AUDIENCES.get(message.detail),
                              closed=CLOSED)


@dataclass(frozen=True)
class Prepared:
    """A claimed message composed and ready to go."""

    message_id: int
    attempts: int
    recipient: str
    envelope_from: str
    mail: EmailMessage


def prepare(ids: list[int], worker: str) -> tuple[list[Prepared], Counter[str]]:
    """Compose the claimed messages that are still this sender's and still true; stop the others (``aborted``,
    with the reason). Commits once for the whole batch (personal links issued, messages stopped), so no
    lock is held while the SMTP server answers. Returns the messages to send and the counts of the others."""
    now = utcnow()
    counts: Counter[str] = Counter()
    ours = [message for message in compose.load(ids)
            if message.state is MailState.inflight and message.claimed_by == worker]
    if len(ours) < len(ids):
        counts["lost_lease"] += len(ids) - len(ours)
    flagged = flagged_addresses({message.registration.participant_id for message in ours
                                 if message.registration is not None})
    secret, domain = settings.verp_secret(), settings.return_path_domain()
    prepared = []
    for message in ours:
        reason = _stale_reason(message, flagged, now)
        if reason is not None:
            counts[MailState.aborted.value if _record(message.id, worker, {"state": MailState.aborted,
                                                                            "last_error": reason})
                   else "lost_lease"] += 1
            continue
        try:
            mail = compose.build(message)
        except Exception:
            # One message that cannot be written (an address with a line break in it, a template error) must
            # not stop the batch or come back forever: it fails, visibly, and staff can retry it once fixed.
            logger.exception("Mail %d could not be composed", message.id)
            counts[MailState.failed.value if _record(message.id, worker, {"state": MailState.failed,
                                                                           "last_error": "could not be composed"})
                   else "lost_lease"] += 1
            continue
        prepared.append(Prepared(message.id, message.attempts, message.recipient,
                                 verp.return_path(message.id, secret, domain), mail))
    db.session.commit()
    return prepared, counts


def deliver(message: Prepared, worker: str, connection: SmtpConnection) -> MailState | None:
    """Send one prepared message and write what the server said; commits. Returns the state it ended in
    (None: the row stopped being this sender's meanwhile, and its outcome was not written)."""
    outcome = connection.send(message.mail, message.envelope_from, message.recipient)
    values = outcome_values(outcome, message.attempts, utcnow())
    if not isinstance(outcome, delivery.Sent):
        logger.warning("Mail %d not sent: %s", message.message_id, values["last_error"])
    recorded = _record(message.message_id, worker, values)
    db.session.commit()
    state = values["state"]
    assert isinstance(state, MailState)
    return state if recorded else None


def run_once(worker: str, *, batch: int = 50) -> Counter[str]:
    """Claim and send batches until no message's turn has come; returns how many ended in each state."""
    counts: Counter[str] = Counter()
    with SmtpConnection(settings.smtp_settings()) as connection:
        while ids := claim(worker, batch, utcnow()):
            prepared, skipped = prepare(ids, worker)
            counts.update(skipped)
            for message in prepared:
                state = deliver(message, worker, connection)
                counts[state.value if state else "lost_lease"] += 1
    return counts


def run_forever(worker: str, *, interval: float, batch: int = 50,
                purge: Callable[[], int] | None = None, should_stop: Callable[[], bool] = lambda: False) -> None:
    """Send whatever is due, then wait ``interval`` seconds, until ``should_stop``; ``purge`` runs once an hour."""
    last_purge = 0.0
    while not should_stop():
        if purge is not None and time.monotonic() - last_purge >= 3600:
            purge()
            last_purge = time.monotonic()
        counts = run_once(worker, batch=batch)
        if counts:
            logger.info("Mail sent: %s", dict(counts))
        else:
            time.sleep(interval)
