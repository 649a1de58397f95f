"""The report for headquarters: the page (printable on A4), its CSV file and its narrative. Staff only.

Every look at a report and every export is audited (``report.view``, ``report.export``) with the
report's scope, never a number or a name.

No PDF file: the page prints on A4 (static/reports.css) and every browser saves a print as PDF. A PDF
library would cost more than it gives here: WeasyPrint needs Pango and Cairo installed on the server,
and ReportLab would need the report laid out a second time in code, beside the template.
"""

from collections.abc import Iterator

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from forums.audit import log as audit
from forums.balance.policies import percent
from forums.balance.wording import verdict_label
from forums.data import excel_csv
from forums.i18n import current_language, to_local
from forums.reports import forms, operations, queries
from forums.reports.sections import sections_for
from forums.web import staff_required
from models import db, utcnow

bp = Blueprint("reports", __name__, url_prefix="/staff/reports")


def _asked() -> tuple[forms.ReportForm, queries.Period | None]:
    """The form and the period from the address (last month, every forum, when it names none); None if invalid."""
    asked = "start" in request.args or "end" in request.args
    form = forms.report_form(queries.forums_for_choice(), request.args if asked else None, to_local(utcnow()).date())
    if (asked and not form.validate()) or form.start.data is None or form.end.data is None:
        return form, None
    return form, queries.period(form.start.data, form.end.data, form.forums.data or [])


@bp.route("")
@staff_required
def report() -> tuple[str, int]:
    """The report of a period and forums: sessions held, attendance per category against policy, the trend."""
    form, period = _asked()
    if period is None:
        return render_template("reports/report.html", form=form, data=None), 422
    data = queries.report_for(period.first_day, period.last_day, period.forum_ids, current_language())
    narrative = queries.narrative_of(period.scope)
    page = render_template(
        "reports/report.html", form=form, data=data, scope_args=period.args(), sections=sections_for(data.scope),
        narrative=narrative, percent=percent,
        narrative_form=forms.NarrativeForm(formdata=None, text=narrative.text if narrative else ""))
    audit.record_read("report.view", "report", None, detail=period.scope)
    return page, 200


@bp.route("/export.csv")
@staff_required
def export() -> BaseResponse | tuple[str, int]:
    """The report as a CSV file for Excel: the same numbers, suppressed the same way, no names."""
    form, period = _asked()
    if period is None:
        return render_template("reports/report.html", form=form, data=None), 422
    locale = current_language()
    data = queries.report_for(period.first_day, period.last_day, period.forum_ids, locale)
    # Written before the audit entry commits: committing expires the catalogue the lines are named from.
    body = "".join(_csv_lines(data, locale))
    audit.record("report.export", "report", None, detail=period.scope)
    db.session.commit()
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="report-{period.first_day.isoformat()}-{period.last_day.isoformat()}.csv"')
    return response


def _csv_lines(data: queries.ReportData, locale: str) -> Iterator[str]:
    """The file: one table of lines (section, dimension, category, month, figure, value); hidden cells are empty."""
    catalogue, report = data.catalogue, data.report
    hidden = ""
    yield excel_csv.BOM + excel_csv.line([_("Section"), _("Dimension"), _("Category"), _("Month"), _("Figure"),
                                          _("Value")])
    yield excel_csv.line([_("Sessions held"), "", "", "", _("Sessions"), str(report.sessions_held)])
    for held in data.sessions:
        cells = [_("Sessions held"), held.forum_session.forum.title, held.forum_session.localized("title", locale),
                 to_local(held.forum_session.starts_at).date().isoformat()]
        yield excel_csv.line([*cells, _("Attended"), str(held.attended)])
        yield excel_csv.line([*cells, _("Balance policy"), _("too few people to say") if held.within_policy is None
                              else verdict_label(held.within_policy)])
    for line in report.categories:
        names = [catalogue.dimension_name(line.dimension, locale),
                 catalogue.category_name(line.dimension, line.category, locale)]
        yield excel_csv.line([_("Attendance"), *names, "", _("Attendances"),
                              hidden if line.attendances is None else str(line.attendances)])
        yield excel_csv.line([_("Attendance"), *names, "", _("Share"),
                              hidden if line.share is None else f"{line.share:.4f}"])
        yield excel_csv.line([_("Attendance"), *names, "", _("Sessions under the policy"), str(line.sessions_under)])
        yield excel_csv.line([_("Attendance"), *names, "", _("Sessions over the policy"), str(line.sessions_over)])
    for month in report.months:
        yield excel_csv.line([_("Trend"), "", "", month.month, _("Sessions"), str(month.sessions)])
        for (dimension, category), value in month.attendances.items():
            yield excel_csv.line([_("Trend"), catalogue.dimension_name(dimension, locale),
                                  catalogue.category_name(dimension, category, locale), month.month,
                                  _("Attendances"), hidden if value is None else str(value)])
    for dimension, category in report.never_present:
        yield excel_csv.line([_("Never present"), catalogue.dimension_name(dimension, locale),
                              catalogue.category_name(dimension, category, locale), "", "", ""])
    for section in sections_for(data.scope):
        for row in section.rows:
            yield excel_csv.line([section.title, *row])


@bp.route("/narrative", methods=("POST",))
@staff_required
def narrative() -> BaseResponse | tuple[str, int]:
    """Store the narrative of the report named by the address's period and forums."""
    form, period = _asked()
    narrative_form = forms.NarrativeForm()
    if period is None or not narrative_form.validate_on_submit():
        flash(_("The narrative was not saved: check the period and its length."), "error")
        return render_template("reports/report.html", form=form, data=None), 422
    operations.save_narrative(period.scope, (narrative_form.text.data or "").strip())
    db.session.commit()
    flash(_("Narrative saved."), "success")
    return redirect(url_for("reports.report", **period.args()))
