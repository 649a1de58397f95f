"""Staff pages for forums, sessions and agendas.

Views are thin: a form checks the input's shape, ``forums.sessions.operations`` applies the rules and records the
audit entry, the view commits. A failed save rolls back, so an invalid or stale form changes nothing.
"""

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from forums.audit import log as audit
from forums.balance import queries as balance_queries
from forums.forms import ActionForm, options
from forums.i18n import current_language, to_local
from forums.registrations import queries as registration_queries
from forums.sessions import operations as session_operations
from forums.sessions import queries
from forums.sessions.forms import (
    AgendaItemForm,
    ForumForm,
    SessionFilterForm,
    SessionForm,
)
from forums.web import failed_status, page_number, save, staff_required
from models import (
    AGENDA_KIND_LABELS,
    FORUM_KIND_LABELS,
    SESSION_STATUS_LABELS,
    STATUS_LABELS,
    AgendaItem,
    Forum,
    ForumSession,
    SessionStatus,
    db,
)
from models.registrations import ON_LIST, PENDING, in_order

bp = Blueprint("staff", __name__, url_prefix="/staff")

#: pages other parts of the app add under /sessions/<id>/..., linked when they exist
#: pages of a session that its facilitators may open too: (label, endpoint)
SESSION_TOOLS = ((_l("Balance"), "balance.session_dashboard"), (_l("Check-in"), "checkin.page"))


def session_tool_links(session_id: int) -> list[tuple[str, str]]:
    """(label, URL) of a session's balance and check-in pages."""
    return [(str(label), url_for(endpoint, session_id=session_id)) for label, endpoint in SESSION_TOOLS]


@bp.route("/forums")
@staff_required
def forum_list() -> str:
    """Every forum with its number of sessions."""
    return render_template("sessions/forum_list.html", forums=queries.forum_list(), kinds=FORUM_KIND_LABELS)


@bp.route("/forums/new", methods=("GET", "POST"))
@staff_required
def forum_create() -> str | Response | tuple[str, int]:
    """Create a forum."""
    form = ForumForm()
    if form.validate_on_submit():
        forum = save(form, lambda: session_operations.create_forum(form.title.data, form.kind.data,
                                                                   form.description.data, form.retention_days.data,
                                                                   form.translations()))
        if forum is not None:
            flash(_("Forum created."), "success")
            return redirect(url_for(".forum_list"))
    return render_template("sessions/forum_form.html", form=form, forum=None), failed_status(form)


@bp.route("/forums/<int:forum_id>/edit", methods=("GET", "POST"))
@staff_required
def forum_edit(forum_id: int) -> str | Response | tuple[str, int]:
    """Edit a forum; a save from a stale copy is refused."""
    forum = db.get_or_404(Forum, forum_id)
    form = ForumForm(obj=forum if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = str(forum.version)
        form.fill_translations(forum.translations)
    if form.validate_on_submit():
        saved = save(form, lambda: session_operations.update_forum(forum, form.title.data, form.kind.data,
                                                                   form.description.data, form.retention_days.data,
                                                                   form.expected_version(), form.translations()))
        if saved is not None:
            flash(_("Forum saved."), "success")
            return redirect(url_for(".forum_list"))
    return render_template("sessions/forum_form.html", form=form, forum=forum), failed_status(form)


# Sessions -----------------------------------------------------------------------------------------

@bp.route("/sessions")
@login_required
def session_list() -> str:
    """Sessions filtered by forum, region and dates; facilitators see only the sessions they run."""
    locale = current_language()
    filter_form = SessionFilterForm(request.args, meta={"csrf": False})
    filter_form.set_choices(queries.forum_choices(), queries.region_choices(locale))
    filter_form.validate()
    page = queries.session_list(current_user, filter_form.filters(), page_number())
    tools = {forum_session.id: session_tool_links(forum_session.id) for forum_session, _seats in page.items}
    # Staff see each session's balance where it stands (its furthest stage); facilitators see no counts here.
    _catalogue, balance = balance_queries.sessions_at_every_stage(
        {forum_session.id: forum_session.forum_id for forum_session, _seats in page.items} if current_user.is_staff
        else {})
    return render_template("sessions/session_list.html", page=page, filter_form=filter_form, tools=tools,
                           is_staff=current_user.is_staff, page_args=filter_form.query_args(),
                           session_statuses=SESSION_STATUS_LABELS, balance=balance)


def _session_form() -> SessionForm:
    form = SessionForm()
    form.set_choices(queries.forum_choices(), queries.region_choices(current_language()))
    return form


@bp.route("/sessions/new", methods=("GET", "POST"))
@staff_required
def session_create() -> str | Response | tuple[str, int]:
    """Schedule a session (a draft until published)."""
    form = _session_form()
    if request.method == "GET":
        form.forum_id.data = request.args.get("forum", type=int)
    if form.validate_on_submit():
        forum_session = save(form, lambda: session_operations.create_session(form.changes()), SessionForm.FIELD_MAP)
        if forum_session is not None:
            flash(_("Session created as a draft. Build its agenda, then publish it."), "success")
            return redirect(url_for(".agenda", session_id=forum_session.id))
    return render_template("sessions/session_form.html", form=form, forum_session=None), failed_status(form)


@bp.route("/sessions/<int:session_id>/edit", methods=("GET", "POST"))
@staff_required
def session_edit(session_id: int) -> str | Response | tuple[str, int]:
    """Edit a session; a save from a stale copy is refused."""
    forum_session = queries.session_for_editing(session_id) or abort(404)
    form = _session_form()
    if request.method == "GET":
        form.fill_from(forum_session)
    if form.validate_on_submit():
        saved = save(form, lambda: session_operations.update_session(forum_session, form.changes(),
                                                                     form.expected_version()),
                     SessionForm.FIELD_MAP)
        if saved is not None:
            flash(_("Session saved."), "success")
            return redirect(url_for(".session_list"))
    return render_template("sessions/session_form.html", form=form, forum_session=forum_session), failed_status(form)


def _back_to(session_id: int) -> str:
    """The page a session's button was pressed on: its staff page, its agenda editor or the session list."""
    if request.form.get("back") == "session":
        return url_for("desk.session_page", session_id=session_id)
    if request.form.get("back") == "agenda":
        return url_for(".agenda", session_id=session_id)
    return url_for(".session_list")


@bp.route("/sessions/<int:session_id>/publish", methods=("POST",))
@staff_required
def session_publish(session_id: int) -> str | Response:
    """Publish a draft; when the invitation list is out of balance, confirm first."""
    forum_session = db.get_or_404(ForumSession, session_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    warnings = balance_queries.publish_warnings(session_id)
    if warnings and request.form.get("confirmed") != "1":
        return render_template("sessions/publish_confirm.html", forum_session=forum_session, warnings=warnings)
    if save(form, lambda: session_operations.update_session(forum_session, {"status": SessionStatus.published.value})):
        flash(_("Session published."), "success")
        if warnings:
            flash(_("Published with %(n)d categories outside the balance policy.", n=len(warnings)), "warning")
    return redirect(_back_to(session_id))


#: the registrations the cancel confirmation counts: the people still expecting the session
CANCEL_COUNTED = in_order(PENDING)


@bp.route("/sessions/<int:session_id>/cancel", methods=("POST",))
@staff_required
def session_cancel(session_id: int) -> str | Response:
    """Cancel a session once confirmed; it stays on record and calendars show it as cancelled.

    The list's button only opens the confirmation page (naming the session and how many people are on
    its list); nothing changes until its "Yes" button posts ``confirmed=1``. Both steps are POSTs
    with the CSRF token, so they work without JavaScript and no link can cancel a session.
    """
    forum_session = queries.session_with_forum(session_id) or abort(404)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if forum_session.status is SessionStatus.cancelled:
        flash(_("This session is already cancelled."), "info")
        return redirect(_back_to(session_id))
    if request.form.get("confirmed") != "1":
        counts = registration_queries.status_counts(session_id)
        return render_template("sessions/cancel_confirm.html", forum_session=forum_session,
                               back_url=_back_to(session_id),
                               counts=[(STATUS_LABELS[status], counts[status]) for status in CANCEL_COUNTED])
    if save(form, lambda: session_operations.cancel_session(forum_session)):
        flash(_("Session cancelled."), "success")
    return redirect(_back_to(session_id))


#: the registrations the reinstate confirmation counts: everyone on its list, whose places come back into force
REINSTATE_COUNTED = in_order(ON_LIST)


@bp.route("/sessions/<int:session_id>/reinstate", methods=("POST",))
@staff_required
def session_reinstate(session_id: int) -> str | Response:
    """Reinstate a cancelled session once confirmed: it is published again and its list can change once more.

    Like cancelling: the banner's button only opens the confirmation page (naming the session and how
    many people are on its list); nothing changes until its "Yes" button posts ``confirmed=1``. Both
    steps are POSTs with the CSRF token; the change is audited as ``session.reinstate``.
    """
    forum_session = queries.session_with_forum(session_id) or abort(404)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if forum_session.status is not SessionStatus.cancelled:
        flash(_("This session is not cancelled."), "info")
        return redirect(url_for(".agenda", session_id=session_id))
    if request.form.get("confirmed") != "1":
        counts = registration_queries.status_counts(session_id)
        return render_template("sessions/reinstate_confirm.html", forum_session=forum_session,
                               counts=[(STATUS_LABELS[status], counts[status]) for status in REINSTATE_COUNTED])
    if save(form, lambda: session_operations.reinstate_session(forum_session)):
        flash(_("Session reinstated: it is published again and its registrations can change."), "success")
    return redirect(url_for(".agenda", session_id=session_id))


# Agenda -------------------------------------------------------------------------------------------

def _agenda_form(forum_session: ForumSession, **kwargs: Any) -> AgendaItemForm:
    form = AgendaItemForm(**kwargs)
    form.speaker_ids.choices = options(queries.speaker_choices(forum_session.id))
    if not form.is_submitted() and form.on.data is None:
        form.on.data = to_local(forum_session.starts_at).date()
    return form


def _render_agenda(session_id: int, form: AgendaItemForm) -> tuple[str, int]:
    forum_session = queries.session_with_agenda(session_id) or abort(404)
    page = render_template(
        "sessions/agenda.html", forum_session=forum_session, form=form,
        overlaps=session_operations.agenda_overlaps(forum_session.agenda), kinds=AGENDA_KIND_LABELS,
    )
    # The speaker picker names the session's registrants.
    audit.record_read("registrations.read", "session", session_id, detail="speaker choices")
    return page, failed_status(form)


@bp.route("/sessions/<int:session_id>/agenda", methods=("GET", "POST"))
@staff_required
def agenda(session_id: int) -> Response | tuple[str, int]:
    """The agenda editor: the items in order, overlaps flagged, and a form to add one."""
    forum_session = queries.session_for_editing(session_id) or abort(404)
    form = _agenda_form(forum_session)
    if form.validate_on_submit():
        item = save(form, lambda: session_operations.add_agenda_item(forum_session, form.changes()),
                    AgendaItemForm.FIELD_MAP)
        if item is not None:
            flash(_("Agenda item added."), "success")
            return redirect(url_for(".agenda", session_id=session_id))
    return _render_agenda(session_id, form)


def _agenda_item(item_id: int) -> AgendaItem:
    return db.get_or_404(AgendaItem, item_id)


@bp.route("/agenda/<int:item_id>/edit", methods=("GET", "POST"))
@staff_required
def agenda_item_edit(item_id: int) -> str | Response | tuple[str, int]:
    """Edit an agenda item under the same rules as adding one."""
    item = queries.agenda_item_for_editing(item_id) or abort(404)
    form = _agenda_form(item.forum_session)
    if request.method == "GET":
        form.fill_from(item)
    if form.validate_on_submit():
        saved = save(form, lambda: session_operations.update_agenda_item(item, form.changes()),
                     AgendaItemForm.FIELD_MAP)
        if saved is not None:
            flash(_("Agenda item saved."), "success")
            return redirect(url_for(".agenda", session_id=item.session_id))
    page = render_template("sessions/agenda_item_form.html", form=form, item=item)
    audit.record_read("registrations.read", "session", item.session_id, detail="speaker choices")
    return page, failed_status(form)


@bp.route("/agenda/<int:item_id>/move/<any(up, down):direction>", methods=("POST",))
@staff_required
def agenda_item_move(item_id: int, direction: str) -> Response:
    """Move an item one place up or down among the items that start at the same time.

    The agenda runs in time order (``forums.sessions.scheduling``), so the editor offers these buttons
    only between items that start together; any other move is refused with a message, changing nothing.
    """
    item = _agenda_item(item_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    session_id = item.session_id
    save(form, lambda: session_operations.move_agenda_item(item, -1 if direction == "up" else 1))
    return redirect(url_for(".agenda", session_id=session_id, _anchor=f"item-{item_id}"))


@bp.route("/agenda/<int:item_id>/delete", methods=("POST",))
@staff_required
def agenda_item_delete(item_id: int) -> str | Response:
    """Remove an item from the agenda once confirmed.

    The agenda's button only opens the confirmation page (naming the item, its time and speakers);
    nothing changes until its "Yes" button posts ``confirmed=1``. Both steps are POSTs with the CSRF
    token, like the session's cancel, so they work without JavaScript and no link can delete an item.
    """
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if request.form.get("confirmed") != "1":
        shown = queries.agenda_item_to_delete(item_id) or abort(404)
        return render_template("sessions/agenda_item_delete_confirm.html", item=shown, kinds=AGENDA_KIND_LABELS)
    item = _agenda_item(item_id)
    session_id = item.session_id
    session_operations.delete_agenda_item(item)
    db.session.commit()
    flash(_("Agenda item deleted."), "success")
    return redirect(url_for(".agenda", session_id=session_id))
