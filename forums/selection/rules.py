"""The rules of a fair draw for a session, in one place: pages, the API and the draw itself read them.

- **Pool.** A session's waitlist, or any list of participant ids (a filtered slice of the register), at
  most ``MAX_POOL`` people.
  Each person carries their category in every dimension and their organisation, compared without
  case and extra spaces ("Academy of Sciences" and "academy of  sciences" are one organisation:
  :func:`organisation_key`).
- **Kept.** Everyone who holds a live invitation for the session (invited, registered, confirmed or
  attended) sits on every panel: they join the pool if they are not in it, and the panel size counts
  them. So a round table of 40 seats with 10 invitations out asks for ``size=40`` and draws 30 more,
  and the policy is met by the whole list, not by the newcomers alone.
- **Never drawn.** People of the pool who declined or were cancelled for this session, and people
  excluded by hand, are in the pool with probability 0.
- **Quotas.** Each quota of the policy in force becomes a count quota for the panel size:
  minimum ``max(min_count, ceil(min_share * size))``, maximum ``min(max_count, floor(max_share *
  size))``, shares read as exact fractions (``forums.balance.rules.share_fraction``). Shares are measured
  against the whole panel; the balance report measures them against the people who count toward
  balance, so a panel with observers (not counted) meets every minimum share and may show a
  maximum share slightly above its limit. The page shows the panel's report, so staff see it.
- **Reproducible.** A seed from 0 to ``MAX_SEED`` and the parameters determine the panel; the
  optimisation stops after ``TIME_LIMIT_SECONDS``.

Pure: no Flask, database or model import; tested without an app.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from forums.balance.rules import Quota, share_fraction
from forums.selection.solver import CountQuota

WAITLIST = "waitlist"
#: the largest pool one request may draw from (the benchmark's biggest instance is 5,000)
MAX_POOL = 10_000
#: seeds are non-negative and fit a signed 64-bit integer (JSON clients and the audit log agree)
MAX_SEED = 2**63 - 1
#: the optimisation stops here; a page or an API client is waiting
TIME_LIMIT_SECONDS = 30.0


def count_quotas(quotas: Sequence[Quota], size: int) -> tuple[CountQuota, ...]:
    """The policy's quotas as count quotas for a panel of ``size`` (the **Quotas** rule above).

    Quotas that only set a target share limit nothing and are left out.
    """
    converted = []
    for quota in quotas:
        lowest = [quota.min_count or 0]
        highest = [] if quota.max_count is None else [quota.max_count]
        if quota.min_share is not None:
            lowest.append(math.ceil(share_fraction(quota.min_share) * size))
        if quota.max_share is not None:
            highest.append(math.floor(share_fraction(quota.max_share) * size))
        minimum, maximum = max(lowest), min(highest) if highest else None
        if minimum or maximum is not None:
            converted.append(CountQuota(quota.dimension, quota.category, minimum, maximum))
    return tuple(converted)


def organisation_key(name: str | None) -> str | None:
    """One key per organisation whatever the case and spacing; None for people without one."""
    key = " ".join((name or "").split()).casefold()
    return key or None
