"""Return addresses that name their message (VERP), pure.

Each message goes out with the envelope sender ``bounces+<id>-<signature>@<domain>``: a bounce comes back
to that address, and the address says which message bounced. The signature (an HMAC of the id under the
app's secret) means a forged report cannot mark someone else's message as bounced by guessing ids.
"""

import hashlib
import hmac
import re

LOCAL_PREFIX = "bounces"
_SIGNATURE_LENGTH = 12
_ADDRESS = re.compile(rf"^{LOCAL_PREFIX}\+(\d{{1,18}})-([0-9a-f]{{{_SIGNATURE_LENGTH}}})@([^@\s>]+)$", re.IGNORECASE)


def _signature(message_id: int, secret: str) -> str:
    return hmac.new(secret.encode(), f"mail-message:{message_id}".encode(), hashlib.sha256).hexdigest()[
        :_SIGNATURE_LENGTH]


def return_path(message_id: int, secret: str, domain: str) -> str:
    """The envelope sender of message ``message_id``."""
    return f"{LOCAL_PREFIX}+{message_id}-{_signature(message_id, secret)}@{domain}"


def message_id_of(address: str, secret: str, domain: str) -> int | None:
    """The message a return address names, or None when it is not one of ours or its signature is wrong."""
    match = _ADDRESS.match(address.strip().strip("<>"))
    if match is None or match.group(3).lower() != domain.lower():
        return None
    message_id = int(match.group(1))
    if not hmac.compare_digest(match.group(2).lower(), _signature(message_id, secret)):
        return None
    return message_id
