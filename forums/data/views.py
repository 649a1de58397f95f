"""Pages for the life cycle of personal data: export, import, retention purge and erasure.

Export and import are for admins and organisers (facilitators may not); the purge and erasure pages
are for admins only. Every action is audited with counts and ids, never names.
"""

from collections.abc import Iterable
from typing import NoReturn

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.file import FileAllowed, FileField, FileRequired
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, IntegerField, RadioField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3; types-WTForms is 3.2
from wtforms.validators import DataRequired, NumberRange

from forums.accounts.permissions import Need, session_or_abort
from forums.audit import log as audit
from forums.data import excel_csv, exports, imports, retention
from forums.forms import ActionForm, AppForm
from forums.people import operations as people_operations
from models import ForumSession, Participant, Role, db, utcnow

bp = Blueprint("lifecycle", __name__, url_prefix="/data")

#: the token of the upload waiting for confirmation lives in the uploader's signed session; the upload
#: itself waits in the database (any host can confirm it) and answers only to the uploader's user id
_IMPORT_TOKEN = "import_upload"
PREVIEW_ROWS = 200


def _deny() -> NoReturn:
    audit.record("access.denied", "page", None, detail=request.endpoint or "")
    db.session.commit()
    abort(403)


def _require_role(roles: Iterable[Role]) -> None:
    if current_user.role not in tuple(roles):
        _deny()


class ExportForm(AppForm):
    """Whether to include names (only offered to users allowed to export them)."""

    include_names = BooleanField(_l("Include names and organisations"))


class AggregateForm(AppForm):
    """Which sessions the counts for a report cover."""

    scope = RadioField(_l("Sessions"), default="session", choices=[
        SelectChoice("session", _l("This session")),
        SelectChoice("forum", _l("Every session of this forum")),
    ])


class ImportUploadForm(AppForm):
    """The CSV file to check."""

    file = FileField(_l("CSV file"), validators=[
        FileRequired(_l("Choose a file.")),
        FileAllowed(["csv", "txt"], _l("Choose a .csv file.")),
    ])


class ImportConfirmForm(AppForm):
    """Whether the lines of people who may already be in the register are imported too; by default they are skipped."""

    duplicates = RadioField(_l("People who may already be in the register"), default="skip", choices=[
        SelectChoice("skip", _l("Skip their lines")),
        SelectChoice("add", _l("Import them as new people too")),
    ])


class EraseForm(AppForm):
    """Erasing cannot be undone, so the box must be ticked."""

    confirm = BooleanField(_l("I understand that this cannot be undone."), validators=[DataRequired()])


class EraseLookupForm(AppForm):
    """Which person to erase, by register id."""

    class Meta:
        csrf = False

    participant_id = IntegerField(_l("Participant id"), validators=[DataRequired(), NumberRange(min=1)])


# Export ------------------------------------------------------------------------------------------------

@bp.route("/sessions/<int:session_id>/export", methods=("GET", "POST"))
@login_required
def export_registrations(session_id: int) -> BaseResponse | str:
    """CSV of a session's registrations: pseudonymous codes, names only with permission."""
    _require_role((Role.admin, Role.organiser))
    forum_session = session_or_abort(session_id, Need.manage)
    form = ExportForm()
    k = current_app.config["SMALL_COUNT_THRESHOLD"]
    if not form.validate_on_submit():
        return render_template("data/export.html", form=form, aggregate_form=AggregateForm(formdata=None),
                               forum_session=forum_session, k=k)
    with_names = bool(form.include_names.data)
    if with_names and not current_user.can_export_names:
        _deny()
    plan = exports.plan_export(session_id, with_names, k)
    audit.record("export.registrations", "session", session_id,
                 detail=f"rows={plan.row_count} names={'yes' if with_names else 'no'}")
    db.session.commit()
    response = Response(stream_with_context(exports.export_lines(plan)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="session-{session_id}-registrations.csv"'
    return response


@bp.route("/sessions/<int:session_id>/export/counts", methods=("POST",))
@login_required
def export_counts(session_id: int) -> BaseResponse | str:
    """CSV of people per category, stage and session for reports to headquarters: no people, small cells hidden."""
    _require_role((Role.admin, Role.organiser))
    forum_session = session_or_abort(session_id, Need.manage)
    form = AggregateForm()
    k = current_app.config["SMALL_COUNT_THRESHOLD"]
    if not form.validate_on_submit():
        return render_template("data/export.html", form=ExportForm(formdata=None), aggregate_form=form,
                               forum_session=forum_session, k=k)
    whole_forum = form.scope.data == "forum"
    sessions = list(db.session.scalars(
        sa.select(ForumSession).where(ForumSession.forum_id == forum_session.forum_id)
        .order_by(ForumSession.starts_at, ForumSession.id))) if whole_forum else [forum_session]
    report = exports.aggregate_report(sessions, k)
    audit.record("export.aggregate", "forum" if whole_forum else "session",
                 forum_session.forum_id if whole_forum else session_id,
                 detail=f"sessions={len(sessions)} cells={len(report.cells)} hidden={report.hidden} k={k}")
    filename = f"forum-{forum_session.forum_id}-counts.csv" if whole_forum else f"session-{session_id}-counts.csv"
    db.session.commit()
    response = Response("".join(exports.aggregate_lines(report)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Import ------------------------------------------------------------------------------------------------

def _checked(raw: bytes) -> imports.ImportReport:
    """Parse and dry-run ``raw`` in a transaction that is always rolled back."""
    report = imports.parse_csv(raw, {dimension.key for dimension in people_operations.dimensions_with_categories()})
    if report.is_clean:
        try:
            imports.apply_import(report, time_limit=imports.PREVIEW_SECONDS)
        finally:
            db.session.rollback()
    return report


def _preview(report: imports.ImportReport) -> str:
    html = render_template("data/import_preview.html", report=report, confirm_form=ImportConfirmForm(formdata=None),
                           cancel_form=ActionForm(), encoding=imports.ENCODINGS.get(report.encoding, ""),
                           rows=report.rows[:PREVIEW_ROWS], hidden_rows=max(0, len(report.rows) - PREVIEW_ROWS))
    matches = sum(len(duplicate.matches) for duplicate in report.duplicates)
    if matches:
        audit.record_read("participant.duplicate_warning", detail=f"matches={matches}")
    return html


@bp.route("/participants/import", methods=("GET", "POST"))
@login_required
def import_participants() -> BaseResponse | str:
    """Upload a CSV of participants and see every problem before anything is saved."""
    _require_role((Role.admin, Role.organiser))
    form = ImportUploadForm()
    if not form.validate_on_submit():
        return render_template("data/import.html", form=form, max_rows=imports.MAX_ROWS,
                               columns=imports.BASE_COLUMNS,
                               dimensions=people_operations.dimensions_with_categories())
    raw = form.file.data.read(imports.MAX_BYTES + 1)
    # Checked first: the dry run ends in a rollback, which would undo the changes below.
    report = _checked(raw)
    imports.discard_upload(session.pop(_IMPORT_TOKEN, ""), current_user.id)
    if report.is_clean:
        session[_IMPORT_TOKEN] = imports.store_upload(raw, current_user.id)
    db.session.commit()
    return _preview(report)


@bp.route("/participants/import/template.csv")
@login_required
def import_template() -> Response:
    """An empty file to fill in: the header line of every column the import takes, as Excel opens it."""
    _require_role((Role.admin, Role.organiser))
    columns = [*imports.BASE_COLUMNS, *(d.key for d in people_operations.dimensions_with_categories())]
    response = Response("".join(excel_csv.lines(columns, [])), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="participants-template.csv"'
    return response


@bp.route("/participants/import/confirm", methods=("POST",))
@login_required
def confirm_import() -> BaseResponse | str:
    """Import the checked file: every line or, when any line fails now, none."""
    _require_role((Role.admin, Role.organiser))
    form = ImportConfirmForm()
    token = session.get(_IMPORT_TOKEN, "")
    raw = imports.load_upload(token, current_user.id) if form.validate_on_submit() else None
    if raw is None:
        flash(_("There is no checked file waiting; upload it again."), "error")
        return redirect(url_for(".import_participants"))
    report = imports.parse_csv(raw, {dimension.key for dimension in people_operations.dimensions_with_categories()})
    if report.is_clean:
        imports.apply_import(report, skip_duplicates=form.duplicates.data != "add")
    if not report.is_clean:
        db.session.rollback()
        return _preview(report)
    # Deleting the upload in the import's transaction means it is imported once: a second confirmation
    # of it (a double click, another host) finds it gone and imports nothing.
    if not imports.discard_upload(token, current_user.id):
        db.session.rollback()
        session.pop(_IMPORT_TOKEN, None)
        flash(_("There is no checked file waiting; upload it again."), "error")
        return redirect(url_for(".import_participants"))
    audit.record("participant.import", detail=f"rows={report.created}"
                                              + (f" skipped={report.skipped}" if report.skipped else ""))
    db.session.commit()
    session.pop(_IMPORT_TOKEN, None)
    flash(_("%(n)d people were added to the register.", n=report.created), "success")
    if report.skipped:
        flash(_("%(n)d lines were skipped: their people may already be in the register or earlier in the file.",
                n=report.skipped), "info")
    return redirect(url_for(".import_participants"))


@bp.route("/participants/import/cancel", methods=("POST",))
@login_required
def cancel_import() -> BaseResponse:
    """Drop the waiting file without importing it."""
    _require_role((Role.admin, Role.organiser))
    if ActionForm().validate_on_submit():
        imports.discard_upload(session.pop(_IMPORT_TOKEN, ""), current_user.id)
        db.session.commit()
        flash(_("The import was cancelled; nothing was saved."), "info")
    return redirect(url_for(".import_participants"))


# Retention and erasure (admins) ---------------------------------------------------------------------

@bp.route("/retention", methods=("GET", "POST"))
@login_required
def retention_purge() -> BaseResponse | str:
    """What the retention purge would delete now, and a button to delete it."""
    _require_role((Role.admin,))
    form = ActionForm()
    if form.validate_on_submit():
        plan = retention.purge_expired(utcnow())
        db.session.commit()
        flash(_("Purged %(sessions)d sessions: %(registrations)d registrations, %(speakers)d speaker entries, "
                "%(people)d people, %(files)d waiting upload files.",
                sessions=len(plan.session_ids), registrations=plan.registrations, speakers=plan.speakers,
                people=len(plan.participant_ids), files=len(plan.stale_uploads)), "success")
        return redirect(url_for(".retention_purge"))
    plan = retention.plan_purge(utcnow())
    sessions = list(db.session.scalars(
        sa.select(ForumSession).where(ForumSession.id.in_(plan.session_ids))
        .options(joinedload(ForumSession.forum)).order_by(ForumSession.ends_at)
    ))
    return render_template("data/retention.html", plan=plan, sessions=sessions, form=form)


@bp.route("/erase", methods=("GET",))
@login_required
def erase_lookup() -> str:
    """Find the person to erase by register id."""
    _require_role((Role.admin,))
    lookup = EraseLookupForm(request.args)
    participant = None
    # Only a submitted lookup is checked: ?lang= alone (the language switch) must not show an error.
    if "participant_id" in request.args and lookup.validate():
        participant = db.session.get(Participant, lookup.participant_id.data)
        if participant is None:
            lookup.participant_id.errors = [*lookup.participant_id.errors, _("No participant with this id.")]
        else:
            audit.record("participant.view", "participant", participant.id)
            db.session.commit()
    return render_template("data/erase.html", lookup=lookup, participant=participant, form=EraseForm())


@bp.route("/erase/<int:participant_id>", methods=("POST",))
@login_required
def erase(participant_id: int) -> BaseResponse:
    """Erase one person everywhere."""
    _require_role((Role.admin,))
    form = EraseForm()
    if not form.validate_on_submit():
        flash(_("Tick the box to confirm the erasure."), "error")
        return redirect(url_for(".erase_lookup", participant_id=participant_id))
    erased = retention.erase_participant(participant_id)
    if erased is None:
        abort(404)
    db.session.commit()
    flash(_("Participant %(id)d was erased: %(registrations)d registrations, %(speakers)d speaker entries.",
            id=participant_id, registrations=erased.registrations, speakers=erased.speaker_entries), "success")
    return redirect(url_for(".erase_lookup"))
