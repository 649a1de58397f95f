"""A sign-up's confirmation link through a real SMTP server: sent once, never after the sign-up is confirmed."""

from typing import Any

import sqlalchemy as sa

from forums.signup import operations
from models import MailMessage, MailState, OpenSignup, db
from tests.conftest import sign_in_without_password
from tests.mail.conftest import SmtpServer
from tests.signup.test_signup import club, sign_up  # noqa: F401 (club is a fixture)


def test_send_mail_delivers_the_confirmation_link_and_skips_a_sign_up_confirmed_meanwhile(
        app: Any, client: Any, club: Any, runner: Any, smtp: SmtpServer,
        create_user: Any) -> None:  # noqa: F811
    sign_up(client, club.id, name="Nigora Rahimova", email="nigora@example.net")
    sign_up(client, club.id, name="Farrukh Saidov", email="farrukh@example.net")
    confirmed_meanwhile = db.session.scalars(sa.select(OpenSignup).where(OpenSignup.name == "Farrukh Saidov")).one()
    operations.confirm(confirmed_meanwhile, club)
    db.session.commit()
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    # Farrukh, registered on confirming, is told of his seat instead (a registration's own message).
    links = {received.recipients[0]: "/signup/confirm?code=" in received.message.get_body(("plain",)).get_content()
             for received in smtp.handler.received}
    assert links == {"nigora@example.net": True, "farrukh@example.net": False}
    db.session.expire_all()
    states = {message.recipient: (message.state, message.last_error)
              for message in db.session.scalars(sa.select(MailMessage).where(MailMessage.signup_id.is_not(None)))}
    assert states == {"nigora@example.net": (MailState.sent, ""),
                      "farrukh@example.net": (MailState.aborted, "signup_confirmed")}
    # The staff outbox lists both, saying why the second was stopped.
    staff = app.test_client()
    sign_in_without_password(staff, create_user())
    outbox = staff.get("/staff/mail").get_data(as_text=True)
    assert "Sign-up confirmation" in outbox and "The sign-up was confirmed already." in outbox
