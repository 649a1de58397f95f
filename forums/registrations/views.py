"""The registrations of each session: the staff list, adding people in bulk, changing a status.

Reading personal data is audited (how many rows, never names); every registration change is audited.
"""

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from forums import validation
from forums.api.errors import error_response
from forums.audit import log as audit
from forums.balance import queries as balance_queries
from forums.i18n import current_language
from forums.people import queries as people_queries
from forums.people.forms import (
    participant_filter_form,
)
from forums.registrations import operations
from forums.registrations import queries as registration_queries
from forums.registrations.forms import BulkRegistrationForm, StatusForm
from forums.sessions import queries
from forums.web import failed_status, page_number, staff_required
from models import (
    STATUS_LABELS,
    ForumSession,
    Participant,
    Registration,
    RegistrationStatus,
    SessionStatus,
    db,
)
from models.registrations import SEATED

bp = Blueprint("registrations", __name__, url_prefix="/staff")


def _page_before() -> str | None:
    """The page a refused form was sent from, when it is one of ours (the Referer's path and query)."""
    parts = urlsplit(request.referrer or "")
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    if parts.netloc == request.host and target.startswith("/") and not target.startswith("//") \
            and validation.line_problem(target) is None:
        return target
    return None


@bp.app_errorhandler(operations.SessionCancelled)
def session_cancelled(error: operations.SessionCancelled) -> ResponseReturnValue:
    """A registration change, check-in or draw asked of a cancelled session, from any page or API call.

    Nothing is saved (the transaction is rolled back). The API answers 409 ``session_cancelled``; a form
    goes back to the page it was sent from (which shows the session's cancelled banner) with the
    message; any other request gets the message on an error page.
    """
    db.session.rollback()
    message = _("This session is cancelled: its registrations cannot change and no panel can be drawn. "
                "Nothing was saved. Staff can reinstate the session first.")
    if request.path.startswith("/api/"):
        return error_response(409, message, code="session_cancelled")
    if request.method == "POST":
        flash(message, "error")
        return redirect(_page_before() or url_for("public.session_page", session_id=error.session_id))
    return render_template("error.html", code=409, message=message, advice=None), 409


def _status_filter() -> RegistrationStatus | None:
    value = request.args.get("status", "")
    return RegistrationStatus(value) if value in RegistrationStatus.__members__ else None


def _render_registrations(forum_session: ForumSession, bulk_form: BulkRegistrationForm) -> tuple[str, int]:
    locale = current_language()
    dimensions = people_queries.dimensions()
    status = _status_filter()
    registrations = registration_queries.registration_list(forum_session.id, status, page_number())
    filter_form = participant_filter_form(dimensions, locale)
    candidates = people_queries.participant_list(
        people_queries.participant_filter(filter_form.query(), filter_form.categories()), page_number("cpage"))
    already = registration_queries.registered_ids(forum_session.id, [p.id for p in candidates.items])
    counts = registration_queries.status_counts(forum_session.id)
    html = render_template(
        "registrations/registrations.html", forum_session=forum_session, registrations=registrations,
        counts=counts, status=status, statuses=STATUS_LABELS, seats_for_staff=_seats_for_staff(forum_session, counts),
        bulk_form=bulk_form, filter_form=filter_form,
        candidates=candidates, already=already, dimensions=dimensions, locale=locale,
        filter_args=filter_form.query_args(),
    )
    audit.record("registration.list", "session", forum_session.id, detail=str(len(registrations.items)))
    audit.record_read("register.list", detail=str(len(candidates.items)))
    return html, failed_status(bulk_form) if bulk_form.errors else 200


def _seats_for_staff(forum_session: ForumSession, counts: Mapping[RegistrationStatus, int]) -> int:
    """Free seats the waitlist did not take: its people would take the session off its balance policy
    (``operations.promote_waitlisted``), so staff choose who moves up. 0 when there are none to give."""
    free = forum_session.capacity - sum(counts[status] for status in SEATED)
    waiting = counts[RegistrationStatus.waitlisted]
    if forum_session.status is SessionStatus.cancelled or free <= 0 or not waiting:
        return 0
    return free


def _forum_session(session_id: int) -> ForumSession:
    return queries.session_with_forum(session_id) or abort(404)


@bp.route("/sessions/<int:session_id>/registrations")
@staff_required
def registration_list(session_id: int) -> tuple[str, int]:
    """A session's registrations by status with counts, and the register to invite from."""
    return _render_registrations(_forum_session(session_id), BulkRegistrationForm(formdata=None))


def _names(participant_ids: Sequence[int]) -> str:
    names = db.session.scalars(sa.select(Participant.name).where(Participant.id.in_(participant_ids))
                               .order_by(Participant.search_key))
    return ", ".join(names)


@bp.route("/sessions/<int:session_id>/registrations/add", methods=("POST",))
@staff_required
def registration_add(session_id: int) -> Response | tuple[str, int]:
    """Invite or register the people ticked; over capacity they are waitlisted. Balance is checked first."""
    forum_session = _forum_session(session_id)
    form = BulkRegistrationForm()
    if not form.validate_on_submit():
        return _render_registrations(forum_session, form)
    # A cancelled session is refused before its balance is checked (register() would refuse it anyway).
    operations.lock_open_session(session_id)
    assert form.participant_ids.data is not None  # DataRequired: at least one person was ticked
    wanted = list(dict.fromkeys(form.participant_ids.data))
    people = list(db.session.scalars(sa.select(Participant).where(Participant.id.in_(wanted))
                                     .order_by(Participant.search_key, Participant.id)))
    status = RegistrationStatus.invited if form.action.data == "invite" else RegistrationStatus.registered
    stage = status.value
    warnings = balance_queries.warnings_for_additions(session_id, [p.id for p in people], stage)
    if warnings and form.confirmed.data != "1":
        form.confirmed.data = "1"
        return render_template("registrations/registration_confirm.html", forum_session=forum_session, form=form,
                               people=people, warnings=warnings), 200
    added, waitlisted, duplicates = 0, 0, 0
    for participant in people:
        try:
            registration = operations.register(forum_session, participant, status)
        except operations.RegistrationError:
            duplicates += 1  # the only error for these two starting statuses: already on the list
            continue
        added += 1
        waitlisted += registration.status is RegistrationStatus.waitlisted
    db.session.commit()
    _flash_additions(status, added, waitlisted, duplicates, len(wanted) - len(people))
    if warnings:
        flash(ngettext("%(num)d category is now outside the balance policy; see the balance page.",
                       "%(num)d categories are now outside the balance policy; see the balance page.",
                       len(warnings)), "warning")
    return redirect(url_for(".registration_list", session_id=session_id))


def _flash_additions(status: RegistrationStatus, added: int, waitlisted: int, duplicates: int, unknown: int) -> None:
    if status is RegistrationStatus.invited:
        flash(ngettext("%(num)d person invited.", "%(num)d people invited.", added), "success")
    else:
        flash(ngettext("%(num)d person registered.", "%(num)d people registered.", added - waitlisted), "success")
    if waitlisted:
        flash(ngettext("The session is full: %(num)d person was put on the waitlist.",
                       "The session is full: %(num)d people were put on the waitlist.", waitlisted), "warning")
    if duplicates:
        flash(ngettext("%(num)d person was already on the list and was left as they were.",
                       "%(num)d people were already on the list and were left as they were.", duplicates), "info")
    if unknown:
        flash(ngettext("%(num)d person is no longer in the register.",
                       "%(num)d people are no longer in the register.", unknown), "warning")


@bp.route("/registrations/<int:registration_id>/status", methods=("POST",))
@staff_required
def registration_status(registration_id: int) -> Response:
    """Move one registration to another status; a freed seat goes to the first on the waitlist."""
    registration = db.get_or_404(Registration, registration_id)
    session_id = registration.session_id
    form = StatusForm()
    if not form.validate_on_submit():
        flash(_("Choose a status from the list."), "error")
        return redirect(url_for(".registration_list", session_id=session_id))
    try:
        # Audits the change and each person it moves up from the waitlist (or passes over).
        promotion = operations.change_status(registration, RegistrationStatus(form.status.data))
    except operations.RegistrationError:
        # Staff may make any move (ALLOWED_TRANSITIONS): only a seat the session no longer has is refused.
        db.session.rollback()
        flash(_("The session is full: no seat is free for this person. Put them on the waitlist instead."), "error")
        return redirect(url_for(".registration_list", session_id=session_id))
    # Someone put on the waitlist while seats are free moves straight back up: not news for the flash.
    promoted = [moved for moved in promotion if moved.id != registration.id]
    passed_over = _passed_over_text(promotion.passed_over)
    db.session.commit()
    flash(_("Status changed to %(status)s.", status=STATUS_LABELS[registration.status]), "success")
    if promoted:
        flash(_("Moved up from the waitlist: %(names)s.", names=_names([moved.participant_id for moved in promoted])),
              "info")
    if passed_over:
        flash(_("Passed over on the waitlist, because their seat would take the session further from its balance "
                "policy: %(people)s.", people=passed_over), "warning")
    return redirect(url_for(".registration_list", session_id=session_id))


def _passed_over_text(passed_over: Sequence[operations.PassedOver]) -> str:
    """"Name (Group), Name (Group, Gender)": who a freed seat went past and the dimensions that stopped them."""
    if not passed_over:
        return ""
    names = dict(db.session.execute(
        sa.select(Participant.id, Participant.name)
        .where(Participant.id.in_([skipped.registration.participant_id for skipped in passed_over]))).all())
    locale = current_language()
    dimension_names = {dimension.key: dimension.name(locale) for dimension in people_queries.dimensions()}
    return ", ".join(
        f"{names.get(skipped.registration.participant_id, '')} "
        f"({', '.join(dimension_names.get(key, key) for key in skipped.dimensions)})"
        for skipped in passed_over)
