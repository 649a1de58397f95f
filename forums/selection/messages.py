"""What the selection engine and the draw report as codes, in the reader's words; and a fresh seed.

The page and the API both read these, so a refusal is worded once.
"""

import secrets

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from forums.balance import policies
from forums.balance.wording import people
from forums.selection.draw import PanelSpec, PoolError
from forums.selection.rules import MAX_POOL
from forums.selection.solver import InfeasibleSelection, QuotaBound, QuotaRelaxation

#: a new random seed is at most this, so it is short enough to read out and type again
RANDOM_SEED_LIMIT = 1_000_000

ALGORITHM_LABELS = {
    "maximin": _l("Maximin: raise the smallest chance of anyone in the pool"),
    "leximin": _l("Leximin: then the next smallest, and so on"),
}


def random_seed() -> int:
    """A fresh seed for a new draw."""
    return secrets.randbelow(RANDOM_SEED_LIMIT)


def _quota_name(dimension: str, category: str, catalogue: policies.Catalogue, locale: str) -> str:
    return _("%(category)s (%(dimension)s)", category=catalogue.category_name(dimension, category, locale),
             dimension=catalogue.dimension_name(dimension, locale))


def conflict_text(bound: QuotaBound, catalogue: policies.Catalogue, locale: str) -> str:
    """One side of a quota in a conflict, e.g. "Government (Group): at least 3 people"."""
    quota = bound.quota
    name = _quota_name(quota.dimension, quota.category, catalogue, locale)
    if bound.bound == "min":
        return _("%(quota)s: at least %(people)s", quota=name, people=people(quota.min_count))
    return _("%(quota)s: at most %(people)s", quota=name, people=people(quota.max_count or 0))


def relaxation_text(relaxation: QuotaRelaxation, catalogue: policies.Catalogue, locale: str) -> str:
    """The change one quota needs, e.g. "lower the minimum of Government (Group) from 3 to 1 people"."""
    quota = relaxation.quota
    name = _quota_name(quota.dimension, quota.category, catalogue, locale)
    changes = []
    if relaxation.lower_min_by:
        changes.append(_("lower the minimum of %(quota)s from %(old)d to %(new)d", quota=name,
                         old=quota.min_count, new=quota.min_count - relaxation.lower_min_by))
    if relaxation.raise_max_by:
        changes.append(_("raise the maximum of %(quota)s from %(old)d to %(new)d", quota=name,
                         old=quota.max_count or 0, new=(quota.max_count or 0) + relaxation.raise_max_by))
    return "; ".join(changes)


def infeasible_text(error: InfeasibleSelection, spec: PanelSpec) -> str:
    """Why no panel can be drawn, in one sentence."""
    if error.reason == "too_many_kept":
        return _("More people already hold an invitation than the panel of %(size)d has seats. Choose a "
                 "larger panel.", size=spec.size)
    if error.reason == "pool_too_small":
        return _("The pool has fewer people who can be drawn than the panel of %(size)d needs. Choose a "
                 "smaller panel or a larger pool.", size=spec.size)
    if error.reason == "organisation_cap":
        return _("No panel of %(size)d from this pool has at most %(cap)d people from each organisation.",
                 size=spec.size, cap=spec.max_per_organisation or 0)
    return _("The policy's quotas cannot all be met by a panel of %(size)d from this pool.", size=spec.size)


def pool_error_text(error: PoolError) -> str:
    """What is wrong with the pool or the exclusions."""
    if error.code == "unknown_people":
        return ngettext("%(num)d person of the pool is not in the register: %(ids)s.",
                        "%(num)d people of the pool are not in the register: %(ids)s.",
                        len(error.ids), ids=", ".join(map(str, error.ids[:20])))
    if error.code == "pool_too_large":
        return _("The pool may hold at most %(n)d people.", n=MAX_POOL)
    if error.code == "exclude_kept":
        return _("People who already hold an invitation are on every panel and cannot be excluded.")
    return _("Only people of the pool can be excluded.")
