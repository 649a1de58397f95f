"""The confirmation link by mail: queued with the sign-up, only the mailed link works, a GET on it changes nothing."""

import re
from typing import Any

import pytest
import sqlalchemy as sa

from forums.mail import compose
from forums.signup import confirmation, operations
from models import MailKind, MailMessage, MailState, OpenSignup, Registration, db
from tests.signup.test_signup import club, sign_up  # noqa: F401 (club is a fixture)


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """An app that sends mail (no server is needed to queue it)."""
    return {**app_config, "MAIL_HOST": "127.0.0.1", "MAIL_TLS": "none", "MAIL_BASE_URL": "https://desk.example.org"}


def _messages() -> list[MailMessage]:
    return list(db.session.scalars(sa.select(MailMessage).order_by(MailMessage.id)))


def _count(model: type) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_a_sign_up_queues_its_link_and_only_the_mailed_link_confirms_by_its_button(app, client, club):  # noqa: F811
    page = sign_up(client, club.id, email="Nigora@Example.net")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "We sent you an e-mail with a link" in body and "code=" not in body
    [message] = _messages()
    signup = db.session.scalars(sa.select(OpenSignup)).one()
    assert (message.kind, message.state, message.signup_id, message.registration_id, message.session_id,
            message.recipient, message.language) == (MailKind.signup_confirmation, MailState.queued, signup.id, None,
                                                       club.id, "nigora@example.net", "en")
    mail = compose.build(message)
    db.session.commit()  # the sender commits the renewed code before the message leaves
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    found = re.search(r"https://desk\.example\.org/signup/confirm\?code=([A-Za-z0-9_-]+)", text)
    assert found and f'href="{found.group(0)}"' in html and "Nigora Rahimova" in text
    assert not [part for part in mail.iter_attachments()]  # no calendar: not registered yet
    # Opening the link (what a mail scanner does) changes nothing.
    opened = client.get(f"/signup/confirm?code={found.group(1)}")
    assert opened.status_code == 200 and "Confirm my registration" in opened.get_data(as_text=True)
    assert _count(Registration) == 0
    assert client.post("/signup/confirm", data={"code": found.group(1)}).status_code == 200
    assert _count(Registration) == 1


def test_the_message_rolls_back_with_its_sign_up_and_a_phone_only_sign_up_sees_the_link(app, client, club):  # noqa: F811
    signup, code = operations.submit(club, operations.SignupAnswers(name="Farrukh", email="farrukh@example.net"))
    assert confirmation.deliver(confirmation.ConfirmationLink(signup, f"https://x/signup/confirm?code={code}", "ru"))
    assert len(_messages()) == 1
    db.session.rollback()
    assert _messages() == [] and _count(OpenSignup) == 0
    page = sign_up(client, club.id, email="", phone="+992 900 00 00 00")
    assert "code=" in page.get_data(as_text=True) and _messages() == []
