"""A participant's concerns behind their personal link: raise one, support others once each, read the answers.

The token in the address is the person's key (``forums.people.links``), as on their sessions page. The page
shows the person's own concerns, and the accepted concerns of their sessions to support; who raised those
is shown only as the forum's anonymity allows the public (``forums.concerns.anonymity``). Published
answers are shown on the concerns the person raised or supports.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from forums import validation
from forums.concerns import operations, queries
from forums.concerns.anonymity import asks_for_agreement, shows_submitter
from forums.concerns.forms import ConcernForm
from forums.forms import ActionForm
from forums.i18n import current_language
from forums.web.personal import participant_or_404, personal_link_pages
from models import Concern, db
from models.concerns import ANSWER_STATE_LABELS, STAGE_LABELS, Channel

bp = personal_link_pages(Blueprint("concerns_personal", __name__, url_prefix="/p/<token>/concerns"))


@bp.route("", methods=("GET", "POST"))
def home(token: str) -> BaseResponse | tuple[str, int] | str:
    """The person's concerns, the form to raise one, and their sessions' accepted concerns to support."""
    participant = participant_or_404(token)
    sessions = queries.sessions_open_for(participant.id)
    form = ConcernForm()
    form.session_id.choices = [(each.id, each.localized("title", current_language())) for each in sessions]
    if not form.is_submitted():
        form.language.data = current_language() if current_language() in ("en", "ru", "tg") else "ru"
    if form.validate_on_submit():
        forum_session = next(each for each in sessions if each.id == form.session_id.data)
        settings = operations.settings_of(forum_session.forum_id)
        try:
            operations.submit(forum_session, participant, channel=Channel.link, language=form.language.data,
                              text=form.text.data or "",
                              agrees_to_be_named=bool(form.agrees_to_be_named.data)
                              and asks_for_agreement(settings.anonymity.value))
            db.session.commit()
        except validation.ValidationFailed as failure:
            db.session.rollback()
            for message in failure.fields.values():
                flash(message, "error")
        else:
            flash(_("Thank you: your concern is sent. Staff will read it before the session."), "success")
            return redirect(url_for("concerns_personal.home", token=token))
    own = queries.submitted_by(participant.id)
    others = queries.open_to_support(participant.id)
    forum_settings = operations.settings_by_forum(
        [concern.forum_session.forum_id for concern in own + others] + [each.forum_id for each in sessions])
    html = render_template(
        "concerns/personal.html", token=token, form=form, has_sessions=bool(sessions), own=own, others=others,
        endorsed=queries.endorsed_by(participant.id), stage_labels=STAGE_LABELS, answer_labels=ANSWER_STATE_LABELS,
        action_form=ActionForm(formdata=None), locale=current_language(),
        asks_agreement=any(asks_for_agreement(forum_settings[each.forum_id].anonymity.value) for each in sessions),
        public_name=lambda concern: concern.submitter.name if concern.submitter and shows_submitter(
            forum_settings[concern.forum_session.forum_id].anonymity.value, "public", concern.agrees_to_be_named)
        else None,
    )
    return (html, 422) if form.is_submitted() else html


@bp.post("/endorse")
def endorse(token: str) -> BaseResponse:
    """Support a concern, once."""
    participant = participant_or_404(token)
    form = ActionForm()
    concern_id = validation.whole_number(request.form.get("concern_id") or "")
    concern = db.session.get(Concern, concern_id) if concern_id is not None else None
    if concern is None or not form.validate_on_submit():
        abort(404 if concern is None else 400)
    try:
        operations.endorse(concern, participant)
        db.session.commit()
        flash(_("Thank you: your support is counted."), "success")
    except validation.ValidationFailed as failure:
        db.session.rollback()
        for message in failure.fields.values():
            flash(message, "error")
    except validation.Conflict as conflict:
        db.session.rollback()
        flash(conflict.message, "warning")
    return redirect(url_for("concerns_personal.home", token=token))
