"""The audit log page for admins: who did what to which object, filtered and paged."""

from datetime import datetime, time
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, StringField
from wtforms.validators import Length, Optional, ValidationError

from forums import validation
from forums.audit import labels as audit_labels
from forums.audit import log as audit
from forums.audit import objects as audit_objects
from forums.forms import AppForm
from forums.i18n import display_zone
from forums.web import admins_only
from models import AuditEntry, db

bp = Blueprint("audit", __name__, url_prefix="/admin")
bp.before_request(admins_only)

AUDIT_PAGE_SIZE = 50


class AuditFilterForm(AppForm):
    """Filters of the audit page, read from the query string."""

    class Meta:
        # A GET form that changes nothing: no CSRF token, so filtered views can be bookmarked.
        csrf = False

    words = StringField(_l("What happened"), validators=[Optional(), Length(max=100)],
                        description=_l("Words of the description, e.g. cancelled or sign"))
    actor = StringField(_l("Who"), validators=[Optional(), Length(max=254)])
    action = StringField(_l("Action"), validators=[Optional(), Length(max=60)],
                         description=_l("An action code, as in small print under each action: "
                                        "auth.login_failed, or auth. for every sign-in event"))
    object = StringField(_l("Object"), validators=[Optional(), Length(max=60)],
                         description=_l("e.g. participant or participant:12"))
    since = DateField(_l("Since"), validators=[Optional()])

    def validate_object(self, field: StringField) -> None:
        """A type, or a type and an id."""
        if field.data and audit.parse_object(field.data) is None:
            raise ValidationError(_("Write a type, or a type and a number: participant:12."))

    def to_filter(self) -> audit.AuditFilter:
        """The filter these (valid) fields describe; ``since`` is midnight in the mission's zone."""
        object_type, object_id = audit.parse_object(self.object.data or "") or ("", None)
        since = datetime.combine(self.since.data, time(), display_zone()) if self.since.data else None
        return audit.AuditFilter(actor=self.actor.data or "", action=(self.action.data or "").strip(),
                                 object_type=object_type, object_id=object_id, since=since,
                                 actions=audit_labels.actions_described_by(self.words.data or ""))


@bp.route("/audit")
def audit_log() -> str:
    """The audit log, newest first, filtered and paged (``?before=<id>`` for older entries)."""
    form = AuditFilterForm(request.args)
    entries: list[AuditEntry] = []
    older: str | None = None
    if form.validate():
        statement = audit.filtered_entries(form.to_filter())
        # A number larger than any id is older than nothing: the filter is left out, as for nonsense.
        before = validation.whole_number(request.args.get("before"))
        if before is not None:
            statement = statement.where(AuditEntry.id < before)
        entries = list(db.session.scalars(statement.order_by(AuditEntry.id.desc()).limit(AUDIT_PAGE_SIZE + 1)))
        if len(entries) > AUDIT_PAGE_SIZE:
            entries = entries[:AUDIT_PAGE_SIZE]
            args: dict[str, Any] = {key: value for key, value in request.args.items() if key != "before"}
            older = url_for("audit.audit_log", **args, before=entries[-1].id)
    return render_template("audit/log.html", form=form, entries=entries, older=older,
                           action_label=audit_labels.action_label, object_type_label=audit_labels.object_type_label,
                           named=audit_objects.named_objects(entries), changed_fields=audit_objects.changed_fields)
