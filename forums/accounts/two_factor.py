"""Two-factor sign-in: enrolment, checking a code, recovery codes and the rule that requires it.

Rules:

- **Enrolment** stores a new secret, encrypted, and shows it once (as an ``otpauth://`` address and in
  groups of four); it guards sign-in only after a first code proves the app has it
  (``User.totp_confirmed_at``). Confirming makes :data:`RECOVERY_CODES` new recovery codes, shown once.
- **A code** is good for its 30-second step and one step either side (``forums.accounts.totp``), and only
  once: a step at or before the last one accepted is refused, so a code seen over a shoulder cannot be
  used again within its window.
- **A recovery code** stands in for a code once; only its SHA-256 hash is kept (the codes carry 80 random
  bits, so a fast hash is enough).
- **The secret** is encrypted with a key derived from ``SECRET_KEY`` (Fernet); after a key rotation the
  keys in ``SECRET_KEY_FALLBACKS`` still read it.
- **Required for all staff** when an admin says so (``AccountPolicy``): staff without a second factor are
  signed out at once, sent to enrolment after their password, and can do nothing else until they finish.
  API bearer tokens are not affected: a token is itself the credential, made by someone who signed in.
- Verification is throttled per account by the sign-in view: ``TWO_FACTOR_RATE_LIMIT`` failed codes
  (default :data:`DEFAULT_RATE_LIMIT`); a million codes cannot be tried at 5 per 5 minutes.
"""

import base64
import hashlib
import secrets
import time

import segno
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

from forums.accounts import totp
from forums.audit import log as audit
from models import AccountPolicy, RecoveryCode, User, db, utcnow

RECOVERY_CODES = 10
#: characters of a recovery code: base32 without padding, 5 bits each (16 characters: 80 bits)
RECOVERY_CODE_LENGTH = 16
ISSUER = "Dialogue Desk"
#: failed codes allowed per account before the second step of sign-in answers 429 for a while
DEFAULT_RATE_LIMIT = "5 per 5 minutes"


def _fernet() -> MultiFernet:
    keys = (current_app.config["SECRET_KEY"], *(current_app.config.get("SECRET_KEY_FALLBACKS") or ()))
    return MultiFernet([
        Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"dialogue-desk totp secret:" + str(key).encode()).digest()))
        for key in keys
    ])


def _encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode("ascii")).decode("ascii")


def _decrypt(stored: str) -> str | None:
    try:
        return _fernet().decrypt(stored.encode("ascii")).decode("ascii")
    except InvalidToken:
        # Encrypted under a key no longer configured: the account must enrol again (an admin resets it).
        return None


def is_required() -> bool:
    """Whether an admin requires a second factor of every member of staff."""
    policy = db.session.get(AccountPolicy, 1)
    return policy is not None and policy.require_two_factor


def set_required(required: bool, admin: User) -> None:
    """Require a second factor of every member of staff, or stop requiring it; audited.

    Requiring it signs out every other account without one: they meet enrolment at their next sign-in
    (the admin's own session is marked by the caller).
    """
    policy = db.session.get(AccountPolicy, 1)
    if policy is None:
        policy = AccountPolicy(id=1)
        db.session.add(policy)
    if required and not policy.require_two_factor:
        db.session.execute(sa.update(User).where(User.totp_confirmed_at.is_(None), User.id != admin.id)
                           .values(session_version=User.session_version + 1)
                           .execution_options(synchronize_session=False))
    policy.require_two_factor = required
    audit.record("account_policy.two_factor_required" if required else "account_policy.two_factor_optional",
                 "account_policy", 1)
    db.session.flush()


def must_enrol(user: User) -> bool:
    """Whether ``user`` has to enrol before using the app: it is required and they have no second factor."""
    return not user.has_two_factor and is_required()


def begin_enrolment(user: User) -> str:
    """Give ``user`` a new secret (not yet guarding sign-in) and return it, shown only until a code confirms it."""
    secret = totp.new_secret()
    user.totp_secret = _encrypt(secret)
    user.totp_confirmed_at = None
    user.totp_last_step = None
    db.session.flush()
    return secret


def enrolment_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` address of a secret for ``user``'s authenticator app."""
    return totp.provisioning_uri(secret, user.email, ISSUER)


def qr_code_image(uri: str) -> str:
    """The address as a QR code, an SVG in a ``data:`` address for an ``<img>``: no script, no request, no markup."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=4, border=4, dark="#000", light="#fff"))


def pending_secret(user: User) -> str | None:
    """The secret of an enrolment begun but not confirmed, to show again while it is being set up."""
    if user.totp_secret is None or user.totp_confirmed_at is not None:
        return None
    return _decrypt(user.totp_secret)


def _accept_code(user: User, code: str) -> bool:
    secret = _decrypt(user.totp_secret) if user.totp_secret else None
    if secret is None:
        return False
    step = totp.matching_step(secret, code, time.time(), after_step=user.totp_last_step)
    if step is None:
        return False
    # A conditional UPDATE, not a read then a write: two requests racing with one code cannot both pass.
    accepted = db.session.execute(
        sa.update(User).where(User.id == user.id,
                              sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False)
    )
    db.session.expire(user, ["totp_last_step"])
    return bool(accepted.rowcount)  # type: ignore[attr-defined]


def confirm_enrolment(user: User, code: str) -> list[str] | None:
    """Turn the second factor on if ``code`` is right; the new recovery codes (shown once), or None."""
    if user.totp_secret is None or user.totp_confirmed_at is not None or not _accept_code(user, code):
        return None
    user.totp_confirmed_at = utcnow()
    codes = replace_recovery_codes(user)
    audit.record("auth.two_factor_enrol", "user", user.id)
    return codes


def _recovery_hash(code: str) -> str:
    normalised = "".join(code.split()).replace("-", "").upper()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def _new_recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(RECOVERY_CODE_LENGTH * 5 // 8)).decode("ascii").lower()
    return "-".join(raw[start:start + 4] for start in range(0, RECOVERY_CODE_LENGTH, 4))


def replace_recovery_codes(user: User) -> list[str]:
    """New recovery codes for ``user`` (the old ones stop working); only their hashes are kept."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(code)) for code in codes)
    db.session.flush()
    return codes


def unused_recovery_codes(user: User) -> int:
    """How many of ``user``'s recovery codes are left."""
    return db.session.scalar(sa.select(sa.func.count(RecoveryCode.id))
                             .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def _spend_recovery_code(user: User, code: str) -> bool:
    # The conditional UPDATE spends the code atomically: two requests racing with it cannot both succeed.
    spent = db.session.execute(
        sa.update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _recovery_hash(code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(spent.rowcount)  # type: ignore[attr-defined]


def verify(user: User, code: str) -> str | None:
    """Check a second factor: ``"code"`` or ``"recovery"`` by what was accepted, or None; audited either way."""
    if not user.has_two_factor:
        return None
    how = "code" if _accept_code(user, code) else "recovery" if _spend_recovery_code(user, code) else None
    if how is None:
        audit.record("auth.two_factor_failed", "user", user.id, actor="anonymous")
    else:
        audit.record("auth.two_factor_code" if how == "code" else "auth.two_factor_recovery", "user", user.id,
                     actor=user.email)
    return how


def turn_off(user: User) -> None:
    """Remove ``user``'s second factor and recovery codes (their own choice, or an admin's reset); audited."""
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record("auth.two_factor_off", "user", user.id)
    db.session.flush()
