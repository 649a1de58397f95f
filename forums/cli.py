"""Command-line tools: ``flask --app app <command>``."""

import sys
from datetime import datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from forums.accounts.passwords import password_problem
from forums.accounts.tokens import MAX_EXPIRY_DAYS, create_token, token_settings
from forums.audit import log as audit
from forums.data.backup import (
    BackupError,
    backup_database,
    read_encrypted,
    restore_database,
    restore_personal_data,
)
from forums.data.retention import emergency_wipe, erase_participant, purge_expired
from forums.people.seed import seed_dimensions
from forums.security import hash_password
from forums.validation import MAX_ID, ValidationFailed
from models import Role, User, db, utcnow


@click.command("init-db")
def init_db_command() -> None:
    """Create or upgrade the schema through the migrations and seed the default dimensions."""
    upgrade()
    added = seed_dimensions()
    db.session.commit()
    click.echo(f"Database is up to date; {added} default dimension and category rows added.")


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True,
              help="What the user may do.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(email: str, role: str, password_stdin: bool) -> None:
    """Create a staff account."""
    email = email.strip().lower()
    if "@" not in email:
        raise click.BadParameter("not an e-mail address", param_hint="EMAIL")
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise click.ClickException(f"A user {email} already exists.")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password)
    if problem:
        raise click.ClickException(problem)
    user = User(email=email, password_hash=hash_password(password), role=Role(role))
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", "user", user.id)
    db.session.commit()
    click.echo(f"Created {role} {email}.")


@click.command("create-token")
@click.argument("email")
@click.option("--name", default="", help="What the token is for, shown in the list of tokens (one line).")
@click.option("--expires-days", type=click.IntRange(1, MAX_EXPIRY_DAYS), default=None,
              help="Days until the token stops working (default: until it is revoked).")
def create_token_command(email: str, name: str, expires_days: int | None) -> None:
    """Print a new API token for an existing user."""
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active:
        raise click.ClickException(f"No active user {email}.")
    try:
        name, expires_days = token_settings(name, expires_days)
    except ValidationFailed as failed:
        raise click.BadParameter(" ".join(failed.fields.values()), param_hint="--name") from None
    _row, token = create_token(user, name=name, expires_in_days=expires_days)
    db.session.commit()
    click.echo(token)


@click.command("demo-data")
def demo_data_command() -> None:
    """Fill the database with fictional forums, sessions and people (safe to run twice)."""
    from forums.data.demo import load_demo_data

    seed_dimensions()
    summary = load_demo_data()
    db.session.commit()
    click.echo(summary)


@click.command("purge-expired")
@click.option("--dry-run", is_flag=True, help="Only report what would be deleted.")
@click.option("--now", "now_text", metavar="ISO-TIME", default=None,
              help="Judge expiry as at this time (ISO 8601 with offset) instead of the clock.")
def purge_expired_command(dry_run: bool, now_text: str | None) -> None:
    """Delete personal data of sessions past their forum's retention period (for cron)."""
    try:
        now = datetime.fromisoformat(now_text) if now_text else utcnow()
    except ValueError:
        raise click.BadParameter("expected an ISO 8601 time", param_hint="--now") from None
    if now.tzinfo is None:
        raise click.BadParameter("the time needs an offset, e.g. +05:00", param_hint="--now")
    plan = purge_expired(now, dry_run=dry_run)
    db.session.commit()
    click.echo(("Would purge: " if dry_run else "Purged: ") + plan.summary())


@click.command("erase-participant")
@click.argument("participant_id", type=click.IntRange(1, MAX_ID))
def erase_participant_command(participant_id: int) -> None:
    """Erase one person everywhere: register entry, registrations, speaker entries, personal link."""
    erased = erase_participant(participant_id)
    if erased is None:
        raise click.ClickException(f"No participant {participant_id}.")
    db.session.commit()
    click.echo(f"Erased participant {participant_id}: {erased.registrations} registrations, "
               f"{erased.speaker_entries} speaker entries, {erased.personal_links} personal links.")


def _read_passphrase() -> str:
    passphrase = sys.stdin.readline().rstrip("\n")
    if len(passphrase) < 12:
        raise click.ClickException("The passphrase needs at least 12 characters.")
    return passphrase


@click.command("emergency-wipe")
@click.option("--backup", "backup_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the encrypted backup of the personal data (must not exist).")
@click.option("--passphrase-stdin", is_flag=True, required=True,
              help="Read the backup passphrase from standard input (required).")
def emergency_wipe_command(backup_path: Path, passphrase_stdin: bool) -> None:
    """Write an encrypted backup of all personal data, then delete it from the database."""
    if backup_path.exists():
        raise click.ClickException(f"{backup_path} exists; choose a new file.")
    passphrase = _read_passphrase()
    try:
        counts = emergency_wipe(backup_path, passphrase)
    except (BackupError, OSError) as error:
        db.session.rollback()
        raise click.ClickException(f"Nothing was wiped: {error}") from None
    db.session.commit()
    click.echo(f"Encrypted backup written to {backup_path}; wiped "
               + ", ".join(f"{count} {table}" for table, count in counts.items()) + ".")


@click.command("emergency-restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--passphrase-stdin", is_flag=True, required=True,
              help="Read the backup passphrase from standard input (required).")
def emergency_restore_command(path: Path, passphrase_stdin: bool) -> None:
    """Put the personal data of an emergency-wipe backup back into the wiped database."""
    try:
        counts = restore_personal_data(read_encrypted(path, sys.stdin.readline().rstrip("\n")))
    except BackupError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    audit.record("emergency.restore", detail=" ".join(f"{name}={count}" for name, count in counts.items()))
    db.session.commit()
    click.echo("Restored " + ", ".join(f"{count} {table}" for table, count in counts.items()) + ".")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Write a consistent backup of the whole database to PATH (SQLite online backup or pg_dump)."""
    try:
        backup_database(path)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    audit.record("database.backup")
    db.session.commit()
    click.echo(f"Backup written to {path}.")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(path: Path, yes: bool) -> None:
    """Replace the whole database with the backup at PATH."""
    if not yes:
        click.confirm("This replaces every row of the database. Continue?", abort=True)
    try:
        restore_database(path)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    audit.record("database.restore")
    db.session.commit()
    click.echo(f"Database restored from {path}.")


@click.command("generate-data")
@click.option("--participants", type=click.IntRange(1), default=1000, show_default=True, help="People in the register.")
@click.option("--sessions", type=click.IntRange(1), default=100, show_default=True, help="Sessions, with agendas.")
@click.option("--registrations-per-session", type=click.IntRange(0), default=50, show_default=True,
              help="Registrations of each session (every status).")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed: the same seed gives the same data.")
def generate_data_command(participants: int, sessions: int, registrations_per_session: int, seed: int) -> None:
    """Fill the database with synthetic data at scale (for benchmarks)."""
    from forums.data.synthetic import generate

    seed_dimensions()
    counts = generate(participants, sessions, registrations_per_session, seed)
    db.session.commit()
    click.echo(", ".join(f"{count} {name}" for name, count in counts.items()))


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (init_db_command, create_user_command, create_token_command, demo_data_command,
                    purge_expired_command, erase_participant_command, emergency_wipe_command,
                    emergency_restore_command,
                    backup_command, restore_command, generate_data_command):
        app.cli.add_command(command)
