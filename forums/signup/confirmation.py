"""How a confirmation link reaches the person: on the page after they sign up, and by mail once it exists.

The page always shows the link (the mission's mail may be down, and a phone number gets no mail). A
mail feature delivers it too by adding a sender here when it starts (``add_sender``); each sender is
called in the sign-up's transaction, so an outbox row it writes commits or rolls back with the sign-up.
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


Sender = Callable[[ConfirmationLink], None]

#: called for each new sign-up, in order
_senders: list[Sender] = []


def add_sender(sender: Sender) -> None:
    """Have ``sender`` deliver every confirmation link from now on (the mail feature calls this once)."""
    if sender not in _senders:
        _senders.append(sender)


def deliver(link: ConfirmationLink) -> None:
    """Hand the link to every sender; none is needed, the page shows it anyway."""
    for sender in _senders:
        sender(link)
