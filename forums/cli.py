"""Command-line tools: ``flask --app app <command>``."""

import sys

import click
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from forums import audit
from forums.passwords import password_problem
from forums.security import hash_password
from forums.seed import seed_dimensions
from forums.tokens import issue_token
from models import Role, User, db


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
def create_token_command(email: str) -> None:
    """Print a new API token for an existing user."""
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active:
        raise click.ClickException(f"No active user {email}.")
    token = issue_token(user)
    audit.record("token.create", "user", user.id)
    db.session.commit()
    click.echo(token)


@click.command("demo-data")
def demo_data_command() -> None:
    """Fill the database with fictional forums, sessions and people (safe to run twice)."""
    from forums.demo import load_demo_data

    seed_dimensions()
    summary = load_demo_data()
    db.session.commit()
    click.echo(summary)


@click.command("generate-data")
@click.option("--participants", type=click.IntRange(1), default=1000, show_default=True, help="People in the register.")
@click.option("--sessions", type=click.IntRange(1), default=100, show_default=True, help="Sessions, with agendas.")
@click.option("--registrations-per-session", type=click.IntRange(0), default=50, show_default=True,
              help="Registrations of each session (every status).")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed: the same seed gives the same data.")
def generate_data_command(participants: int, sessions: int, registrations_per_session: int, seed: int) -> None:
    """Fill the database with synthetic data at scale (for benchmarks)."""
    from forums.synthetic import generate

    seed_dimensions()
    counts = generate(participants, sessions, registrations_per_session, seed)
    db.session.commit()
    click.echo(", ".join(f"{count} {name}" for name, count in counts.items()))


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (init_db_command, create_user_command, create_token_command, demo_data_command,
                    generate_data_command):
        app.cli.add_command(command)
