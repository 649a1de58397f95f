"""Balance pages: a session's dashboard, the policy editors, and a forum's balance over time.

The dashboard is for staff and the session's facilitators; policies and the forum overview are for
staff. Anyone else gets a 404, as if the page did not exist; anonymous readers are sent to sign in.
Charts are inline SVG drawn with presentation attributes and classes only, because the Content
Security Policy forbids inline styles and scripts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DecimalField, Field, IntegerField
from wtforms.validators import NumberRange, Optional

from forums.accounts.permissions import Need, current_staff, object_or_404, session_or_abort
from forums.balance import policies, policy_rules, wording
from forums.balance import queries as balance_queries
from forums.balance.coarse import coarse_report
from forums.balance.policy_rules import PolicyProblem
from forums.balance.rules import (
    STAGES,
    CategoryBalance,
    DimensionBalance,
    Quota,
    Suggestion,
)
from forums.floor import queries as floor_queries
from forums.forms import ActionForm, AppForm
from forums.i18n import current_language
from forums.mail import queries as mail_queries
from forums.web import page_number
from models import Forum, ForumSession, db

bp = Blueprint("balance", __name__)
# The one wording of balance (forums.balance.wording), registered once for every template.
for _name, _function in wording.TEMPLATE_GLOBALS.items():
    bp.add_app_template_global(_function, _name)

#: chart geometry in SVG user units: names on the left, bars from 0% to 100% on the right
LABEL_WIDTH = 260
BAR_WIDTH = 340
ROW_HEIGHT = 26
AXIS_HEIGHT = 22
CHART_WIDTH = LABEL_WIDTH + BAR_WIDTH + 70

#: share limits are entered as percentages with up to this many decimals
PERCENT_DECIMALS = 4

#: the "no dominance" preset caps every category at this share
NO_DOMINANCE_SHARE = 0.4

PRESETS = ("broad_inclusion", "no_dominance", "equal_shares", "proportional")


@dataclass(frozen=True)
class ChartRow:
    """One category's bar, with its band of allowed shares and its target, in SVG units."""

    name: str
    line: CategoryBalance
    y: int
    bar_width: float
    band: tuple[float, float] | None
    target_x: float | None


@dataclass(frozen=True)
class DimensionView:
    """What the dashboard shows for one dimension."""

    key: str
    name: str
    balance: DimensionBalance
    rows: tuple[ChartRow, ...]
    suggestions: tuple[Suggestion, ...]
    chart_height: int
    ticks: tuple[tuple[float, str], ...]


def _x(share: float) -> float:
    return round(LABEL_WIDTH + BAR_WIDTH * min(max(share, 0.0), 1.0), 1)


def allowed_band(quota: Quota | None, counted: int) -> tuple[float, float] | None:
    """The shares a quota allows now, counts read against ``counted``; None without limits or room."""
    if quota is None:
        return None
    lows = [quota.min_share or 0.0]
    highs = [1.0 if quota.max_share is None else quota.max_share]
    if counted:
        lows.append((quota.min_count or 0) / counted)
        if quota.max_count is not None:
            highs.append(quota.max_count / counted)
    low, high = max(lows), min(highs)
    has_limit = any(getattr(quota, name) is not None for name in ("min_count", "max_count", "min_share", "max_share"))
    if not has_limit or low > high:
        return None
    return low, min(high, 1.0)


def dimension_view(balance: DimensionBalance, suggestions: Sequence[Suggestion],
                   catalogue: policies.Catalogue, locale: str) -> DimensionView:
    """Table rows, bar geometry and plain-language suggestions for one dimension."""
    rows = []
    for index, line in enumerate(balance.categories):
        band = allowed_band(line.quota, balance.counted)
        rows.append(ChartRow(
            name=catalogue.category_name(balance.key, line.key, locale),
            line=line,
            y=AXIS_HEIGHT + index * ROW_HEIGHT,
            bar_width=_x(line.share) - LABEL_WIDTH if line.counts_toward_balance else 0,
            band=None if band is None else (_x(band[0]), round(_x(band[1]) - _x(band[0]), 1)),
            target_x=None if line.quota is None or line.quota.target_share is None else _x(line.quota.target_share),
        ))
    return DimensionView(
        key=balance.key,
        name=catalogue.dimension_name(balance.key, locale),
        balance=balance,
        rows=tuple(rows),
        suggestions=tuple(s for s in suggestions if s.dimension == balance.key),
        chart_height=AXIS_HEIGHT + len(rows) * ROW_HEIGHT + 4,
        ticks=tuple((_x(share), policies.percent(share)) for share in (0, 0.25, 0.5, 0.75, 1)),
    )


def _staff_forum(forum_id: int) -> Forum:
    """The forum, for staff (403 for anyone else, ``forums.accounts.permissions``), or 404."""
    if not current_staff():
        abort(403)
    return object_or_404(Forum, forum_id)


@bp.route("/sessions/<int:session_id>/balance")
@login_required
def session_dashboard(session_id: int) -> str:
    """Who is in the room at a stage, per dimension, against the policy, and what to change.

    Without ``?stage=`` it opens on the furthest stage that counts anyone (``queries.opening_stage``), so an
    empty stage never greets the reader with a verdict over nobody.
    """
    forum_session = session_or_abort(session_id, Need.facilitate)
    stage = request.args.get("stage") or balance_queries.opening_stage(session_id)
    if stage not in STAGES:
        abort(404)
    locale = current_language()
    details = balance_queries.session_balance_details(session_id, stage)
    is_staff = current_staff()
    # Facilitators see where each category stands, never a count that moves by one person (SECURITY.md T23).
    coarse = None if is_staff else coarse_report(details.report, current_app.config["SMALL_COUNT_THRESHOLD"])
    views = [dimension_view(dimension, details.report.suggestions, details.catalogue, locale)
             for dimension in details.report.dimensions] if is_staff else []
    return render_template(
        "balance/session.html", forum_session=forum_session, stage=stage, stages=STAGES,
        stage_label=wording.stage_label,
        report=details.report, policy=details.policy, catalogue=details.catalogue, dimensions=views,
        is_staff=is_staff, coarse=coarse,
        chart_width=CHART_WIDTH, label_width=LABEL_WIDTH, format_share=policies.percent,
        # Per category, whom the mail did not reach (exact counts: staff only), so no region drops out unseen.
        not_reached=mail_queries.not_reached(session_id, locale) if is_staff else [],
    )


def share_to_percent(share: float | None) -> str | None:
    """A stored share as the percentage the editor shows, up to four decimals."""
    if share is None:
        return None
    return f"{share * 100:.{PERCENT_DECIMALS}f}".rstrip("0").rstrip(".")


def percent_to_share(value: Decimal | None) -> float | None:
    """An entered percentage as a share; "33.3333" means one third.

    The simplest fraction (denominator up to 1,000) within half a displayed unit is taken, so shares
    the editor showed rounded (1/3, 1/7) come back exact and add up to 100% again.
    """
    if value is None:
        return None
    exact = Fraction(value) / 100
    simple = exact.limit_denominator(1000)
    tolerance = Fraction(1, 2 * 100 * 10**PERCENT_DECIMALS)
    return float(simple if abs(simple - exact) <= tolerance else exact)


class PercentField(DecimalField):
    """A percentage; a decimal comma is accepted, as Russian and Tajik readers write it."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read ``12,5`` as ``12.5``."""
        super().process_formdata([value.replace(",", ".") if isinstance(value, str) else value
                                  for value in valuelist])

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else str(self.data)


def field_name(dimension: str, category: str, limit: str) -> str:
    """The form field of one limit of one category."""
    return f"q-{dimension}-{category}-{limit}"


def limit_label(limit: str) -> str:
    """A limit's column heading."""
    return {
        "min_count": _("Minimum people"),
        "max_count": _("Maximum people"),
        "min_share": _("Minimum share (%)"),
        "max_share": _("Maximum share (%)"),
        "target_share": _("Target share (%)"),
    }[limit]


def policy_form(catalogue: policies.Catalogue, locale: str) -> FlaskForm:
    """A form with five limit fields per counting category (built per request: categories are data)."""

    class PolicyForm(AppForm):
        """One row of limits per counting category."""

    for dimension in catalogue.dimensions:
        for category in dimension.categories:
            if not category.counts_toward_balance:
                continue
            for limit in policies.QUOTA_FIELDS:
                label = f"{category.name(locale)}: {limit_label(limit)}"
                field: Field
                if limit in policies.SHARE_FIELDS:
                    field = PercentField(label, places=None, validators=[Optional(), NumberRange(0, 100)])
                else:
                    field = IntegerField(label, validators=[Optional(), NumberRange(0, 100_000)])
                setattr(PolicyForm, field_name(dimension.key, category.key, limit), field)
    return PolicyForm()


def fill_form(form: FlaskForm, catalogue: policies.Catalogue, quotas: Sequence[Quota],
              dimension_key: str | None = None) -> None:
    """Put quotas into the form, for every dimension or only ``dimension_key`` (its other values cleared)."""
    by_pair = {(quota.dimension, quota.category): quota for quota in quotas}
    for dimension in catalogue.dimensions:
        if dimension_key is not None and dimension.key != dimension_key:
            continue
        for category in dimension.categories:
            if not category.counts_toward_balance:
                continue
            quota = by_pair.get((dimension.key, category.key))
            for limit in policies.QUOTA_FIELDS:
                field = form[field_name(dimension.key, category.key, limit)]
                value = None if quota is None else getattr(quota, limit)
                field.raw_data = None
                field.data = share_to_percent(value) if limit in policies.SHARE_FIELDS else value


def form_quotas(form: FlaskForm, catalogue: policies.Catalogue) -> list[Quota]:
    """The quotas the form holds: one per category with at least one limit filled in."""
    quotas = []
    for dimension in catalogue.dimensions:
        for category in dimension.categories:
            if not category.counts_toward_balance:
                continue
            values: dict[str, Any] = {}
            for limit in policies.QUOTA_FIELDS:
                field = form[field_name(dimension.key, category.key, limit)]
                data = None if field.errors else field.data  # a refused cell is shown as refused, nothing more
                values[limit] = percent_to_share(data) if limit in policies.SHARE_FIELDS else data
            if any(value is not None for value in values.values()):
                quotas.append(Quota(dimension.key, category.key, **values))
    return quotas


def attach_problems(form: FlaskForm, problems: Sequence[PolicyProblem], quotas: Sequence[Quota],
                    catalogue: policies.Catalogue, locale: str) -> dict[str, list[str]]:
    """Put each problem on its field; returns the problems about whole dimensions, per dimension key."""
    by_dimension: dict[str, list[str]] = {}
    for index, problem in policies.problems_by_quota(problems, quotas):
        message = policies.problem_message(problem, catalogue, locale)
        quota = quotas[index] if index is not None else None
        name = field_name(quota.dimension, quota.category, problem.field) if quota and problem.field else None
        if name is not None and name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            by_dimension.setdefault(problem.dimension, []).append(message)
    return by_dimension


def preset_quotas(preset: str, dimension_key: str, catalogue: policies.Catalogue,
                  pool: Mapping[str, Mapping[str, int]]) -> list[Quota] | None:
    """The quotas of a ready-made preset for one dimension, or None for an unknown preset or dimension."""
    spec = next((spec for spec in catalogue.specs() if spec.key == dimension_key), None)
    if spec is None:
        return None
    if preset == "broad_inclusion":
        return policy_rules.broad_inclusion(spec)
    if preset == "no_dominance":
        return policy_rules.no_dominance(spec, NO_DOMINANCE_SHARE)
    if preset == "equal_shares":
        return policy_rules.equal_shares(spec)
    if preset == "proportional":
        return policy_rules.proportional_to_pool(spec, pool.get(dimension_key, {}))
    return None



@dataclass(frozen=True)
class PresetQuestion:
    """A preset that would overwrite cells the reader typed: the editor asks before it does."""

    dimension: str
    preset: str
    #: how many typed cells hold a value the preset would change
    conflicts: int

    @property
    def value(self) -> str:
        """The ``preset`` button value, without the answer."""
        return f"{self.dimension}:{self.preset}"


def _typed(field: Field) -> str:
    """What the reader typed in a cell, "" for an empty one."""
    return str(field.raw_data[0]).strip() if field.raw_data else ""


def _as_field_value(limit: str, value: float | int) -> Any:
    """A quota value as the editor's field holds it: a percentage for shares, a count otherwise."""
    return Decimal(share_to_percent(value) or "0") if limit in policies.SHARE_FIELDS else value


def preset_conflicts(form: FlaskForm, catalogue: policies.Catalogue, quotas: Sequence[Quota],
                     dimension_key: str) -> list[str]:
    """The fields of one dimension where the reader typed a value and the preset has another one."""
    by_pair = {(quota.dimension, quota.category): quota for quota in quotas}
    conflicts = []
    for name, limit, value in _preset_cells(catalogue, by_pair, dimension_key):
        field = form[name]
        if value is not None and _typed(field) and (field.errors or field.data != _as_field_value(limit, value)):
            conflicts.append(name)
    return conflicts


def _preset_cells(catalogue: policies.Catalogue, by_pair: Mapping[tuple[str, str], Quota],
                  dimension_key: str) -> list[tuple[str, str, float | int | None]]:
    """(field name, limit, preset value or None) for every cell of one dimension's table."""
    cells = []
    for dimension in catalogue.dimensions:
        if dimension.key != dimension_key:
            continue
        for category in dimension.categories:
            if not category.counts_toward_balance:
                continue
            quota = by_pair.get((dimension.key, category.key))
            for limit in policies.QUOTA_FIELDS:
                cells.append((field_name(dimension.key, category.key, limit), limit,
                              None if quota is None else getattr(quota, limit)))
    return cells


def merge_preset(form: FlaskForm, catalogue: policies.Catalogue, quotas: Sequence[Quota], dimension_key: str,
                 *, replace: bool) -> int:
    """Put a preset into one dimension's table and keep what the reader typed; returns how many typed cells stay.

    The rule: a cell the preset gives a value and the reader left empty takes the preset's value; a cell the
    reader typed keeps it, unless ``replace`` (the reader chose the preset's values) and the preset has one.
    Cells of other dimensions are never touched.
    """
    by_pair = {(quota.dimension, quota.category): quota for quota in quotas}
    kept = 0
    for name, limit, value in _preset_cells(catalogue, by_pair, dimension_key):
        field = form[name]
        typed = bool(_typed(field))
        if value is None or (typed and not replace):
            kept += typed
            continue
        field.raw_data = None
        field.errors = []
        field.data = share_to_percent(value) if limit in policies.SHARE_FIELDS else value
    return kept


def _preset_choice(value: str) -> tuple[str, str, str]:
    """(dimension, preset, answer) of a preset button; the answer is "", ``replace`` or ``keep``."""
    dimension_key, _sep, rest = value.partition(":")
    preset, _sep, answer = rest.partition(":")
    if answer not in ("", "replace", "keep"):
        abort(400)
    return dimension_key, preset, answer


def _policy_editor(owner: ForumSession | Forum, current: policies.PolicyInForce,
                   pool: Mapping[str, Mapping[str, int]], template: str, **context: Any) -> ResponseReturnValue:
    """The editor shared by sessions and forums: presets fill the form, Save validates, stores and says so.

    A preset merges with what was typed (``merge_preset``); when it would change a value the reader typed,
    the editor asks first (``PresetQuestion``) and changes nothing until they answer. A refused form shows
    every problem at once: the cells that cannot be read, and what is wrong with the limits that can.
    """
    locale = current_language()
    catalogue = policies.load_catalogue()
    form = policy_form(catalogue, locale)
    dimension_errors: dict[str, list[str]] = {}
    notice = None
    question = None
    status = 200
    if request.method == "GET":
        fill_form(form, catalogue, current.quotas)
    elif request.form.get("preset"):
        # CSRFProtect has already checked the token; a preset only fills the form, it saves nothing.
        dimension_key, preset, answer = _preset_choice(request.form["preset"])
        quotas = preset_quotas(preset, dimension_key, catalogue, pool)
        if quotas is None:
            abort(400)
        dimension_name = catalogue.dimension_name(dimension_key, locale)
        form.validate()  # reads every typed cell, so a cell that cannot be read counts as typed
        conflicts = preset_conflicts(form, catalogue, quotas, dimension_key)
        for field in form:
            field.errors = []  # nothing was saved: no cell is "refused" yet
        if conflicts and not answer:
            question = PresetQuestion(dimension_key, preset, len(conflicts))
        else:
            kept = merge_preset(form, catalogue, quotas, dimension_key, replace=answer == "replace")
            if kept:
                notice = ngettext(
                    "The preset is filled in for %(dimension)s; %(num)d value you typed there is kept. "
                    "Nothing is saved until you press Save.",
                    "The preset is filled in for %(dimension)s; %(num)d values you typed there are kept. "
                    "Nothing is saved until you press Save.", kept, dimension=dimension_name)
            else:
                notice = _("The preset is filled in for %(dimension)s. Nothing is saved until you press Save.",
                           dimension=dimension_name)
    elif form.validate_on_submit():
        quotas = form_quotas(form, catalogue)
        problems = policies.save_policy(owner, quotas, catalogue)
        if not problems:
            db.session.commit()
            flash(ngettext("The policy is saved: %(num)d category has limits.",
                           "The policy is saved: %(num)d categories have limits.", len(quotas)), "success")
            return redirect(request.path)
        db.session.rollback()
        dimension_errors = attach_problems(form, problems, quotas, catalogue, locale)
        status = 422
    else:
        # Every problem at once: what is wrong with the limits that could be read, beside the unreadable cells.
        if form.is_submitted():
            quotas = form_quotas(form, catalogue)
            dimension_errors = attach_problems(form, policies.policy_problems(owner, quotas, catalogue), quotas,
                                               catalogue, locale)
        status = 422
    return render_template(
        template, form=form, catalogue=catalogue, current=current, notice=notice, question=question,
        dimension_errors=dimension_errors, field_name=field_name, limits=policies.QUOTA_FIELDS,
        limit_label=limit_label, presets=PRESETS, no_dominance=policies.percent(NO_DOMINANCE_SHARE),
        **context,
    ), status


@bp.route("/sessions/<int:session_id>/policy", methods=("GET", "POST"))
@login_required
def session_policy(session_id: int) -> ResponseReturnValue:
    """Edit a session's own policy (its override of the forum's)."""
    forum_session = session_or_abort(session_id, Need.manage)
    current = policies.session_policy(session_id)
    pool = balance_queries.invited_pool(session_id)
    return _policy_editor(forum_session, current, pool, "balance/session_policy.html",
                          forum_session=forum_session, remove_form=ActionForm())


@bp.route("/sessions/<int:session_id>/policy/remove", methods=("POST",))
@login_required
def remove_session_policy(session_id: int) -> Response:
    """Drop the session's own policy so the forum's applies again."""
    forum_session = session_or_abort(session_id, Need.manage)
    if ActionForm().validate_on_submit():
        policies.remove_session_policy(forum_session)
        db.session.commit()
        flash(_("This session follows the forum's policy again."), "success")
    return redirect(url_for("balance.session_policy", session_id=session_id))


@bp.route("/forums/<int:forum_id>/policy", methods=("GET", "POST"))
@login_required
def forum_policy(forum_id: int) -> ResponseReturnValue:
    """Edit a forum's policy, which its sessions follow unless they have their own."""
    forum = _staff_forum(forum_id)
    return _policy_editor(forum, policies.forum_policy(forum_id), balance_queries.register_pool(),
                          "balance/forum_policy.html", forum=forum)


@bp.route("/forums/<int:forum_id>/balance")
@login_required
def forum_overview(forum_id: int) -> str:
    """A forum's sessions, a page at a time: balanced or not when invited and when attended; and, over
    all its sessions, who came over time and who never did."""
    forum = _staff_forum(forum_id)
    overview = balance_queries.forum_balance_page(forum_id, page_number())
    return render_template(
        "balance/forum.html", forum=forum, overview=overview, locale=current_language(),
        stage_label=wording.stage_label, stages=balance_queries.FORUM_STAGES, percent=policies.percent,
        # present is not heard: the floor over the series beside attendance (issue 15)
        floor=floor_queries.forum_floor(forum_id, overview.catalogue),
    )
