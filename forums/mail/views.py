"""The staff pages of mail: the outbox with retry and abort, and each session's drafts, reminders and offline answers.

Every action is a POST and audited (``outbox``, ``offline``); every page that shows addresses or names
records the read.
"""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from forums.audit import log as audit
from forums.forms import ActionForm
from forums.i18n import current_language
from forums.mail import compose, outbox, queries, rules
from forums.mail.forms import OfflineAnswerForm, ReminderForm
from forums.mail.offline import record_answer
from forums.registrations import operations
from forums.sessions import queries as session_queries
from forums.web import page_number, staff_required
from models import (
    STATUS_LABELS,
    ForumSession,
    MailMessage,
    MailState,
    Registration,
    db,
)
from models.mail import MAIL_KIND_LABELS, MAIL_STATE_LABELS

bp = Blueprint("mail", __name__, url_prefix="/staff")

#: what a preview shows where the person's own link will be
PREVIEW_TOKEN = "personal-link"


def _state_filter() -> MailState | None:
    value = request.args.get("state", "")
    return MailState(value) if value in MailState.__members__ else None


@bp.route("/mail")
@staff_required
def outbox_list() -> str:
    """Every message with its state, newest first, filtered by state; failed ones can be retried."""
    state = _state_filter()
    page = queries.outbox_page(state, None, page_number())
    html = render_template(
        "mail/outbox.html", page=page, state=state, counts=queries.state_counts(),
        titles=queries.session_titles({message.session_id for message in page.items}),
        kind_labels=MAIL_KIND_LABELS, state_labels=MAIL_STATE_LABELS, reasons=outbox.STALE_REASON_LABELS,
        retryable=outbox.RETRYABLE, abortable=outbox.ABORTABLE, form=ActionForm(),
    )
    audit.record_read("mail.list", detail=str(len(page.items)))
    return html


def _message_action(message_id: int, action: str) -> Response:
    form = ActionForm()
    # Through its session, so an organiser limited to some forums finds only their own (forums.accounts.scope).
    message = db.one_or_404(sa.select(MailMessage).join(ForumSession, ForumSession.id == MailMessage.session_id)
                            .where(MailMessage.id == message_id))
    if not form.validate_on_submit():
        abort(400)
    try:
        outbox.retry(message) if action == "retry" else outbox.abort(message)
    except outbox.MailError:
        db.session.rollback()
        flash(_("This message cannot be changed any more: it has been sent or is being sent."), "error")
    else:
        db.session.commit()
        flash(_("The message will be sent again.") if action == "retry" else _("The message was stopped."), "success")
    return redirect(url_for(".outbox_list"))


@bp.post("/mail/<int:message_id>/retry")
@staff_required
def retry(message_id: int) -> Response:
    """Send a failed, stopped or waiting message again now."""
    return _message_action(message_id, "retry")


@bp.post("/mail/<int:message_id>/abort")
@staff_required
def abort_message(message_id: int) -> Response:
    """Stop a message that has not left yet."""
    return _message_action(message_id, "abort")


def _forum_session(session_id: int) -> ForumSession:
    return session_queries.session_with_forum(session_id) or abort(404)


def _render_session(forum_session: ForumSession, reminder_form: ReminderForm,
                    answer_form: OfflineAnswerForm) -> tuple[str, int]:
    drafts = queries.drafts(forum_session.id)
    preview = None
    if drafts:
        first = compose.load([drafts[0].id])[0]
        preview = compose.compose(first, PREVIEW_TOKEN)
    confidential = rules.is_confidential(forum_session.visibility.value)
    own_drafts = sum(1 for draft in drafts if draft.created_by_id == current_user.id)
    html = render_template(
        "mail/session.html", forum_session=forum_session, drafts=drafts, preview=preview,
        confidential=confidential, own_drafts=own_drafts, counts=queries.state_counts(forum_session.id),
        state_labels=MAIL_STATE_LABELS, reminder_form=reminder_form, answer_form=answer_form,
        action_form=ActionForm(), locale=current_language(),
    )
    audit.record_read("mail.session", "session", forum_session.id, detail=str(len(drafts)))
    status = 422 if reminder_form.errors or answer_form.errors else 200
    return html, status


def _forms(session_id: int, reminder_data: bool = False,
           answer_data: bool = False) -> tuple[ReminderForm, OfflineAnswerForm]:
    people = queries.session_people(session_id)
    on_list = [(registration_id, f"{name} ({STATUS_LABELS[status]})") for registration_id, name, status in people]
    reminder = ReminderForm(on_list, formdata=None if not reminder_data else request.form, prefix="remind")
    answer = OfflineAnswerForm(on_list, formdata=None if not answer_data else request.form, prefix="answer")
    return reminder, answer


@bp.route("/sessions/<int:session_id>/mail")
@staff_required
def session_mail(session_id: int) -> tuple[str, int]:
    """A session's mail: its draft invitations to review and release, reminders, answers given offline."""
    forum_session = _forum_session(session_id)
    return _render_session(forum_session, *_forms(session_id))


@bp.post("/sessions/<int:session_id>/mail/release")
@staff_required
def release(session_id: int) -> Response:
    """Send the session's draft invitations (a confidential session's need another member of staff)."""
    forum_session = _forum_session(session_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        released, held = outbox.release(forum_session, current_user.id)
    except outbox.MailError:
        db.session.rollback()
        flash(_("Invitations go out only for a published session: publish it first."), "error")
        return redirect(url_for(".session_mail", session_id=session_id))
    db.session.commit()
    flash(ngettext("%(num)d invitation released.", "%(num)d invitations released.", released), "success")
    if held:
        flash(ngettext("%(num)d invitation you wrote needs another member of staff to release it: this session "
                       "is confidential.",
                       "%(num)d invitations you wrote need another member of staff to release them: this session "
                       "is confidential.", held), "warning")
    return redirect(url_for(".session_mail", session_id=session_id))


@bp.post("/sessions/<int:session_id>/mail/remind")
@staff_required
def remind(session_id: int) -> Response | tuple[str, int]:
    """Queue reminders to a stage or to the people ticked, at the time chosen before the session."""
    forum_session = _forum_session(session_id)
    reminder_form, answer_form = _forms(session_id, reminder_data=True)
    if not reminder_form.validate_on_submit():
        return _render_session(forum_session, reminder_form, answer_form)
    try:
        written = outbox.schedule_reminders(forum_session, reminder_form.stage.data or "",
                                            int(reminder_form.hours_before.data or 0),
                                            reminder_form.registration_ids.data or [])
    except outbox.MailError:
        db.session.rollback()
        flash(_("Reminders go out only for a published session that is not over."), "error")
        return redirect(url_for(".session_mail", session_id=session_id))
    db.session.commit()
    flash(ngettext("%(num)d reminder scheduled.", "%(num)d reminders scheduled.", written), "success")
    return redirect(url_for(".session_mail", session_id=session_id))


@bp.post("/sessions/<int:session_id>/mail/answer")
@staff_required
def offline_answer(session_id: int) -> Response | tuple[str, int]:
    """Record an answer a person gave by phone, on paper or in person."""
    forum_session = _forum_session(session_id)
    reminder_form, answer_form = _forms(session_id, answer_data=True)
    if not answer_form.validate_on_submit():
        return _render_session(forum_session, reminder_form, answer_form)
    registration = db.session.get(Registration, answer_form.registration_id.data)
    if registration is None or registration.session_id != session_id:
        abort(404)
    try:
        status = record_answer(registration, answer_form.answer.data or "", answer_form.channel.data or "")
    except operations.RegistrationError:
        db.session.rollback()
        flash(_("This person cannot give that answer now (their registration is closed, attended or already "
                "answered that way)."), "error")
        return redirect(url_for(".session_mail", session_id=session_id))
    db.session.commit()
    flash(_("Answer recorded: the status is now %(status)s.", status=STATUS_LABELS[status]), "success")
    return redirect(url_for(".session_mail", session_id=session_id))
