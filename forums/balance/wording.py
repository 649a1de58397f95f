"""The one wording of balance: what every page calls a category's status, a dimension's and a report's verdict,
a suggestion and a quota's limits.

The words live here, beside the status values of ``forums.balance.rules`` (``ok``, ``under``, ``over``), and
nowhere else: templates show them through the macros ``balance_status``, ``balance_verdict``,
``balance_report_verdict`` and ``balance_suggestion`` of ``templates/macros.html``, which read the template
globals registered once by ``forums.balance.views``; views that need the words as text call these functions.
``tests/balance/test_wording.py`` fails when a template or view words a status on its own.

Rules:

- a category is *within the policy*, *below the minimum* or *above the maximum* (``rules.category_status``); a
  category that does not count toward balance (observers) is *not counted*, whatever its status;
- a dimension is *within the policy* when every category is, else *outside the policy*; with nobody counted in
  it, it is neither: *nobody counted yet*, never a green "within the policy" over an empty room;
- a report says the same of all its dimensions together, and "nobody is counted at this stage yet" when its
  stage counts nobody;
- a suggestion is "Add 2 people from X", "Remove 1 person from Y", or why the policy cannot be met.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import LazyString, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from forums.balance.policies import Catalogue, infeasible_reason, percent
from forums.balance.rules import Quota, Suggestion
from forums.i18n import current_language
from models import STATUS_LABELS as REGISTRATION_STATUS_LABELS
from models import RegistrationStatus

#: a category's status in words, for each status of ``forums.balance.rules.Status``
STATUS_LABELS: dict[str, LazyString] = {
    "ok": _l("within the policy"),
    "under": _l("below the minimum"),
    "over": _l("above the maximum"),
}
#: a category that does not count toward balance (e.g. international observers)
NOT_COUNTED = _l("not counted")

#: a dimension's verdict: within the policy (every category is), outside it, or nothing to judge
VERDICT_LABELS: dict[str, LazyString] = {
    "ok": _l("within the policy"),
    "outside": _l("outside the policy"),
    "empty": _l("nobody counted yet"),
}

#: a whole report's verdict, as a sentence
REPORT_VERDICTS: dict[str, LazyString] = {
    "ok": _l("Every dimension is within the policy."),
    "outside": _l("Some dimensions are outside the policy."),
    "empty": _l("Nobody is counted at this stage yet."),
}


def not_counted_label() -> str:
    """What a category that does not count toward balance is called wherever it is listed."""
    return str(NOT_COUNTED)


def status_key(status: str, counts_toward_balance: bool = True) -> str:
    """The CSS class suffix of a category's status: ``ok``, ``under``, ``over`` or ``uncounted``."""
    return status if counts_toward_balance else "uncounted"


def status_label(status: str, counts_toward_balance: bool = True) -> str:
    """A category's status in words (colour only repeats it)."""
    return str(STATUS_LABELS[status]) if counts_toward_balance else not_counted_label()


def verdict_key(ok: bool | None, counted: int | None = None) -> str:
    """A dimension's verdict: ``empty`` with nobody counted (``counted`` 0), else ``ok`` or ``outside``."""
    if counted == 0:
        return "empty"
    return "ok" if ok else "outside"


def verdict_label(ok: bool | None, counted: int | None = None) -> str:
    """A dimension's verdict in words."""
    return str(VERDICT_LABELS[verdict_key(ok, counted)])


def report_verdict_label(ok: bool | None, total: int) -> str:
    """A whole report's verdict as a sentence; ``total`` is the number of people its stage counts."""
    return str(REPORT_VERDICTS[verdict_key(ok, total)])


def stage_label(stage: str) -> str:
    """A stage's name in the reader's language: each stage is named after the status it starts from."""
    return str(REGISTRATION_STATUS_LABELS[RegistrationStatus(stage)])


def people(count: int) -> str:
    """``1 person`` / ``5 people`` in the reader's language."""
    return ngettext("%(num)d person", "%(num)d people", count)


def suggestion_text(suggestion: Suggestion, catalogue: Catalogue, locale: str | None = None) -> str:
    """A suggestion in plain language, e.g. "Add 2 people from National minorities"."""
    locale = locale or current_language()
    name = catalogue.category_name(suggestion.dimension, suggestion.category or "", locale)
    if suggestion.action == "add":
        return ngettext("Add %(num)d person from %(category)s", "Add %(num)d people from %(category)s",
                        suggestion.count or 0, category=name)
    if suggestion.action == "remove":
        return ngettext("Remove %(num)d person from %(category)s", "Remove %(num)d people from %(category)s",
                        suggestion.count or 0, category=name)
    reason = infeasible_reason(suggestion.code or "")
    if suggestion.category:
        return _("No numbers of people can meet this policy (%(category)s): %(reason)s.", category=name, reason=reason)
    return _("No numbers of people can meet this policy: %(reason)s.", reason=reason)


def limits_text(quota: Quota | None) -> str:
    """A quota's limits in words, e.g. "at least 2 people; at most 30%"."""
    if quota is None:
        return ""
    parts = []
    if quota.min_count is not None:
        parts.append(_("at least %(people)s", people=people(quota.min_count)))
    if quota.min_share is not None:
        parts.append(_("at least %(share)s", share=percent(quota.min_share)))
    if quota.max_count is not None:
        parts.append(_("at most %(people)s", people=people(quota.max_count)))
    if quota.max_share is not None:
        parts.append(_("at most %(share)s", share=percent(quota.max_share)))
    return "; ".join(parts)


#: what templates call these functions; ``forums.balance.views`` registers each once as a template global
TEMPLATE_GLOBALS: dict[str, Callable[..., str]] = {
    "balance_status_key": status_key,
    "balance_status_label": status_label,
    "balance_not_counted_label": not_counted_label,
    "balance_verdict_key": verdict_key,
    "balance_verdict_label": verdict_label,
    "balance_report_verdict_label": report_verdict_label,
    "balance_suggestion_text": suggestion_text,
    "balance_limits_text": limits_text,
    "balance_stage_label": stage_label,
}
