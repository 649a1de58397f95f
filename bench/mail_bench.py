"""Benchmark the mail sender: invitations through several ``send-mail`` processes to a local SMTP server.

PostgreSQL only (several senders share the queue through ``FOR UPDATE SKIP LOCKED``). The run:

1. builds a fresh schema in ``--database-url`` (everything in it is dropped) with ``--count`` people, each
   invited to one of ten published sessions, and one queued invitation per person in the outbox (written
   in bulk: the benchmark measures the sender, not the registrations page);
2. starts an aiosmtpd server on loopback that counts what it receives, per recipient;
3. baseline: sends the same number of copies of one composed invitation over one SMTP connection with
   plain ``smtplib`` (no database, no composing): the ceiling of this server and this machine;
4. starts ``--workers`` processes of ``flask --app app send-mail`` at once and waits for them to empty
   the queue;
5. checks that every message was received exactly once (none lost, none doubled) and that every row
   says ``sent``, and prints the rate and its ratio to the baseline.

    nice -n 10 .venv/bin/python bench/mail_bench.py --database-url postgresql://postgres@127.0.0.1:5432/dd_mail_bench
"""

from __future__ import annotations

import argparse
import os
import smtplib
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from forums.mail import compose  # noqa: E402
from forums.mail.smtp import wire_bytes  # noqa: E402
from forums.people.names import search_key  # noqa: E402
from forums.people.seed import seed_dimensions  # noqa: E402
from models import (  # noqa: E402
    Category,
    Dimension,
    Forum,
    ForumKind,
    ForumSession,
    MailKind,
    MailMessage,
    MailState,
    Participant,
    Registration,
    RegistrationStatus,
    SessionStatus,
    Visibility,
    db,
    utcnow,
)

ROOT = Path(__file__).resolve().parent.parent
SECRET = "mail-bench-secret-key-0123456789abcdef0123456789"
LANGUAGES = ("en", "ru", "tg")


class CountingHandler:
    """Accepts everything and counts deliveries per recipient."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Count one delivery per recipient of the envelope."""
        for recipient in envelope.rcpt_tos:
            self.received[recipient] += 1
        return "250 OK"


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def build(database_url: str, count: int, port: int) -> bytes:
    """A fresh schema with ``count`` invited people and their queued invitations; returns one composed
    invitation (the baseline sends copies of it)."""
    app = create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": database_url, "MAIL_HOST": "127.0.0.1",
                      "MAIL_PORT": port, "MAIL_TLS": "none", "MAIL_BASE_URL": "https://desk.example.org"})
    with app.app_context():
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade()
        seed_dimensions()
        region = db.session.scalar(sa.select(Category).join(Dimension).where(Dimension.key == "region"))
        assert region is not None
        forum = Forum(title="Economic forum", kind=ForumKind.economic_forum)
        db.session.add(forum)
        starts = utcnow() + timedelta(days=30)
        sessions = [ForumSession(forum=forum, title=f"Session {n}", starts_at=starts,
                                 ends_at=starts + timedelta(hours=3), region=region, capacity=count,
                                 visibility=Visibility.public, status=SessionStatus.published) for n in range(10)]
        db.session.add_all(sessions)
        db.session.flush()
        now = utcnow()
        db.session.execute(sa.insert(Participant), [
            {"name": f"Person {n}", "search_key": search_key(f"Person {n}"), "email": f"person{n}@example.org",
             "languages": LANGUAGES[n % 3], "created_at": now, "updated_at": now, "version": 1}
            for n in range(count)])
        people = list(db.session.scalars(sa.select(Participant.id).order_by(Participant.id)))
        db.session.execute(sa.insert(Registration), [
            {"session_id": sessions[n % 10].id, "participant_id": person, "status": RegistrationStatus.invited,
             "created_at": now, "updated_at": now} for n, person in enumerate(people)])
        registrations = db.session.execute(
            sa.select(Registration.id, Registration.session_id, Registration.participant_id).order_by(Registration.id)
        ).all()
        db.session.execute(sa.insert(MailMessage), [
            {"kind": MailKind.invitation, "state": MailState.queued, "registration_id": registration_id,
             "session_id": session_id, "recipient": f"person{participant_id - people[0]}@example.org",
             "language": LANGUAGES[(participant_id - people[0]) % 3], "detail": "", "attempts": 0,
             "send_after": now, "claimed_by": "", "last_error": "", "created_at": now, "updated_at": now}
            for registration_id, session_id, participant_id in registrations])
        db.session.commit()
        first = compose.load([db.session.scalar(sa.select(sa.func.min(MailMessage.id)))])[0]
        sample = wire_bytes(compose.envelope(first, compose.compose(first, "benchmark-token")))
        db.session.rollback()
        db.engine.dispose()
    return sample


def baseline(port: int, sample: bytes, count: int) -> float:
    """Messages per second of plain smtplib sending ``count`` copies over one connection."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for n in range(count):
            client.sendmail("bench@example.org", [f"baseline{n}@example.org"], sample)
    return count / (time.perf_counter() - started)


def run_senders(database_url: str, port: int, workers: int) -> float:
    """Start ``workers`` send-mail processes together; seconds until all have emptied the queue."""
    env = {**os.environ, "DATABASE_URL": database_url, "FLASK_SECRET_KEY": SECRET, "FLASK_MAIL_HOST": "127.0.0.1",
           "FLASK_MAIL_PORT": str(port), "FLASK_MAIL_TLS": "none", "FLASK_MAIL_BASE_URL": "https://desk.example.org"}
    flask = str(Path(sys.executable).with_name("flask"))
    started = time.perf_counter()
    processes = [subprocess.Popen([flask, "--app", "app", "send-mail", "--batch", "50"], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, text=True) for _ in range(workers)]
    outputs = [process.communicate()[0].strip() for process in processes]
    elapsed = time.perf_counter() - started
    for process, output in zip(processes, outputs, strict=True):
        print(f"  sender {process.pid}: {output}")
        if process.returncode:
            raise SystemExit(f"a sender failed with exit code {process.returncode}")
    return elapsed


def check(database_url: str, received: Counter[str], count: int) -> dict[str, int]:
    """Lost and doubled messages, and how many each sender sent."""
    app = create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        states = {state: n for state, n in db.session.execute(
            sa.select(MailMessage.state, sa.func.count()).group_by(MailMessage.state))}
        per_sender = {sender: n for sender, n in db.session.execute(
            sa.select(MailMessage.claimed_by, sa.func.count()).group_by(MailMessage.claimed_by))}
        db.engine.dispose()
    invitations = {address: n for address, n in received.items() if address.startswith("person")}
    result = {
        "rows sent": states.get(MailState.sent, 0),
        "received": sum(invitations.values()),
        "lost": sum(1 for n in range(count) if f"person{n}@example.org" not in invitations),
        "doubled": sum(1 for n in invitations.values() if n > 1),
    }
    for n, (sender, sent) in enumerate(sorted(per_sender.items())):
        result[f"sender {n + 1} ({sender})"] = sent
    return result


def main() -> None:
    """Run the benchmark and print its results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database to drop and fill")
    parser.add_argument("--count", type=int, default=10_000, help="invitations to send")
    parser.add_argument("--workers", type=int, default=2, help="send-mail processes")
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        raise SystemExit("PostgreSQL only: several senders share the queue through FOR UPDATE SKIP LOCKED.")
    handler = CountingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        print(f"Building {args.count} invitations...")
        sample = build(args.database_url, args.count, port)
        base_rate = baseline(port, sample, args.count)
        print(f"Baseline, plain smtplib over one connection: {base_rate:.0f} messages/s")
        elapsed = run_senders(args.database_url, port, args.workers)
    finally:
        controller.stop()
    rate = args.count / elapsed
    result = check(args.database_url, handler.received, args.count)
    print(f"{args.workers} senders: {args.count} invitations in {elapsed:.1f} s = {rate:.0f} messages/s "
          f"(ratio to the baseline {rate / base_rate:.2f})")
    for key, value in result.items():
        print(f"  {key}: {value}")
    if result["lost"] or result["doubled"] or result["rows sent"] != args.count:
        raise SystemExit("FAILED: messages lost, doubled or not marked sent")


if __name__ == "__main__":
    main()
