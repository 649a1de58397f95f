"""Time-based one-time passwords (RFC 6238, over RFC 4226's HOTP): pure, no app, no database.

The parameters are the ones every authenticator app uses by default: HMAC-SHA1, 6 digits, 30-second
steps, a 160-bit secret written in base32. A code is accepted for the step it was made in and one
step either side (:data:`DRIFT_STEPS`), for a phone whose clock is a little off; the caller refuses a
step at or before the last one accepted, so a code cannot be used twice (replay).
"""

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

DIGITS = 6
STEP_SECONDS = 30
#: steps either side of now whose codes are still accepted (clock drift of up to 30 seconds)
DRIFT_STEPS = 1
SECRET_BYTES = 20


def new_secret() -> str:
    """A random secret in base32, without padding (the form authenticator apps read)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing by hand into an app."""
    return " ".join(secret[start:start + 4] for start in range(0, len(secret), 4))


def _key(secret: str) -> bytes:
    cleaned = secret.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def code_at_step(secret: str, step: int) -> str:
    """The code of one 30-second step (RFC 4226 section 5.3, dynamic truncation)."""
    digest = hmac.new(_key(secret), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10 ** DIGITS).zfill(DIGITS)


def step_of(unix_time: float) -> int:
    """The step a moment falls in."""
    return int(unix_time // STEP_SECONDS)


def matching_step(secret: str, code: str, unix_time: float, after_step: int | None = None) -> int | None:
    """The step whose code ``code`` is, within the drift allowed around ``unix_time``, or None.

    Steps at or before ``after_step`` (the last one accepted) never match: a code is good once.
    """
    typed = "".join(code.split())
    if len(typed) != DIGITS or not typed.isascii() or not typed.isdigit():
        return None
    now = step_of(unix_time)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if after_step is not None and step <= after_step:
            continue
        if hmac.compare_digest(code_at_step(secret, step), typed):
            return step
    return None


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://`` address an authenticator app reads (from a QR code, or pasted)."""
    label = quote(f"{issuer}:{account}", safe=":@")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS,
                       "period": STEP_SECONDS}, quote_via=quote)
    return f"otpauth://totp/{label}?{query}"
