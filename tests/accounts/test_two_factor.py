"""Two-factor sign-in (TOTP, RFC 6238) with recovery codes, replay refused, throttled, and required by an admin."""

import re
import time
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from forums.accounts import totp, two_factor
from models import RecoveryCode, User, db
from tests.conftest import TEST_PASSWORD, sign_in_without_password


def test_rfc_6238_test_vectors():
    # RFC 6238 appendix B, SHA-1, secret "12345678901234567890", 8 digits; the last 6 are our code.
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert totp.code_at_step(secret, totp.step_of(59)) == "287082"
    assert totp.code_at_step(secret, totp.step_of(1111111109)) == "081804"
    assert totp.code_at_step(secret, totp.step_of(2000000000)) == "279037"


def test_a_code_matches_its_step_and_a_neighbour_but_never_twice():
    secret = totp.new_secret()
    now = 1_800_000_000.0
    code = totp.code_at_step(secret, totp.step_of(now) - 1)
    assert totp.matching_step(secret, code, now) == totp.step_of(now) - 1
    assert totp.matching_step(secret, code, now, after_step=totp.step_of(now) - 1) is None
    assert totp.matching_step(secret, code, now + 90) is None
    assert totp.matching_step(secret, "12345a", now) is None


def test_the_enrolment_address_names_the_app_and_the_account():
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXP", "a@example.org", "Dialogue Desk")
    assert uri.startswith("otpauth://totp/Dialogue%20Desk:a@example.org?secret=JBSWY3DPEHPK3PXP")
    assert totp.grouped("JBSWY3DPEHPK3PXP") == "JBSW Y3DP EHPK 3PXP"


def _current_code(user: User, steps_ahead: int = 0) -> str:
    """The code the user's app shows now, or ``steps_ahead`` steps later (a step used once is not accepted again)."""
    db.session.expire_all()
    user = db.session.get(User, user.id)
    secret = two_factor._decrypt(user.totp_secret)
    return totp.code_at_step(secret, totp.step_of(time.time()) + steps_ahead)


def _enrol(app, user: User) -> list[str]:
    """Enrol through the pages; the recovery codes shown."""
    client = sign_in_without_password(app.test_client(), user)
    assert client.post("/account/two-factor/start", data={}).status_code == 302
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "otpauth://totp/" in page and 'src="data:image/svg+xml' in page  # the address, and its QR code
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret not in page  # stored encrypted, never as shown
    response = client.post("/account/two-factor", data={"code": _current_code(user)})
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([^<]+)</code></li>", response.get_data(as_text=True))
    assert len(codes) == two_factor.RECOVERY_CODES
    return codes


@pytest.fixture
def enrolled(app, create_user):
    user = create_user("organiser", email="twofactor@example.org")
    codes = _enrol(app, user)
    return user, codes


def test_enrolment_stores_hashes_and_a_secret_shown_only_while_enrolling(app, enrolled):
    user, codes = enrolled
    hashes = set(db.session.scalars(sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
    assert len(hashes) == len(codes) and not hashes & set(codes)
    page = sign_in_without_password(app.test_client(), user).get("/account/two-factor").get_data(as_text=True)
    assert "otpauth://" not in page


def test_sign_in_asks_for_the_code_and_refuses_it_twice(app, enrolled):
    user, _codes = enrolled
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.headers["Location"].endswith("/login/code")
    assert client.get("/staff/sessions").status_code == 302  # not signed in after the password alone
    assert client.post("/login/code", data={"code": _current_code(user)}).status_code == 200  # used at enrolment
    code = _current_code(user, steps_ahead=1)
    assert client.post("/login/code", data={"code": code}).status_code == 302
    assert client.get("/staff/sessions").status_code == 200
    other = app.test_client()
    other.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    refused = other.post("/login/code", data={"code": code})
    assert refused.status_code == 200 and "used already" in refused.get_data(as_text=True)
    assert other.get("/staff/sessions").status_code == 302


def test_a_recovery_code_signs_in_once(app, enrolled):
    user, codes = enrolled
    for expected in (302, 200):
        client = app.test_client()
        client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
        assert client.post("/login/code", data={"code": codes[0].upper()}).status_code == expected


def test_guessing_codes_is_throttled_per_account(app_config, enrolled):
    from app import create_app
    email = enrolled[0].email
    db.session.commit()  # on SQLite an open transaction of the test would lock the other app out
    throttled = create_app({**app_config, "RATELIMIT_ENABLED": True, "TWO_FACTOR_RATE_LIMIT": "3 per 5 minutes"})
    with throttled.app_context():
        client = throttled.test_client()
        signed = client.post("/login", data={"email": email, "password": TEST_PASSWORD})
        assert signed.headers["Location"].endswith("/login/code"), signed.get_data(as_text=True)
        statuses = [client.post("/login/code", data={"code": "000000"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_an_admin_can_require_two_factor_for_all_staff(app, create_user, token_for):
    admin = create_user("admin")
    organiser = create_user("organiser")
    signed_in_before = sign_in_without_password(app.test_client(), organiser)
    admin_client = sign_in_without_password(app.test_client(), admin)
    required = admin_client.post("/admin/two-factor/require", data={})
    assert required.headers["Location"].endswith("/account/two-factor")  # the admin has none either
    assert admin_client.get("/admin/users").headers["Location"].endswith("/account/two-factor")
    assert two_factor.is_required()
    assert signed_in_before.get("/staff/sessions").status_code == 302  # signed out: no session escapes
    client = app.test_client()
    response = client.post("/login", data={"email": organiser.email, "password": TEST_PASSWORD})
    assert response.headers["Location"].endswith("/account/two-factor")
    # Until enrolled, every other page sends them back; API cookie calls are refused.
    assert client.get("/staff/sessions").headers["Location"].endswith("/account/two-factor")
    assert client.get("/api/v1/forums").status_code == 401
    # Bearer tokens are not affected.
    assert app.test_client().get("/api/v1/forums", headers=token_for(organiser)).status_code == 200
    _enrol(app, organiser)
    assert sign_in_without_password(app.test_client(), organiser).get("/staff/sessions").status_code == 200
    assert client.get("/staff/sessions").status_code == 200  # the marked session goes on once enrolled


def test_an_admin_resets_a_lost_second_factor(app, enrolled, create_user):
    user, _codes = enrolled
    admin_client = sign_in_without_password(app.test_client(), create_user("admin"))
    assert admin_client.post(f"/admin/users/{user.id}/two-factor-reset", data={}).status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, user.id).has_two_factor
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 0


def test_staff_change_their_own_password_and_see_their_sign_ins(app, create_user):
    user = create_user("facilitator")
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    stale = app.test_client()
    stale.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    page = client.get("/account").get_data(as_text=True)
    assert "Signed in" in page and "/account/tokens" in page
    weak = client.post("/account/password", data={"current": TEST_PASSWORD, "new": "password1234",
                                                   "repeat": "password1234"})
    assert weak.status_code == 200 and "too" in weak.get_data(as_text=True)
    new = "violet tractor under seven lanterns"
    wrong = client.post("/account/password", data={"current": "not it at all, sorry", "new": new, "repeat": new})
    assert "not your current password" in wrong.get_data(as_text=True)
    assert client.post("/account/password", data={"current": TEST_PASSWORD, "new": new, "repeat": new}
                       ).status_code == 302
    assert client.get("/account").status_code == 200  # this browser stays signed in
    assert stale.get("/account").status_code == 302  # the other one is signed out
    assert "Changed their own password" in client.get("/account").get_data(as_text=True)


def test_new_recovery_codes_and_turning_off_need_the_password(app, enrolled):
    user, codes = enrolled
    client = sign_in_without_password(app.test_client(), user)
    wrong = client.post("/account/two-factor/recovery-codes", data={"current": "not the password at all"})
    assert wrong.status_code == 422 and "not your current password" in wrong.get_data(as_text=True)
    renewed = client.post("/account/two-factor/recovery-codes", data={"current": TEST_PASSWORD})
    fresh = re.findall(r"<li><code>([^<]+)</code></li>", renewed.get_data(as_text=True))
    assert len(fresh) == two_factor.RECOVERY_CODES and not set(fresh) & set(codes)
    assert client.post("/account/two-factor/off", data={"current": "wrong again, sorry"}).status_code == 422
    assert client.post("/account/two-factor/off", data={"current": TEST_PASSWORD}).status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, user.id).has_two_factor


def test_guessing_ones_own_password_is_throttled(app_config, create_user):
    from app import create_app
    stored_id = create_user("organiser").get_id()  # read before the commit below, which expires the user
    signed_in = SimpleNamespace(get_id=lambda: stored_id)
    db.session.commit()  # on SQLite an open transaction of the test would lock the other app out
    throttled = create_app({**app_config, "RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "2 per minute"})
    with throttled.app_context():
        client = sign_in_without_password(throttled.test_client(), signed_in)
        statuses = [client.post("/account/password", data={"current": f"guess number {n}", "new": "x", "repeat": "x"}
                                ).status_code for n in range(3)]
    assert statuses == [200, 200, 429]
