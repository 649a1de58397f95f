"""A participant's own page behind their personal link: their sessions, answers and calendar.

Participants have no account: the unguessable token in the address is their key (forums.people.links).
The pages show only the person's own registrations and each session's published agenda (speakers
are the only other people named); they are marked personal, so no cache keeps them.
"""

from collections import defaultdict

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager, joinedload, raiseload
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.wrappers import Response as BaseResponse

from forums.i18n import current_language, display_zone
from forums.registrations import operations
from forums.sessions import calendar as calendar_views
from forums.sessions import queries
from forums.web.personal import participant_or_404, personal_link_pages
from models import (
    STATUS_LABELS,
    AgendaItem,
    ForumSession,
    Participant,
    Registration,
    RegistrationStatus,
    SessionStatus,
    db,
    utcnow,
)
from models.registrations import CAN_ACCEPT, CAN_DECLINE, ON_LIST, SEATED, ChangedBy

bp = personal_link_pages(Blueprint("personal", __name__, url_prefix="/p"))

#: registrations whose session belongs in the person's calendar: declined and cancelled ones are left out
IN_CALENDAR = ON_LIST


#: the sessions a person's page may show: a draft is the organisers' work in progress, not yet an
#: invitation, so it is neither listed, nor opened, nor answered, nor put in the calendar through the link
NOT_DRAFT = ForumSession.status != SessionStatus.draft


def _registrations(participant_id: int) -> list[Registration]:
    """The person's registrations with their sessions (drafts left out), soonest session first."""
    session_loader = joinedload(Registration.forum_session)
    return list(db.session.scalars(
        sa.select(Registration)
        .join(Registration.forum_session)
        .where(Registration.participant_id == participant_id, NOT_DRAFT)
        .options(session_loader.joinedload(ForumSession.region), session_loader.joinedload(ForumSession.forum),
                 raiseload("*"))
        .order_by(ForumSession.starts_at, ForumSession.id)
    ))


def _calendar_sessions(participant_id: int) -> list[ForumSession]:
    """The sessions of the person's calendar, soonest first, each with its region and agenda.

    The agenda items of all of them come in one query, picked by the person's registrations:
    ``selectinload`` would send the sessions' ids in IN lists of 500, one query more per 500 sessions.
    """
    sessions = [each.forum_session for each in _registrations(participant_id) if each.status in IN_CALENDAR]
    in_calendar = (sa.select(Registration.session_id).join(Registration.forum_session)
                   .where(Registration.participant_id == participant_id, Registration.status.in_(IN_CALENDAR),
                          NOT_DRAFT))
    agendas: dict[int, list[AgendaItem]] = defaultdict(list)
    for item in db.session.scalars(
        sa.select(AgendaItem).where(AgendaItem.session_id.in_(in_calendar)).options(raiseload("*"))
        # ForumSession.agenda's order: by time, then by hand among items that start together
        .order_by(AgendaItem.session_id, AgendaItem.starts_at, AgendaItem.position, AgendaItem.id)
    ):
        agendas[item.session_id].append(item)
    for forum_session in sessions:
        # Loaded as if by the relationship itself: not a change to flush, no lazy load on access.
        set_committed_value(forum_session, "agenda", agendas[forum_session.id])
    return sessions


def _registration_or_404(participant: Participant, session_id: int) -> Registration:
    registration = db.session.scalar(
        sa.select(Registration)
        .join(Registration.forum_session)
        .where(Registration.participant_id == participant.id, Registration.session_id == session_id, NOT_DRAFT)
        .options(contains_eager(Registration.forum_session))
    )
    if registration is None:
        abort(404)
    return registration


def can_answer(registration: Registration) -> bool:
    """Whether the person may still accept or decline: the session is neither cancelled nor over."""
    forum_session = registration.forum_session
    return forum_session.status is not SessionStatus.cancelled and forum_session.ends_at > utcnow()


def _full_sessions(participant_id: int) -> set[int]:
    """The sessions where the person holds a seat and no seat is free (one query, whatever their number)."""
    theirs = sa.select(Registration.session_id).where(Registration.participant_id == participant_id,
                                                       Registration.status.in_(SEATED))
    rows = db.session.execute(
        sa.select(ForumSession.id)
        .join(Registration, Registration.session_id == ForumSession.id)
        .where(ForumSession.id.in_(theirs), Registration.status.in_(SEATED))
        .group_by(ForumSession.id, ForumSession.capacity)
        .having(sa.func.count() >= ForumSession.capacity)
    )
    return {session_id for (session_id,) in rows}


def decline_note(registration: Registration, is_full: bool) -> str | None:
    """What declining means, said beside the Decline button when it is more than "no, thank you".

    Someone holding a seat in a full session gives the seat to the waiting list and cannot take it back
    (accepting again can only waitlist them, ``operations.change_status``); someone waiting loses their
    place. None otherwise.
    """
    if registration.status not in CAN_DECLINE:
        return None
    if registration.status in SEATED and is_full:
        return _("The session is full. If you decline, your seat goes to someone on the waiting list, and you "
                 "cannot take it back: if you change your mind, you can only join the waiting list.")
    if registration.status is RegistrationStatus.waitlisted:
        return _("If you decline, you leave the waiting list and lose your place on it.")
    return None


@bp.route("/<token>")
def home(token: str) -> str:
    """The person's sessions with their status and accept/decline buttons."""
    participant = participant_or_404(token)
    registrations = _registrations(participant.id)
    full = _full_sessions(participant.id)
    return render_template(
        "registrations/personal_home.html", token=token, participant=participant,
        registrations=registrations, status_labels=STATUS_LABELS,
        can_answer=can_answer, can_accept=CAN_ACCEPT, can_decline=CAN_DECLINE,
        decline_notes={each.id: note for each in registrations
                       if (note := decline_note(each, each.session_id in full)) is not None},
    )


@bp.route("/<token>/sessions/<int:session_id>")
def session_page(token: str, session_id: int) -> str:
    """The agenda of a session the person is invited to or registered for, public or not."""
    participant = participant_or_404(token)
    registration = _registration_or_404(participant, session_id)
    forum_session = queries.session_with_agenda(session_id)
    if forum_session is None:
        abort(404)
    return render_template(
        "registrations/personal_session.html", token=token, forum_session=forum_session, registration=registration,
        status_labels=STATUS_LABELS, can_answer=can_answer(registration),
        can_accept=CAN_ACCEPT, can_decline=CAN_DECLINE,
        decline_note=decline_note(registration, session_id in _full_sessions(participant.id)),
    )


@bp.post("/<token>/sessions/<int:session_id>/answer")
def answer(token: str, session_id: int) -> BaseResponse:
    """Accept (a seat if one is free, else the waiting list) or decline an invitation."""
    participant = participant_or_404(token)
    registration = _registration_or_404(participant, session_id)
    choice = request.form.get("answer")
    back = (url_for("personal.session_page", token=token, session_id=session_id)
            if request.form.get("from") == "session" else url_for("personal.home", token=token))
    if registration.forum_session.status is SessionStatus.cancelled:
        flash(_("This session is cancelled: your answer was not recorded, and there is nothing to answer."), "error")
        return redirect(back)
    if not can_answer(registration):
        flash(_("This session can no longer be answered."), "error")
        return redirect(back)
    # change_status() audits the answer under the person's link, and every seat it frees.
    if choice == "accept" and registration.status in CAN_ACCEPT:
        try:
            operations.change_status(registration, RegistrationStatus.registered, by=ChangedBy.participant)
            flash(_("Thank you: your seat is reserved."), "success")
        except operations.RegistrationError:
            operations.change_status(registration, RegistrationStatus.waitlisted, by=ChangedBy.participant)
            flash(_("The session is full: you are on the waiting list and will get a seat if one frees up."),
                  "warning")
    elif choice == "decline" and registration.status in CAN_DECLINE:
        gave_up_a_seat = registration.status in SEATED
        operations.change_status(registration, RegistrationStatus.declined, by=ChangedBy.participant)
        if gave_up_a_seat and operations.free_seats(registration.forum_session) == 0:
            flash(_("You have declined, and your seat has gone to the waiting list. Thank you for letting us know."),
                  "success")
        else:
            flash(_("You have declined. Thank you for letting us know."), "success")
    else:
        abort(400)
    db.session.commit()
    return redirect(back)


@bp.route("/<token>/calendar.ics")
def calendar(token: str) -> Response:
    """The person's sessions as a calendar feed (declined and cancelled ones left out)."""
    participant = participant_or_404(token)
    locale = current_language()
    sessions = _calendar_sessions(participant.id)
    body = calendar_views.sessions_calendar(
        sessions, name=_("My sessions · Dialogue Desk"), locale=locale, zone=display_zone(),
        url_for_session=lambda each: url_for("personal.session_page", token=token, session_id=each.id,
                                             _external=True),
    )
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="my-sessions.ics"'
    return response
