"""How a confirmation link reaches the person: by mail when a sender takes it, otherwise on the page after they sign up.

The mail feature adds its sender here when the app starts (``add_sender``, ``forums.mail.outbox.signup_submitted``);
each sender is called in the sign-up's transaction, so an outbox row it writes commits or rolls back with the
sign-up. A sender says whether it took the link: when one did, the page says a message is on its way and
does not show the link (the mailed one is the only one that works, see ``forums.mail.compose``); when none
did (no mail configured, only a phone number), the page shows the link.
"""

from collections.abc import Callable
from dataclasses import dataclass

from models import OpenSignup


@dataclass(frozen=True)
class ConfirmationLink:
    """What a sender needs: the sign-up (its session, name and contact) and the absolute link to confirm it."""

    signup: OpenSignup
    url: str
    #: the reader's language when they signed up, for the message
    language: str


#: delivers a link, or declines it (returns False)
Sender = Callable[[ConfirmationLink], bool]

#: called for each new sign-up, in order
_senders: list[Sender] = []


def add_sender(sender: Sender) -> None:
    """Have ``sender`` deliver every confirmation link from now on (the mail feature calls this once)."""
    if sender not in _senders:
        _senders.append(sender)


def deliver(link: ConfirmationLink) -> bool:
    """Hand the link to every sender; returns whether one took it (otherwise the page must show it)."""
    taken = False
    for sender in _senders:
        taken = sender(link) or taken
    return taken
