"""Answers given by phone or on paper, typed in by staff: the person's own answer, under the person's rules.

The answer moves the registration exactly as the person's page would (``ChangedBy.participant``: accept
from invited or declined, decline from anything not closed or attended; a full session waitlists an
acceptance), so a staff member cannot record as the person's answer what the person could not have
given. ``change_status`` audits the answer under the person's link; this adds ``mail.offline_answer``
naming the member of staff and the channel, and the status change is mailed as any other.
"""

from forums.audit import log as audit
from forums.registrations import operations
from models import Registration, RegistrationStatus
from models.registrations import CAN_ACCEPT, CAN_DECLINE, ChangedBy

#: how an answer reached the organisers
CHANNELS = ("phone", "paper", "in_person")
ANSWERS = ("accept", "decline")


def record_answer(registration: Registration, answer: str, channel: str) -> RegistrationStatus:
    """Record ``answer`` (accept / decline) the person gave through ``channel``; returns the new status.

    Raises ``operations.RegistrationError("not_allowed")`` when the person could not give that answer
    now, and ``ValueError`` for an unknown answer or channel.
    """
    if answer not in ANSWERS or channel not in CHANNELS:
        raise ValueError(answer if answer not in ANSWERS else channel)
    if answer == "accept":
        if registration.status not in CAN_ACCEPT:
            raise operations.RegistrationError("not_allowed")
        try:
            operations.change_status(registration, RegistrationStatus.registered, by=ChangedBy.participant)
        except operations.RegistrationError as error:
            if error.code != "full":
                raise
            operations.change_status(registration, RegistrationStatus.waitlisted, by=ChangedBy.participant)
    else:
        if registration.status not in CAN_DECLINE:
            raise operations.RegistrationError("not_allowed")
        operations.change_status(registration, RegistrationStatus.declined, by=ChangedBy.participant)
    audit.record("mail.offline_answer", "registration", registration.id, detail=f"{answer} by {channel}")
    return registration.status
