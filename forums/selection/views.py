"""Balanced invitations: staff draw a fair panel for a session and turn it into invitations.

The page is a GET form (pool, size, seed, algorithm, organisation cap, exclusions), so a draw can be
bookmarked and repeated; showing a panel is audited with its seed (``selection.run``). Confirming is
a POST with the same query string: the panel is drawn again from the same seed and invited only if
it is the one that was shown, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from werkzeug.wrappers import Response
from wtforms import HiddenField, IntegerField, RadioField, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional

from forums import validation
from forums.accounts.permissions import Need, session_or_abort
from forums.balance import policies
from forums.balance.rules import BalanceReport, CategoryBalance
from forums.balance.wording import limits_text
from forums.forms import AppForm, options
from forums.i18n import current_language
from forums.people import queries as people_queries
from forums.people.forms import participant_filter_form
from forums.registrations import queries as registration_queries
from forums.selection import draw as selection_service
from forums.selection.draw import (
    PanelDraw,
    PanelSpec,
    PoolError,
)
from forums.selection.messages import (
    ALGORITHM_LABELS,
    conflict_text,
    infeasible_text,
    pool_error_text,
    random_seed,
    relaxation_text,
)
from forums.selection.rules import (
    MAX_POOL,
    MAX_SEED,
    MAX_TIME_LIMIT_SECONDS,
    TIME_LIMIT_CONFIG,
    TIME_LIMIT_SECONDS,
    WAITLIST,
)
from forums.selection.solver import (
    ALGORITHMS,
    InfeasibleSelection,
)
from forums.web import staff_required
from models import (
    STATUS_LABELS,
    ForumSession,
    Participant,
    Registration,
    RegistrationStatus,
    db,
)
from models.registrations import HOLDING

bp = Blueprint("selection", __name__, url_prefix="/staff")

POOL_REGISTER = "register"


# The form -----------------------------------------------------------------------------------------

class SelectionForm(AppForm):
    """What to draw from, how many and with which seed; sent by GET, so no CSRF token."""

    pool = RadioField(_l("Draw from"), default=WAITLIST, choices=options([
        (WAITLIST, _l("The session's waitlist")),
        (POOL_REGISTER, _l("The register, as filtered below")),
    ]))
    size = IntegerField(_l("Panel size"), validators=[InputRequired(), NumberRange(min=1, max=MAX_POOL)])
    seed = IntegerField(_l("Seed"), validators=[Optional(), NumberRange(min=0, max=MAX_SEED)])
    algorithm = SelectField(_l("Fairness"), default="maximin",
                            choices=options((key, ALGORITHM_LABELS[key]) for key in ALGORITHMS))
    max_per_organisation = IntegerField(_l("At most this many people per organisation"),
                                        validators=[Optional(), NumberRange(min=1, max=MAX_POOL)])
    time_limit = IntegerField(_l("Search for at most (seconds)"),
                              validators=[Optional(), NumberRange(min=1, max=MAX_TIME_LIMIT_SECONDS)])


def default_time_limit() -> int:
    """The configured time limit of a search (``SELECTION_TIME_LIMIT``), within the allowed range."""
    configured = int(current_app.config.get(TIME_LIMIT_CONFIG, TIME_LIMIT_SECONDS))
    return max(1, min(configured, MAX_TIME_LIMIT_SECONDS))


def longer_time_limit(seconds: float) -> int:
    """The next, longer search staff may ask for: three times as long, at most the maximum."""
    return int(min(3 * seconds, MAX_TIME_LIMIT_SECONDS))


class ConfirmForm(AppForm):
    """The panel that was shown, so confirming can check it is drawn again."""

    shown = HiddenField()

    def shown_ids(self) -> set[int] | None:
        """The ids that were shown, or None when the field is not a list of ids."""
        ids = [validation.whole_number(word) for word in (self.shown.data or "").split(",")]
        return None if None in ids else {number for number in ids if number is not None}


def _excluded() -> frozenset[int]:
    return frozenset(number for value in request.args.getlist("exclude")
                     if (number := validation.whole_number(value)) is not None)


def _forum_session(session_id: int) -> ForumSession:
    return session_or_abort(session_id, Need.manage)


def _spec(forum_session: ForumSession, form: SelectionForm, seed: int, steps: int | None = None) -> PanelSpec:
    """The draw the form asks for; a register pool is resolved to the ids the filter finds now."""
    assert form.size.data is not None  # InputRequired: the callers validated the form
    pool: str | tuple[int, ...] = WAITLIST
    if form.pool.data == POOL_REGISTER:
        filters = participant_filter_form(people_queries.dimensions(), current_language())
        where = people_queries.participant_filter(filters.query(), filters.categories())
        pool = tuple(db.session.scalars(sa.select(Participant.id).where(where).limit(MAX_POOL + 1)))
    return PanelSpec(forum_session.id, pool, size=form.size.data, seed=seed, algorithm=form.algorithm.data,
                     max_per_organisation=form.max_per_organisation.data, exclude=_excluded(),
                     time_limit=form.time_limit.data or default_time_limit(), steps=steps)


# What the page shows ------------------------------------------------------------------------------

@dataclass(frozen=True)
class PoolRow:
    """One pool member: who, their chance, and where they stand now."""

    id: int
    name: str
    organisation: str
    probability: float
    on_panel: bool
    kept: bool
    excluded: bool
    status: str


@dataclass(frozen=True)
class BalanceRow:
    """One category of the panel's balance."""

    name: str
    line: CategoryBalance
    limits: str


def _pool_rows(draw: PanelDraw) -> list[PoolRow]:
    """Everyone of the pool, the least likely first, with names and current registration status."""
    ids = list(draw.people)
    names = {row.id: row for row in db.session.execute(
        sa.select(Participant.id, Participant.name, Participant.organisation).where(Participant.id.in_(ids)))}
    statuses = dict(db.session.execute(
        sa.select(Registration.participant_id, Registration.status)
        .where(Registration.session_id == draw.spec.session_id, Registration.participant_id.in_(ids))).all())
    selected = set(draw.result.selected)
    rows = [
        PoolRow(pid, names[pid].name, names[pid].organisation, draw.result.probabilities[pid], pid in selected,
                pid in draw.kept, pid in draw.spec.exclude,
                str(STATUS_LABELS[RegistrationStatus(statuses[pid])]) if pid in statuses else "")
        for pid in ids
    ]
    return sorted(rows, key=lambda row: (row.probability, row.name, row.id))


def _balance_rows(report: BalanceReport, catalogue: policies.Catalogue,
                  locale: str) -> list[tuple[str, list[BalanceRow]]]:
    return [
        (catalogue.dimension_name(dimension.key, locale),
         [BalanceRow(catalogue.category_name(dimension.key, line.key, locale), line, limits_text(line.quota))
          for line in dimension.categories])
        for dimension in report.dimensions
    ]


def _infeasible_view(error: InfeasibleSelection, spec: PanelSpec, catalogue: policies.Catalogue,
                     locale: str) -> dict[str, object]:
    return {
        "reason": infeasible_text(error, spec),
        "conflicts": [conflict_text(bound, catalogue, locale) for bound in error.conflicting],
        "relaxation": [relaxation_text(change, catalogue, locale) for change in error.relaxation],
    }


@bp.route("/sessions/<int:session_id>/selection")
@staff_required
def page(session_id: int) -> ResponseReturnValue:
    """Choose a pool, a size and a seed; see the panel, its balance and everyone's chance."""
    forum_session = _forum_session(session_id)
    locale = current_language()
    dimensions = people_queries.dimensions()
    form = SelectionForm(request.args, meta={"csrf": False})
    filter_form = participant_filter_form(dimensions, locale)
    counts = registration_queries.status_counts(session_id)
    context: dict[str, object] = {
        "forum_session": forum_session, "form": form, "filter_form": filter_form, "dimensions": dimensions,
        "waitlisted": counts[RegistrationStatus.waitlisted],
        "holding": sum(counts[status] for status in HOLDING),
    }
    submitted = "size" in request.args
    if not submitted:
        form.size.data = forum_session.capacity
        form.seed.data = random_seed()
        form.time_limit.data = default_time_limit()
        return render_template("selection/page.html", **context)
    if not form.validate():
        return render_template("selection/page.html", **context), 422
    seed = random_seed() if form.seed.data is None else form.seed.data
    form.seed.data = seed
    form.time_limit.data = form.time_limit.data or default_time_limit()
    spec = _spec(forum_session, form, seed)
    catalogue = policies.load_catalogue()
    try:
        draw = selection_service.draw_panel(spec)
    except PoolError as error:
        context["problem"] = pool_error_text(error)
        return render_template("selection/page.html", **context), 422
    except InfeasibleSelection as error:
        context["infeasible"] = _infeasible_view(error, spec, catalogue, locale)
        return render_template("selection/page.html", **context), 422
    html = render_template(
        "selection/page.html", **context, draw=draw, rows=_pool_rows(draw),
        balance=_balance_rows(selection_service.panel_balance(draw, catalogue), catalogue, locale),
        format_share=policies.percent, confirm_form=ConfirmForm(formdata=None, shown=",".join(
            map(str, draw.result.selected))),
        # Confirming replays the search step for step, so it invites this panel even if the limit stopped it.
        query_string=urlencode([*((k, v) for k, v in request.args.items(multi=True) if k not in ("seed", "steps")),
                                ("seed", str(seed)), ("steps", str(draw.result.steps))]),
        longer_query=urlencode([*((k, v) for k, v in request.args.items(multi=True)
                                  if k not in ("seed", "time_limit")),
                                ("seed", str(seed)), ("time_limit", str(longer_time_limit(spec.time_limit)))]),
        can_search_longer=spec.time_limit < MAX_TIME_LIMIT_SECONDS,
        longer_time_limit=longer_time_limit,
    )
    # Committed after rendering: committing first would expire every loaded row (see forums.people.views).
    db.session.commit()
    return html


@bp.route("/sessions/<int:session_id>/selection/confirm", methods=("POST",))
@staff_required
def confirm(session_id: int) -> Response:
    """Draw the shown panel again from its seed and invite its newcomers, all or nothing."""
    forum_session = _forum_session(session_id)
    back = url_for(".page", session_id=session_id) + ("?" + request.query_string.decode()
                                                      if request.query_string else "")
    form = SelectionForm(request.args, meta={"csrf": False})
    confirm_form = ConfirmForm()
    shown = confirm_form.shown_ids() if confirm_form.validate_on_submit() else None
    if not form.validate() or form.seed.data is None or shown is None:
        flash(_("Draw a panel first, then confirm it."), "error")
        return redirect(back)
    spec = _spec(forum_session, form, form.seed.data, validation.whole_number(request.args.get("steps", "")))
    try:
        draw = selection_service.confirm_panel(spec, shown)
    except selection_service.PanelChanged:
        db.session.rollback()
        flash(_("The panel drawn now is not the one you saw: the pool, the policy or the invitations changed "
                "meanwhile. Nobody was invited; check the new panel below."), "error")
        return redirect(back)
    except (PoolError, InfeasibleSelection):
        db.session.rollback()
        flash(_("This panel can no longer be drawn: the pool, the policy or the invitations changed meanwhile. "
                "Nobody was invited."), "error")
        return redirect(back)
    db.session.commit()
    flash(ngettext("%(num)d person of the panel invited.", "%(num)d people of the panel invited.",
                   len(draw.newcomers)), "success")
    return redirect(url_for("registrations.registration_list", session_id=session_id, status="invited"))

