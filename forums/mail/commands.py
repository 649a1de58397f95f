"""The mail worker commands: ``flask --app app send-mail`` and ``flask --app app read-bounces``."""

import mailbox
import signal
import sys
from pathlib import Path
from types import FrameType

import click
from flask import Flask

from forums.mail import bounces, outbox, sender, settings, verp
from models import db, utcnow


def _purge() -> int:
    deleted = outbox.purge_finished(utcnow(), settings.retention_days())
    db.session.commit()
    return deleted


@click.command("send-mail")
@click.option("--loop", is_flag=True, help="Keep running: send whatever is due, then wait, until stopped (SIGTERM).")
@click.option("--interval", type=click.FloatRange(0.1, 3600), default=5.0, show_default=True,
              help="Seconds to wait between looks at the queue when nothing is due (with --loop).")
@click.option("--batch", type=click.IntRange(1, 1000), default=50, show_default=True,
              help="Messages claimed at a time.")
def send_mail_command(loop: bool, interval: float, batch: int) -> None:
    """Send the queued mail through FLASK_MAIL_HOST; purge finished mail past FLASK_MAIL_RETENTION_DAYS."""
    if not settings.smtp_settings().host:
        raise click.ClickException("FLASK_MAIL_HOST is not set: there is no SMTP server to send through.")
    worker = sender.worker_name()
    if not loop:
        purged = _purge()
        counts = sender.run_once(worker, batch=batch)
        click.echo(", ".join(f"{state}: {n}" for state, n in sorted(counts.items())) or "Nothing to send.")
        if purged:
            click.echo(f"Purged {purged} finished messages.")
        return
    stopping: list[int] = []

    def stop(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)  # finish the message under way, then leave

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"Sending mail as {worker} (SIGTERM to stop).")
    sender.run_forever(worker, interval=interval, batch=batch, purge=_purge, should_stop=lambda: bool(stopping))


def _reports(source: str, is_mbox: bool) -> list[bytes]:
    if is_mbox:
        box = mailbox.mbox(source, create=False)
        try:
            return [message.as_bytes() for message in box]
        finally:
            box.close()
    if source == "-":
        return [sys.stdin.buffer.read()]
    return [Path(source).read_bytes()]


@click.command("read-bounces")
@click.argument("source", default="-", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--mbox", "is_mbox", is_flag=True, help="SOURCE is an mbox mailbox holding many reports.")
def read_bounces_command(source: str, is_mbox: bool) -> None:
    """Read bounce reports sent to the VERP return addresses, from SOURCE (a file, an mbox, or - for standard input).

    Each report about one of our messages is recorded (a permanent failure marks it bounced and counts against
    the person's address); anything else is skipped. Meant as a pipe from the mail server (one report) or a
    cron job over a mailbox.
    """
    secret, domain = settings.verp_secret(), settings.return_path_domain()
    found = skipped = 0
    for raw in _reports(source, is_mbox):
        bounce = bounces.parse(raw, lambda address: verp.message_id_of(address, secret, domain))
        if bounce is None or outbox.record_bounce(bounce.message_id, bounce.permanent, bounce.status) is None:
            skipped += 1
            continue
        db.session.commit()
        found += 1
    click.echo(f"{found} bounce reports recorded, {skipped} skipped.")


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(send_mail_command)
    app.cli.add_command(read_bounces_command)
