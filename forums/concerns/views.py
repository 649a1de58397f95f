"""Staff pages of concerns: the list and moderation, issues and answers, balance over the stages, commitments,
settings, the printable form, the officials' brief and the export for headquarters.

Object ids of changes travel in the forms (hidden fields), so every address names only its session or forum.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import raiseload, selectinload
from werkzeug.wrappers import Response as BaseResponse

from forums import validation
from forums.accounts.permissions import Need, object_or_404, session_or_abort
from forums.audit import log as audit
from forums.balance.policies import percent
from forums.concerns import exports, operations, queries
from forums.concerns.anonymity import shows_submitter
from forums.concerns.forms import (
    AnswerForm,
    CommitmentForm,
    GroupForm,
    IssueStageForm,
    MergeForm,
    ModerateForm,
    SettingsForm,
    StaffConcernForm,
    TranslationForm,
)
from forums.forms import ActionForm
from forums.i18n import current_language, display_zone
from forums.web import save, staff_required
from models import (
    Commitment,
    Concern,
    ConcernAnswer,
    ConcernIssue,
    ConcernStage,
    Forum,
    ForumSession,
    Participant,
    Registration,
    db,
    utcnow,
)
from models.concerns import (
    ANONYMITY_LABELS,
    ANSWER_STATE_LABELS,
    BALANCE_STAGES,
    CHANNEL_LABELS,
    COMMITMENT_STATUS_LABELS,
    STAGE_LABELS,
    Anonymity,
    AnswerState,
    Channel,
    CommitmentStatus,
)
from models.registrations import ON_LIST

bp = Blueprint("concerns", __name__)


def _session(session_id: int) -> ForumSession:
    return session_or_abort(session_id, Need.manage)


def _id(raw: str | None) -> int:
    number = validation.whole_number(raw or "")
    if number is None:
        abort(400)
    return number


def _concern_of(forum_session: ForumSession, raw_id: str | None) -> Concern:
    return object_or_404(Concern, _id(raw_id), session_id=forum_session.id)


def _issue_of(forum_session: ForumSession, raw_id: str | None) -> ConcernIssue:
    return object_or_404(ConcernIssue, _id(raw_id), selectinload(ConcernIssue.concerns),
                         selectinload(ConcernIssue.answers), session_id=forum_session.id)


def _today() -> date:
    return utcnow().astimezone(display_zone()).date()


def _back(endpoint: str, session_id: int) -> BaseResponse:
    return redirect(url_for(endpoint, session_id=session_id))


def _flash_errors(form: ActionForm) -> None:
    for messages in form.errors.values():
        for message in messages:
            flash(message, "error")


@bp.route("/sessions/<int:session_id>/concerns")
@staff_required
def concern_list(session_id: int) -> str:
    """Every concern of the session with its stage, categories at submission and support; moderation and grouping."""
    forum_session = _session(session_id)
    settings = operations.settings_of(forum_session.forum_id)
    concerns = queries.session_concerns(session_id)
    issues = [each for each in queries.session_issues(session_id) if each.merged_into_id is None]
    group_form = GroupForm()
    group_form.issue_id.choices = [(0, "—"), *((each.id, each.title) for each in issues)]
    html = render_template(
        "concerns/list.html", forum_session=forum_session, concerns=concerns, settings=settings,
        support=queries.support_of_session(session_id), stage_labels=STAGE_LABELS, channel_labels=CHANNEL_LABELS,
        shows_name=lambda concern: shows_submitter(settings.anonymity.value, "staff", concern.agrees_to_be_named),
        moderate_form=ModerateForm(formdata=None), translation_form=TranslationForm(formdata=None),
        group_form=group_form, percent=percent, anonymity_labels=ANONYMITY_LABELS,
    )
    audit.record_read("concern.list", "session", session_id)
    return html


@bp.route("/sessions/<int:session_id>/concerns/new", methods=("GET", "POST"))
@staff_required
def concern_new(session_id: int) -> BaseResponse | tuple[str, int] | str:
    """Type in a concern from a paper form, or record one from the floor."""
    forum_session = _session(session_id)
    people = list(db.session.execute(
        sa.select(Participant.id, Participant.name).join(Registration, Registration.participant_id == Participant.id)
        .where(Registration.session_id == session_id, Registration.status.in_(ON_LIST)).order_by(Participant.name)
    ))
    form = StaffConcernForm()
    form.participant_id.choices = [(row.id, row.name) for row in people]
    if form.validate_on_submit():
        participant = db.session.get(Participant, form.participant_id.data)
        assert participant is not None  # a choice of the list above
        done = save(form, lambda: operations.submit(
            forum_session, participant, channel=Channel(form.channel.data), language=form.language.data,
            text=form.text.data or "", agrees_to_be_named=form.agrees_to_be_named.data))
        if done is not None:
            flash(_("The concern is recorded."), "success")
            return _back("concerns.concern_list", session_id)
    html = render_template("concerns/new.html", forum_session=forum_session, form=form)
    audit.record_read("concern.entry_form", "session", session_id)
    return (html, 422) if form.is_submitted() else html


@bp.post("/sessions/<int:session_id>/concerns/moderate")
@staff_required
def concern_moderate(session_id: int) -> BaseResponse:
    """Accept, decline (with a reason) or reconsider a concern."""
    forum_session = _session(session_id)
    form = ModerateForm()
    decision = form.decision.data or ""
    if not form.validate_on_submit() or decision not in {"accepted", "declined", "submitted"}:
        flash(_("Choose what to do with the concern."), "error")
        return _back("concerns.concern_list", session_id)
    concern = _concern_of(forum_session, form.concern_id.data)
    if save(form, lambda: operations.moderate(concern, ConcernStage(decision), form.reason.data or ""),
            {"stage": "decision"}) is not None:
        flash(_("Saved."), "success")
    else:
        _flash_errors(form)
    return _back("concerns.concern_list", session_id)


@bp.post("/sessions/<int:session_id>/concerns/translate")
@staff_required
def concern_translate(session_id: int) -> BaseResponse:
    """Save a translation of a concern, as a draft or done."""
    forum_session = _session(session_id)
    form = TranslationForm()
    if form.validate_on_submit():
        concern = _concern_of(forum_session, form.concern_id.data)
        if save(form, lambda: operations.save_translation(concern, form.language.data, form.text.data or "",
                                                          form.done.data)) is not None:
            flash(_("Saved."), "success")
            return _back("concerns.concern_list", session_id)
    _flash_errors(form)
    return _back("concerns.concern_list", session_id)


@bp.post("/sessions/<int:session_id>/concerns/group")
@staff_required
def concern_group(session_id: int) -> BaseResponse:
    """Group the ticked concerns into a new issue or an existing one (nothing is deleted)."""
    forum_session = _session(session_id)
    form = GroupForm()
    form.issue_id.choices = [(0, "—"), *((each.id, each.title) for each in db.session.execute(
        sa.select(ConcernIssue.id, ConcernIssue.title).where(ConcernIssue.session_id == session_id)))]
    ids = [number for raw in request.form.getlist("concern_ids")
           if (number := validation.whole_number(raw)) is not None]
    if not form.validate_on_submit():
        _flash_errors(form)
        return _back("concerns.concern_list", session_id)
    concerns = operations.concerns_of_session(session_id, ids)

    def change() -> ConcernIssue:
        if form.issue_id.data:
            issue = _issue_of(forum_session, str(form.issue_id.data))
        else:
            issue = operations.new_issue(forum_session, form.title.data or "")
        return operations.group(concerns, issue)

    if save(form, change) is not None:
        flash(_("Grouped."), "success")
    else:
        _flash_errors(form)
    return _back("concerns.concern_list", session_id)


@bp.post("/sessions/<int:session_id>/concerns/ungroup")
@staff_required
def concern_ungroup(session_id: int) -> BaseResponse:
    """Take a concern out of its issue."""
    forum_session = _session(session_id)
    form = ModerateForm()
    concern = _concern_of(forum_session, form.concern_id.data)
    if save(form, lambda: operations.ungroup(concern)) is None:
        _flash_errors(form)
    return _back("concerns.concern_list", session_id)


@bp.route("/sessions/<int:session_id>/concerns/issues")
@staff_required
def issue_list(session_id: int) -> str:
    """The session's issues: their concerns and support, stage, agenda item, answers and commitments."""
    forum_session = _session(session_id)
    settings = operations.settings_of(forum_session.forum_id)
    issues = queries.session_issues(session_id)
    items = queries.agenda_items(session_id)
    stage_form = IssueStageForm(formdata=None)
    stage_form.agenda_item_id.choices = [(item.id, item.localized("title", current_language())) for item in items]
    merge_form = MergeForm(formdata=None)
    merge_form.target_id.choices = [(each.id, each.title) for each in issues if each.merged_into_id is None]
    html = render_template(
        "concerns/issues.html", forum_session=forum_session, issues=issues,
        support=queries.support_of_session(session_id),
        stage_labels=STAGE_LABELS, answer_labels=ANSWER_STATE_LABELS, commitment_labels=COMMITMENT_STATUS_LABELS,
        stage_form=stage_form, merge_form=merge_form, answer_form=AnswerForm(formdata=None),
        commitment_form=CommitmentForm(formdata=None), action_form=ActionForm(formdata=None), today=_today(),
        shows_name=lambda concern: shows_submitter(settings.anonymity.value, "staff", concern.agrees_to_be_named),
        is_overdue=queries.is_overdue, percent=percent,
    )
    audit.record_read("concern.issues", "session", session_id)
    return html


@bp.post("/sessions/<int:session_id>/concerns/issues/stage")
@staff_required
def issue_stage(session_id: int) -> BaseResponse:
    """Move an issue (and its concerns) to another stage."""
    forum_session = _session(session_id)
    form = IssueStageForm()
    form.agenda_item_id.choices = [(item.id, "") for item in queries.agenda_items(session_id)]
    if form.validate_on_submit():
        issue = _issue_of(forum_session, form.issue_id.data)
        if save(form, lambda: operations.move_issue(issue, ConcernStage(form.stage.data), form.agenda_item_id.data)
                ) is not None:
            flash(_("Saved."), "success")
            return _back("concerns.issue_list", session_id)
    _flash_errors(form)
    return _back("concerns.issue_list", session_id)


@bp.post("/sessions/<int:session_id>/concerns/issues/merge")
@staff_required
def issue_merge(session_id: int) -> BaseResponse:
    """Merge an issue into another: its concerns and their supporters move; the issue stays, pointing there."""
    forum_session = _session(session_id)
    form = MergeForm()
    form.target_id.choices = [(each, "") for each in db.session.scalars(
        sa.select(ConcernIssue.id).where(ConcernIssue.session_id == session_id))]
    if form.validate_on_submit():
        source = _issue_of(forum_session, form.issue_id.data)
        target = _issue_of(forum_session, str(form.target_id.data))
        if save(form, lambda: operations.merge_issues(source, target), {"target": "target_id"}) is not None:
            flash(_("Merged: every concern and its supporters are kept."), "success")
            return _back("concerns.issue_list", session_id)
    _flash_errors(form)
    return _back("concerns.issue_list", session_id)


@bp.post("/sessions/<int:session_id>/concerns/issues/answer")
@staff_required
def issue_answer(session_id: int) -> BaseResponse:
    """Record an official's answer to an issue as a draft."""
    forum_session = _session(session_id)
    form = AnswerForm()
    if form.validate_on_submit():
        issue = _issue_of(forum_session, form.issue_id.data)
        if save(form, lambda: operations.draft_answer(
                issue, official=form.official.data or "", authority=form.authority.data or "",
                answered_on=form.answered_on.data, text=form.text.data or "", state=AnswerState(form.state.data)),
                {"issue": "issue_id"}) is not None:
            flash(_("The answer is saved as a draft: publish it when it is checked."), "success")
            return _back("concerns.issue_list", session_id)
    _flash_errors(form)
    return _back("concerns.issue_list", session_id)


def _answer_of(forum_session: ForumSession, raw_id: str | None) -> ConcernAnswer:
    answer = db.session.scalar(sa.select(ConcernAnswer).join(ConcernAnswer.issue)
                               .where(ConcernAnswer.id == _id(raw_id), ConcernIssue.session_id == forum_session.id))
    if answer is None:
        abort(404)
    return answer


@bp.post("/sessions/<int:session_id>/concerns/answers/publish")
@staff_required
def answer_publish(session_id: int) -> BaseResponse:
    """Publish a drafted answer: the issue's submitters and supporters see it on their page."""
    forum_session = _session(session_id)
    form = ActionForm()
    answer = _answer_of(forum_session, request.form.get("answer_id"))
    if form.validate_on_submit() and save(form, lambda: operations.publish_answer(answer)) is not None:
        flash(_("The answer is published."), "success")
    return _back("concerns.issue_list", session_id)


@bp.post("/sessions/<int:session_id>/concerns/answers/commitment")
@staff_required
def answer_commitment(session_id: int) -> BaseResponse:
    """Add a commitment to an answer."""
    forum_session = _session(session_id)
    form = CommitmentForm()
    if form.validate_on_submit():
        answer = _answer_of(forum_session, form.answer_id.data)
        if save(form, lambda: operations.add_commitment(answer, description=form.description.data or "",
                                                        owner=form.owner.data or "", due_on=form.due_on.data)
                ) is not None:
            flash(_("The commitment is recorded."), "success")
            return _back("concerns.issue_list", session_id)
    _flash_errors(form)
    return _back("concerns.issue_list", session_id)


@bp.post("/sessions/<int:session_id>/concerns/commitments/status")
@staff_required
def commitment_status(session_id: int) -> BaseResponse:
    """Mark a commitment open, done or dropped."""
    forum_session = _session(session_id)
    form = ActionForm()
    commitment = db.session.scalar(
        sa.select(Commitment).join(Commitment.answer).join(ConcernAnswer.issue)
        .where(Commitment.id == _id(request.form.get("commitment_id")), ConcernIssue.session_id == forum_session.id))
    status = request.form.get("status")
    if commitment is None:
        abort(404)
    if status not in {each.value for each in CommitmentStatus}:
        abort(400)
    if form.validate_on_submit():
        save(form, lambda: operations.set_commitment_status(commitment, CommitmentStatus(status)))
    if request.form.get("back") == "forum":
        return redirect(url_for("concerns.forum_commitments", forum_id=forum_session.forum_id))
    return _back("concerns.issue_list", session_id)


@bp.route("/sessions/<int:session_id>/concerns/balance")
@staff_required
def concern_balance(session_id: int) -> str:
    """Who is heard at each stage, by the submitters' categories at submission, against the session's policy."""
    forum_session = _session(session_id)
    balance = queries.concern_balance(session_id)
    return render_template("concerns/balance.html", forum_session=forum_session, balance=balance,
                           stages=BALANCE_STAGES, stage_labels={stage.value: label for stage, label in
                                                                STAGE_LABELS.items()},
                           catalogue=balance.catalogue, locale=current_language(), percent=percent)


@bp.route("/forums/<int:forum_id>/concerns", methods=("GET", "POST"))
@staff_required
def forum_settings(forum_id: int) -> BaseResponse | tuple[str, int] | str:
    """The forum's anonymity and per-organisation limit, and links to each session's concerns."""
    forum = object_or_404(Forum, forum_id)
    settings = operations.settings_of(forum_id)
    form = SettingsForm(data={"anonymity": settings.anonymity.value,
                              "max_per_organisation": settings.max_per_organisation}
                        if request.method == "GET" else None)
    if form.validate_on_submit():
        if save(form, lambda: operations.save_settings(forum, Anonymity(form.anonymity.data),
                                                       form.max_per_organisation.data)) is not None:
            flash(_("Saved."), "success")
            return redirect(url_for("concerns.forum_settings", forum_id=forum_id))
    sessions = list(db.session.scalars(sa.select(ForumSession).where(ForumSession.forum_id == forum_id)
                                       .options(raiseload("*")).order_by(ForumSession.starts_at)))
    html = render_template("concerns/forum.html", forum=forum, form=form, sessions=sessions)
    return (html, 422) if form.is_submitted() else html


@bp.route("/forums/<int:forum_id>/commitments")
@staff_required
def forum_commitments(forum_id: int) -> str:
    """The forum's open commitments across its sessions, the overdue ones first marked."""
    forum = object_or_404(Forum, forum_id)
    commitments = queries.forum_commitments(forum_id)
    today = _today()
    return render_template("concerns/commitments.html", forum=forum, commitments=commitments, today=today,
                           overdue=[each for each in commitments if queries.is_overdue(each, today)],
                           action_form=ActionForm(formdata=None), labels=COMMITMENT_STATUS_LABELS)


@bp.route("/sessions/<int:session_id>/concerns/form")
@staff_required
def printable_form(session_id: int) -> str:
    """A blank concern form to print, fill in by hand and type back in."""
    forum_session = _session(session_id)
    return render_template("concerns/printable_form.html", forum_session=forum_session)


@bp.route("/sessions/<int:session_id>/concerns/brief")
@staff_required
def officials_brief(session_id: int) -> str:
    """The issues on the agenda as the officials get them: names only where the forum and the person allow."""
    forum_session = _session(session_id)
    settings = operations.settings_of(forum_session.forum_id)
    issues = [each for each in queries.session_issues(session_id)
              if each.merged_into_id is None and each.stage is not ConcernStage.grouped]
    html = render_template(
        "concerns/brief.html", forum_session=forum_session, issues=issues,
        support=queries.support_of_session(session_id),
        shows_name=lambda concern: shows_submitter(settings.anonymity.value, "official", concern.agrees_to_be_named),
        locale=current_language(), stage_labels=STAGE_LABELS,
    )
    audit.record_read("concern.brief", "session", session_id)
    return html


@bp.post("/sessions/<int:session_id>/concerns/export")
@staff_required
def export(session_id: int) -> BaseResponse:
    """Concerns and answers of the session as CSV for headquarters: no names, k-anonymous categories; audited."""
    forum_session = _session(session_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    k = current_app.config["SMALL_COUNT_THRESHOLD"]
    plan = exports.plan(session_id, k)
    audit.record("export.concerns", "session", forum_session.id, detail=f"{plan.row_count} rows, k={k}")
    db.session.commit()
    response = Response("".join(exports.lines(plan)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="concerns-session-{session_id}.csv"'
    return response
