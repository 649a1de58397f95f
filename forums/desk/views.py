"""The desk's pages: the staff home, a session's own staff page, inviting from a suggestion, changing many at once.

Views are thin: queries load, ``forums.balance.queries.preview_moves`` says what a change would do to the
session's balance, ``forums.registrations.operations`` makes it (and audits it), the view commits once, so a
change of many registrations is one transaction: all of it or, on any refusal, nothing.
"""

from collections.abc import Mapping

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from forums import validation
from forums.accounts.permissions import Need, session_or_abort
from forums.audit import labels as audit_labels
from forums.audit import log as audit
from forums.balance import queries as balance_queries
from forums.balance.rules import STAGES
from forums.desk import home as _home_panels  # noqa: F401  (registers the home's own panels)
from forums.desk import queries
from forums.desk.forms import BULK_LIMIT, BulkForm, BulkStatusForm, CopyForumForm, CopySessionForm, InviteForm
from forums.desk.panels import panels_for
from forums.forms import ActionForm
from forums.i18n import current_language
from forums.people import queries as people_queries
from forums.people.forms import ParticipantFilterForm, participant_filter_form
from forums.registrations import operations
from forums.registrations import queries as registration_queries
from forums.sessions import copying
from forums.web import failed_status, page_number, staff_required
from models import (
    SESSION_STATUS_LABELS,
    STATUS_LABELS,
    VISIBILITY_LABELS,
    Dimension,
    Forum,
    ForumSession,
    Registration,
    RegistrationStatus,
    db,
    utcnow,
)
from models.registrations import SEATED

bp = Blueprint("desk", __name__, url_prefix="/staff")


@bp.route("/")
@login_required
def home() -> str:
    """What needs the reader today: every panel their role sees, each line linking to where it is fixed."""
    now = utcnow()
    panels = [(panel, panel.lines(current_user, now)) for panel in panels_for(current_user)]
    return render_template("desk/home.html", panels=panels)


@bp.route("/sessions/<int:session_id>")
@staff_required
def session_page(session_id: int) -> str:
    """One session's tools in one place: details, agenda, registrations, balance at each stage, selection,
    check-in, facilitators, exports and history, and its publish, cancel and copy actions."""
    forum_session = session_or_abort(session_id, Need.manage, *queries.SESSION_PAGE_LOADING)
    counts = registration_queries.status_counts(session_id)
    catalogue, stages = balance_queries.sessions_at_every_stage({session_id: forum_session.forum_id})
    return render_template(
        "desk/session.html", forum_session=forum_session, counts=counts, statuses=STATUS_LABELS,
        seated=sum(counts[status] for status in SEATED), session_statuses=SESSION_STATUS_LABELS,
        visibilities=VISIBILITY_LABELS, catalogue=catalogue, balance=stages[session_id], stages=STAGES,
        history=queries.session_history(session_id), action_label=audit_labels.action_label,
    )


def _filter_form() -> tuple[ParticipantFilterForm, list[Dimension]]:
    """The register's filters over the query string, one select per dimension."""
    dimensions = people_queries.dimensions()
    form = participant_filter_form(dimensions, current_language())
    return form, dimensions


def _page_turn() -> int | None:
    """The page a list's page buttons ask for, or None for any other request.

    The buttons post the ticks made so far (with the CSRF token), so ticks survive paging without JavaScript:
    the next page shows them as ticked or carries them as hidden fields.
    """
    if request.method != "POST" or "go" not in request.form:
        return None
    if not ActionForm().validate_on_submit():
        abort(400)
    return validation.page_number(request.form.get("go"))


def _ticked(form: BulkForm) -> set[int]:
    """The ids ticked so far on any page (none on a page just opened)."""
    return set(form.ids.data or []) if form.is_submitted() else set()


def _preview_page(forum_session: ForumSession, moves: Mapping[int, balance_queries.StatusMove],
                  **context: object) -> str:
    catalogue, previews = balance_queries.preview_moves(forum_session.id, moves)
    return render_template(context.pop("template"), forum_session=forum_session,  # type: ignore[arg-type]
                           catalogue=catalogue, previews=previews, statuses=STATUS_LABELS, **context)


@bp.route("/sessions/<int:session_id>/invite", methods=("GET", "POST"))
@staff_required
def invite(session_id: int) -> str | Response | tuple[str, int]:
    """People of the register not on the session, filtered (a suggestion's link chooses their category); the
    ones ticked, or all that match, are shown with their effect on the balance before they are invited."""
    forum_session = session_or_abort(session_id, Need.manage, *queries.SESSION_LINE_LOADING)
    filter_form, dimensions = _filter_form()
    where = people_queries.participant_filter(filter_form.query(), filter_form.categories())
    form = InviteForm()
    turn = _page_turn()
    if turn is None and form.validate_on_submit():
        ids = form.ids.data if form.scope.data == "selected" else queries.candidate_ids(session_id, where, BULK_LIMIT)
        already = registration_queries.registered_ids(session_id, ids or [])
        chosen = [participant_id for participant_id in dict.fromkeys(ids or []) if participant_id not in already]
        if len(chosen) > BULK_LIMIT:
            flash(_("More than %(num)d people match: narrow the filter first.", num=BULK_LIMIT), "error")
        elif not chosen:
            flash(_("Everyone chosen is already on the session."), "info")
        else:
            status = RegistrationStatus.invited if form.action.data == "invite" else RegistrationStatus.registered
            names = queries.people_named(chosen)
            page = _preview_page(forum_session, dict.fromkeys(chosen, (None, status)),
                                 template="desk/invite_confirm.html", people=names, action=form.action.data,
                                 status=status)
            audit.record_read("register.list", detail=str(len(names)))
            return page
    elif turn is None and form.is_submitted():
        flash(" ".join(error for errors in form.errors.values() for error in errors), "error")
    people = queries.candidates(session_id, where, turn or page_number())
    page = render_template("desk/invite.html", forum_session=forum_session, form=form, filter_form=filter_form,
                           dimensions=dimensions, people=people, locale=current_language(),
                           filter_args=filter_form.query_args(), ticked=_ticked(form))
    audit.record_read("register.list", detail=str(len(people.items)))
    return page, 422 if form.errors else 200


def _status_filter() -> RegistrationStatus | None:
    value = request.args.get("status", "")
    return RegistrationStatus(value) if value in RegistrationStatus.__members__ else None


@bp.route("/sessions/<int:session_id>/registrations/bulk", methods=("GET", "POST"))
@staff_required
def bulk_status(session_id: int) -> str | Response | tuple[str, int]:
    """Change the status of many registrations at once (ticked on any page, or all that match the filter);
    the effect on the balance is shown first, and the change is made only once confirmed, all or nothing."""
    forum_session = session_or_abort(session_id, Need.manage, *queries.SESSION_LINE_LOADING)
    filter_form, dimensions = _filter_form()
    status = _status_filter()
    where = people_queries.participant_filter(filter_form.query(), filter_form.categories())
    form = BulkStatusForm()
    turn = _page_turn()
    if turn is None and form.validate_on_submit():
        chosen = queries.registrations_chosen(session_id, status, where,
                                              form.ids.data if form.scope.data == "selected" else None, BULK_LIMIT)
        new_status = RegistrationStatus(form.status.data)
        if len(chosen) > BULK_LIMIT:
            flash(_("More than %(num)d registrations match: narrow the filter first.", num=BULK_LIMIT), "error")
        elif form.confirmed.data == "1":
            return _apply_status(forum_session, chosen, new_status)
        else:
            page = _preview_page(forum_session, {r.participant_id: (r.status, new_status) for r in chosen},
                                 template="desk/bulk_confirm.html", registrations=chosen, new_status=new_status,
                                 filter_args=filter_form.query_args(), status_filter=status)
            audit.record_read("registrations.read", "session", session_id, detail=f"bulk change of {len(chosen)}")
            return page
    elif turn is None and form.is_submitted():
        flash(" ".join(error for errors in form.errors.values() for error in errors), "error")
    registrations = queries.registrations_page(session_id, status, where, turn or page_number())
    page = render_template("desk/bulk.html", forum_session=forum_session, form=form, filter_form=filter_form,
                           dimensions=dimensions, registrations=registrations, locale=current_language(),
                           filter_args=filter_form.query_args(), status=status, statuses=STATUS_LABELS,
                           ticked=_ticked(form))
    audit.record("registration.list", "session", session_id, detail=str(len(registrations.items)))
    db.session.commit()
    return page, 422 if form.errors else 200


def _apply_status(forum_session: ForumSession, chosen: list[Registration], new_status: RegistrationStatus) -> Response:
    """Move every chosen registration to ``new_status`` in one transaction; a seat the session lacks refuses all
    (a cancelled session refuses all too: ``operations.SessionCancelled`` reaches the app's handler)."""
    try:
        for registration in chosen:
            operations.change_status(registration, new_status)
    except operations.RegistrationError:
        db.session.rollback()
        flash(_("The session has too few free seats for all of them: nothing was changed. "
                "Choose fewer people, or put them on the waitlist."), "error")
        return redirect(url_for(".bulk_status", session_id=forum_session.id))
    db.session.commit()
    flash(ngettext("%(num)d registration changed to %(status)s.", "%(num)d registrations changed to %(status)s.",
                   len(chosen), status=STATUS_LABELS[new_status]), "success")
    return redirect(url_for("registrations.registration_list", session_id=forum_session.id))


@bp.route("/sessions/<int:session_id>/copy", methods=("GET", "POST"))
@staff_required
def copy_session(session_id: int) -> str | Response | tuple[str, int]:
    """Copy a session to a new date: agenda, policy and facilitators come along, registrations do not."""
    forum_session = session_or_abort(session_id, Need.manage, *queries.SESSION_LINE_LOADING)
    form = CopySessionForm()
    if form.validate_on_submit():
        assert form.day.data is not None  # DataRequired
        copy = copying.copy_session(session_id, form.day.data)
        assert copy is not None  # the session was just loaded
        db.session.commit()
        flash(_("Copied as a draft. Check it, then publish it."), "success")
        return redirect(url_for(".session_page", session_id=copy.id))
    return render_template("desk/copy_session.html", forum_session=forum_session, form=form), failed_status(form)


@bp.route("/forums/<int:forum_id>/copy", methods=("GET", "POST"))
@staff_required
def copy_forum(forum_id: int) -> str | Response | tuple[str, int]:
    """Copy a whole forum series (every session not cancelled) to new dates, as a new forum of drafts."""
    forum = db.get_or_404(Forum, forum_id)
    form = CopyForumForm()
    if not form.is_submitted():
        form.title.data = forum.title
    if form.validate_on_submit():
        assert form.first_day.data is not None and form.title.data is not None  # DataRequired
        copy = copying.copy_forum(forum_id, form.title.data.strip(), form.first_day.data)
        assert copy is not None  # the forum was just loaded
        db.session.commit()
        flash(_("Series copied as drafts. Check each session, then publish it."), "success")
        return redirect(url_for("staff.session_list", forum=copy.id))
    return render_template("desk/copy_forum.html", forum=forum, form=form), failed_status(form)


@bp.route("/help/balance-words")
@staff_required
def help_words() -> str:
    """The words of balance and fair selection in plain language: the Gallagher index, maximin, leximin."""
    return render_template("desk/help_words.html")
