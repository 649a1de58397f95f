"""Bounces come back to each message's VERP address; repeated ones flag the address; staff see who was not reached."""

import mailbox
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from forums.mail import outbox, verp
from models import ForumSession, MailAddressHealth, MailKind, MailMessage, MailState, Participant, User, db, utcnow
from tests.conftest import sign_in_without_password
from tests.mail.helpers import invite, messages, person, release_all
from tests.mail.test_rules import dsn


def _sent_invitations(runner: Any, forum_session: ForumSession, people: list[Participant]) -> list[MailMessage]:
    for participant in people:
        invite(forum_session, participant)
    release_all(forum_session.id)
    runner.invoke(args=["send-mail"])
    return messages()


def test_a_bounce_marks_the_message_and_repeated_ones_flag_the_address(
        app: Flask, runner: Any, tmp_path: Path, client: FlaskClient, create_user: Callable[..., User],
        create_session: Callable[..., ForumSession],
        create_participant: Callable[..., Participant]) -> None:
    nigora = person(create_participant, "Nigora", "nigora@example.org")
    first = _sent_invitations(runner, create_session(), [nigora])[0]

    def report(message: MailMessage, action: str = "failed", status: str = "5.1.1") -> bytes:
        return dsn(verp.return_path(message.id, app.config["SECRET_KEY"], "bounce.example"), action, status)

    forged = dsn(verp.return_path(first.id, "not our secret", "bounce.example"), "failed", "5.1.1")
    path = tmp_path / "bounces.mbox"
    box = mailbox.mbox(str(path))
    for raw in (report(first, "delayed", "4.4.1"), forged, b"From: someone\r\n\r\nspam\r\n"):
        box.add(raw)
    box.close()
    result = runner.invoke(args=["read-bounces", "--mbox", str(path)])
    assert "1 bounce reports recorded, 2 skipped" in result.output
    assert messages()[0].state is MailState.sent  # a delay is no failure
    runner.invoke(args=["read-bounces", "-"], input=report(first))
    assert messages()[0].state is MailState.bounced
    health = db.session.scalar(sa.select(MailAddressHealth))
    assert health is not None and (health.permanent_bounces, health.flagged_at) == (1, None)
    # A second session, a second bounce: the address is flagged, and nobody writes to it any more.
    second = _sent_invitations(runner, create_session(title="Second"), [nigora])[-1]
    runner.invoke(args=["read-bounces", "-"], input=report(second))
    db.session.refresh(health)
    assert health.permanent_bounces == 2 and health.flagged_at is not None
    invite(create_session(title="Third"), nigora)
    assert len(messages()) == 2
    # The register says so on the person's page.
    sign_in_without_password(client, create_user())
    page = client.get(f"/staff/participants/{nigora.id}").get_data(as_text=True)
    assert "Mail to this address bounced 2 times: nothing more is sent to it" in page


def test_the_balance_dashboard_shows_per_category_who_was_not_reached(
        app: Flask, client: FlaskClient, runner: Any, create_user: Callable[..., User],
        create_session: Callable[..., ForumSession], create_participant: Callable[..., Participant]) -> None:
    forum_session = create_session()
    south = person(create_participant, "South", "south@example.org", region="kurgan_tyube")
    silent = person(create_participant, "Silent", "silent@example.org", region="leninabad")
    bounced, _ = _sent_invitations(runner, forum_session, [south, silent])
    outbox.record_bounce(bounced.id, True, "5.1.1")
    db.session.commit()
    sign_in_without_password(client, create_user())
    page = client.get(f"/sessions/{forum_session.id}/balance?stage=invited").get_data(as_text=True)
    section = page[page.index("Not reached by mail"):]
    assert "<td>Region</td><td>Kurgan-Tyube</td><td>1</td><td>0</td>" in section  # bounced
    assert "<td>Region</td><td>Leninabad (Sughd)</td><td>0</td><td>1</td>" in section  # never answered
    assert "<td>Region</td><td>Dushanbe</td>" not in section
    sign_in_without_password(client, create_user("facilitator"))
    from models import SessionFacilitator

    db.session.add(SessionFacilitator(session_id=forum_session.id, user_id=db.session.scalar(
        sa.select(User.id).where(User.role == "facilitator"))))
    db.session.commit()
    assert "Not reached by mail" not in client.get(f"/sessions/{forum_session.id}/balance").get_data(as_text=True)


def test_finished_mail_is_purged_after_the_retention_period(
        runner: Any, create_session: Callable[..., ForumSession],
        create_participant: Callable[..., Participant]) -> None:
    forum_session = create_session()
    [old] = _sent_invitations(runner, forum_session, [person(create_participant, "Old", "old@example.org")])
    invite(forum_session, person(create_participant, "New", "new@example.org"))  # a draft: never purged
    db.session.execute(sa.update(MailMessage).where(MailMessage.id == old.id)
                       .values(updated_at=utcnow() - timedelta(days=31)))
    db.session.commit()
    assert "Purged 1 finished messages." in runner.invoke(args=["send-mail"]).output
    assert [(m.kind, m.state) for m in messages()] == [(MailKind.invitation, MailState.draft)]


def test_production_refuses_unsafe_mail_settings(app_config: dict[str, Any]) -> None:
    production = {**app_config, "PRODUCTION": True, "TRUSTED_HOSTS": ["desk.example.org"]}
    with pytest.raises(RuntimeError, match="FLASK_MAIL_TLS=none"):
        create_app({**production, "MAIL_HOST": "smtp.example.org", "MAIL_TLS": "none",
                    "MAIL_BASE_URL": "https://desk.example.org"})
    with pytest.raises(RuntimeError, match="FLASK_MAIL_BASE_URL"):
        create_app({**production, "MAIL_HOST": "smtp.example.org", "MAIL_TLS": "starttls",
                    "MAIL_BASE_URL": "http://desk.example.org"})
    # A relay on the same host may take mail in the clear.
    assert create_app({**production, "MAIL_HOST": "127.0.0.1", "MAIL_TLS": "none",
                       "MAIL_BASE_URL": "https://desk.example.org"})


def test_merging_two_records_keeps_the_bounce_history_of_their_addresses(
        create_participant: Callable[..., Participant]) -> None:
    from forums.people import merge

    kept = person(create_participant, "Kept", "same@example.org")
    merged = person(create_participant, "Merged", "same@example.org")
    other = person(create_participant, "Other", "other@example.org")
    now = utcnow()
    db.session.add_all([MailAddressHealth(participant_id=kept.id, address="same@example.org", permanent_bounces=1),
                        MailAddressHealth(participant_id=merged.id, address="same@example.org", permanent_bounces=2,
                                          flagged_at=now),
                        MailAddressHealth(participant_id=merged.id, address="old@example.org", permanent_bounces=1)])
    db.session.commit()
    merge.merge(kept, merged)
    db.session.commit()
    rows = db.session.execute(sa.select(MailAddressHealth.participant_id, MailAddressHealth.address,
                                        MailAddressHealth.permanent_bounces).order_by(MailAddressHealth.address)).all()
    assert [tuple(row) for row in rows] == [(kept.id, "old@example.org", 1), (kept.id, "same@example.org", 1)]
    assert other.id not in {row[0] for row in rows}
