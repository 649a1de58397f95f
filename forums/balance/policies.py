"""Balance policies in the database: the catalogue they name, the policy in force, saving, messages.

The policy in force for a session is the session's own (an override) if it has one, else its forum's,
else none. Validation is ``forums.balance.policy_rules``; this module maps its problem codes to translated
sentences for pages and the API, and writes a valid policy in the caller's transaction (flushing,
never committing: the view commits, so a refused policy changes nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from flask_babel import format_percent
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager

from forums.audit import log as audit
from forums.balance.policy_rules import PolicyProblem, validate_quotas
from forums.balance.rules import CategorySpec, DimensionSpec, Quota
from models import BalancePolicy, Category, Dimension, Forum, ForumSession, db, utcnow
from models import Quota as QuotaRow

PolicySource = Literal["session", "forum", "none"]

#: the limit fields of a quota, in the order the API and the editor show them
QUOTA_FIELDS = ("min_count", "max_count", "min_share", "max_share", "target_share")
SHARE_FIELDS = ("min_share", "max_share", "target_share")

#: problems about a dimension's quotas taken together rather than one quota
DIMENSION_PROBLEMS = frozenset({
    "min_counts_above_capacity", "min_shares_above_total", "target_shares_above_total",
    "max_shares_below_total", "unsatisfiable",
})


@dataclass(frozen=True)
class Catalogue:
    """Every dimension with its categories, in display order (ORM objects, categories loaded)."""

    dimensions: tuple[Dimension, ...]

    def specs(self) -> list[DimensionSpec]:
        """The dimensions as the pure balance module wants them."""
        return [
            DimensionSpec(dimension.key, tuple(CategorySpec(category.key, category.counts_toward_balance)
                                               for category in dimension.categories))
            for dimension in self.dimensions
        ]

    def categories_by_dimension(self) -> dict[str, list[CategorySpec]]:
        """Category specs per dimension key, for ``policy_rules.validate_quotas``."""
        return {spec.key: list(spec.categories) for spec in self.specs()}

    def keys_by_category_id(self) -> dict[int, tuple[str, str]]:
        """(dimension key, category key) per category id."""
        return {category.id: (dimension.key, category.key)
                for dimension in self.dimensions for category in dimension.categories}

    def dimension(self, key: str) -> Dimension | None:
        """The dimension with this key, if any."""
        return next((dimension for dimension in self.dimensions if dimension.key == key), None)

    def category(self, dimension_key: str, category_key: str) -> Category | None:
        """The category with these keys, if any."""
        dimension = self.dimension(dimension_key)
        if dimension is None:
            return None
        return next((category for category in dimension.categories if category.key == category_key), None)

    def dimension_name(self, key: str, locale: str) -> str:
        """A dimension's display name, or its key when it does not exist."""
        dimension = self.dimension(key)
        return dimension.name(locale) if dimension else key

    def category_name(self, dimension_key: str, category_key: str, locale: str) -> str:
        """A category's display name, or its key when it does not exist."""
        category = self.category(dimension_key, category_key)
        return category.name(locale) if category else category_key


def load_catalogue() -> Catalogue:
    """Dimensions and their categories in one query."""
    dimensions = db.session.scalars(
        sa.select(Dimension)
        .outerjoin(Dimension.categories)
        .options(contains_eager(Dimension.categories))
        .order_by(Dimension.position, Dimension.id, Category.position, Category.id)
    ).unique()
    return Catalogue(tuple(dimensions))


@dataclass(frozen=True)
class PolicyInForce:
    """The quotas that apply, and where they come from."""

    source: PolicySource
    quotas: tuple[Quota, ...] = ()
    updated_at: datetime | None = None


NO_POLICY = PolicyInForce("none")


def _policies_where(condition: sa.ColumnElement[bool]) -> dict[tuple[str, int], PolicyInForce]:
    """Policies matching ``condition`` with their quotas, keyed by ("session"|"forum", owner id): one query."""
    rows = db.session.execute(
        sa.select(BalancePolicy.session_id, BalancePolicy.forum_id, BalancePolicy.updated_at,
                  Dimension.key, Category.key, *(getattr(QuotaRow, name) for name in QUOTA_FIELDS))
        .select_from(BalancePolicy)
        .outerjoin(QuotaRow, QuotaRow.policy_id == BalancePolicy.id)
        .outerjoin(Category, Category.id == QuotaRow.category_id)
        .outerjoin(Dimension, Dimension.id == QuotaRow.dimension_id)
        .where(condition)
        .order_by(BalancePolicy.id, QuotaRow.id)
    )
    quotas: dict[tuple[str, int], list[Quota]] = {}
    updated: dict[tuple[str, int], datetime] = {}
    for session_id, forum_id, updated_at, dimension_key, category_key, *limits in rows:
        owner = ("session", session_id) if session_id is not None else ("forum", forum_id)
        updated[owner] = updated_at
        bucket = quotas.setdefault(owner, [])
        if category_key is not None:
            bucket.append(Quota(dimension_key, category_key, **dict(zip(QUOTA_FIELDS, limits, strict=True))))
    return {owner: PolicyInForce(owner[0], tuple(bucket), updated[owner])  # type: ignore[arg-type]
            for owner, bucket in quotas.items()}


def policies_for_sessions(forum_session_ids: Mapping[int, int]) -> dict[int, PolicyInForce]:
    """The policy in force per session, given {session id: forum id}, in one query."""
    if not forum_session_ids:
        return {}
    found = _policies_where(sa.or_(BalancePolicy.session_id.in_(list(forum_session_ids)),
                                   BalancePolicy.forum_id.in_(set(forum_session_ids.values()))))
    return {
        session_id: found.get(("session", session_id)) or found.get(("forum", forum_id)) or NO_POLICY
        for session_id, forum_id in forum_session_ids.items()
    }


def session_policy(forum_session_id: int) -> PolicyInForce:
    """The policy in force for a session (its own, else its forum's, else none), in one query."""
    forum_id = sa.select(ForumSession.forum_id).where(ForumSession.id == forum_session_id).scalar_subquery()
    found = _policies_where(sa.or_(BalancePolicy.session_id == forum_session_id, BalancePolicy.forum_id == forum_id))
    own = found.get(("session", forum_session_id))
    forum_policies = [policy for owner, policy in found.items() if owner[0] == "forum"]
    return own or (forum_policies[0] if forum_policies else NO_POLICY)


def forum_policy(forum_id: int) -> PolicyInForce:
    """A forum's own policy, or none."""
    return _policies_where(BalancePolicy.forum_id == forum_id).get(("forum", forum_id), NO_POLICY)


def policy_problems(owner: ForumSession | Forum, quotas: Sequence[Quota], catalogue: Catalogue) -> list[PolicyProblem]:
    """What is wrong with ``quotas`` as the owner's policy (``policy_rules.validate_quotas``); writes nothing.

    A session's policy is checked against its capacity, a forum's without one (see ``save_policy``).
    """
    capacity = owner.capacity if isinstance(owner, ForumSession) else None
    return validate_quotas(quotas, capacity, catalogue.categories_by_dimension())


def save_policy(owner: ForumSession | Forum, quotas: Sequence[Quota], catalogue: Catalogue) -> list[PolicyProblem]:
    """Replace the owner's own policy with ``quotas`` unless it has problems; returns the problems.

    A session's policy is checked against its capacity; a forum's is not, because its sessions'
    capacities differ (each session's dashboard says when the forum policy cannot be met there).
    Writes nothing when there are problems; otherwise flushes and records ``policy.update``.
    """
    is_session = isinstance(owner, ForumSession)
    problems = policy_problems(owner, quotas, catalogue)
    if problems:
        return problems
    owner_column = BalancePolicy.session_id if is_session else BalancePolicy.forum_id
    policy = db.session.scalar(sa.select(BalancePolicy).where(owner_column == owner.id))
    if policy is None:
        policy = BalancePolicy(session_id=owner.id) if is_session else BalancePolicy(forum_id=owner.id)
        db.session.add(policy)
    policy.quotas.clear()
    # The old rows must be gone before new ones for the same categories arrive (unique per category).
    db.session.flush()
    for quota in quotas:
        category = catalogue.category(quota.dimension, quota.category)
        assert category is not None  # validate_quotas refused unknown keys
        policy.quotas.append(QuotaRow(dimension_id=category.dimension_id, category_id=category.id,
                                      **{name: getattr(quota, name) for name in QUOTA_FIELDS}))
    policy.updated_at = utcnow()
    audit.record("policy.update", "session" if is_session else "forum", owner.id,
                 detail=f"{len(quotas)} quotas")
    db.session.flush()
    return []


def remove_session_policy(forum_session: ForumSession) -> bool:
    """Drop a session's override so its forum's policy applies again; False when there was none."""
    policy = db.session.scalar(sa.select(BalancePolicy).where(BalancePolicy.session_id == forum_session.id))
    if policy is None:
        return False
    db.session.delete(policy)
    audit.record("policy.update", "session", forum_session.id, detail="override removed")
    db.session.flush()
    return True


def quota_json(quota: Quota) -> dict[str, object]:
    """A quota as the API shows it (every limit, null when absent)."""
    return {"dimension": quota.dimension, "category": quota.category,
            **{name: getattr(quota, name) for name in QUOTA_FIELDS}}


def percent(share: float) -> str:
    """A share as a percentage in the reader's language, e.g. ``31.58%``."""
    return format_percent(share, "#,##0.##%")


def _limit_text(field: str | None, value: object) -> str:
    if field in SHARE_FIELDS and isinstance(value, int | float):
        return percent(value)
    return str(value)


def infeasible_reason(code: str) -> str:
    """Why a dimension's policy cannot be met, for a ``forums.balance.rules.INFEASIBLE_REASONS`` code."""
    reasons = {
        "min_count_above_max_count": _("a minimum count is above its maximum count"),
        "min_share_above_max_share": _("a minimum share is above its maximum share"),
        "min_shares_above_total": _("the minimum shares add up to more than 100%"),
        "max_shares_below_total": _("the maximum shares of all categories add up to less than 100%"),
        "no_total_fits": _("no number of participants meets every limit at once"),
    }
    return reasons.get(code, _("the limits contradict each other"))


def problem_message(problem: PolicyProblem, catalogue: Catalogue, locale: str) -> str:
    """One policy problem as a sentence in the reader's language."""
    params = dict(problem.message_params)
    dimension = catalogue.dimension_name(problem.dimension, locale)
    category = catalogue.category_name(problem.dimension, problem.category or "", locale)
    field = problem.field
    if problem.code == "unknown_dimension":
        return _("There is no dimension “%(key)s”.", key=problem.dimension)
    if problem.code == "unknown_category":
        return _("%(dimension)s has no category “%(key)s”.", dimension=dimension, key=problem.category)
    if problem.code == "duplicate_quota":
        return _("%(category)s has limits twice; give each category one line.", category=category)
    if problem.code == "not_counted":
        return _("%(category)s does not count toward balance, so it cannot have limits.", category=category)
    if problem.code == "negative_count":
        return _("A number of people cannot be negative.")
    if problem.code == "share_out_of_range":
        return _("A share must be between 0% and 100%.")
    if problem.code == "min_above_max":
        return _("%(category)s: the minimum (%(min)s) is above the maximum (%(max)s).", category=category,
                 min=_limit_text(field, params["min"]), max=_limit_text(field, params["max"]))
    if problem.code == "min_count_above_capacity":
        return _("%(category)s: the minimum of %(min)d people is more than the capacity of %(capacity)d.",
                 category=category, min=params["min"], capacity=params["capacity"])
    if problem.code == "min_counts_above_capacity":
        return _("%(dimension)s: the minimum counts add up to %(total)d people, more than the capacity of "
                 "%(capacity)d.", dimension=dimension, total=params["total"], capacity=params["capacity"])
    if problem.code == "min_shares_above_total":
        return _("%(dimension)s: the minimum shares add up to %(total)s, more than 100%%.",
                 dimension=dimension, total=percent(params["total"]))
    if problem.code == "target_shares_above_total":
        return _("%(dimension)s: the target shares add up to %(total)s, more than 100%%.",
                 dimension=dimension, total=percent(params["total"]))
    if problem.code == "max_shares_below_total":
        return _("%(dimension)s: every category has a maximum share and together they allow only %(total)s, "
                 "so no room can meet them.", dimension=dimension, total=percent(params["total"]))
    if problem.code == "unsatisfiable":
        return _("%(dimension)s cannot be balanced within the capacity: %(reason)s.",
                 dimension=dimension, reason=infeasible_reason(str(params.get("reason", ""))))
    return _("%(dimension)s: this policy is not possible.", dimension=dimension)


def problems_by_quota(problems: Iterable[PolicyProblem],
                      quotas: Sequence[Quota]) -> list[tuple[int | None, PolicyProblem]]:
    """Each problem with the index of the quota it is about (None for a whole dimension).

    A duplicate is about the later of the two lines; every other problem about the first line of its category.
    """
    first: dict[tuple[str, str], int] = {}
    last: dict[tuple[str, str], int] = {}
    for index, quota in enumerate(quotas):
        first.setdefault((quota.dimension, quota.category), index)
        last[(quota.dimension, quota.category)] = index
    located: list[tuple[int | None, PolicyProblem]] = []
    for problem in problems:
        if problem.code in DIMENSION_PROBLEMS or problem.category is None:
            located.append((None, problem))
            continue
        lines = last if problem.code == "duplicate_quota" else first
        located.append((lines.get((problem.dimension, problem.category)), problem))
    return located
