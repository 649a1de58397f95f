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
- **One record per person.** Records of the register taken for the same person (the same name in any
  script, e-mail or phone: ``forums.people.duplicates``) are in the pool once. A record registered for
  the session stands for its person, in the pool or not (an invitation stays on the panel, a decline
  holds); else the lowest id does. The other records are left out of the pool
  (:func:`one_record_per_person`) and counted in the audit entry, so nobody can be drawn twice.
- **Never drawn.** People of the pool who declined or were cancelled for this session, and people
  excluded by hand, are in the pool with probability 0.
- **Quotas.** Each quota of the policy in force becomes a count quota for the panel size:
  minimum ``max(min_count, ceil(min_share * size))``, maximum ``min(max_count, floor(max_share *
  size))``, shares read as exact fractions (``forums.balance.rules.share_fraction``). Shares are measured
  against the whole panel; the balance report measures them against the people who count toward
  balance, so a panel with observers (not counted) meets every minimum share and may show a
  maximum share slightly above its limit. The page shows the panel's report, so staff see it.
- **Reproducible.** A seed from 0 to ``MAX_SEED`` and the parameters determine the panel.
- **Never a hang.** The optimisation stops after a time limit: ``TIME_LIMIT_SECONDS`` unless the app
  config sets ``SELECTION_TIME_LIMIT``; staff may ask for up to ``MAX_TIME_LIMIT_SECONDS``. A search the
  limit stopped shows the best distribution found with its proven gap to the optimum; it is replayed
  step for step (the solver's ``max_steps``) when confirmed, so confirming invites the panel shown.

Pure: no Flask, database or model import; tested without an app.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence

from forums.balance.rules import Quota, share_fraction
from forums.selection.solver import CountQuota

WAITLIST = "waitlist"
#: the largest pool one request may draw from (the benchmark's biggest instance is 5,000)
MAX_POOL = 10_000
#: seeds are non-negative and fit a signed 64-bit integer (JSON clients and the audit log agree)
MAX_SEED = 2**63 - 1
#: the optimisation stops here unless the app config says otherwise; a page or an API client is waiting
TIME_LIMIT_SECONDS = 20
#: app config key of the default time limit, in seconds
TIME_LIMIT_CONFIG = "SELECTION_TIME_LIMIT"
#: the longest search staff may ask for, in seconds (also the time a confirmation may take to replay one)
MAX_TIME_LIMIT_SECONDS = 300


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


def one_record_per_person(ids: Sequence[int], keys: Mapping[int, Iterable[Hashable]],
                          preferred: Collection[int] = ()) -> dict[int, int]:
    """Records left out of a pool as another record of the same person: ``{left out: record kept}``.

    Two records are one person when they share any key (``keys[id]``), and so on transitively. Of
    each person a record in ``preferred`` (registered for the session) is kept, else the lowest id.
    """
    parent = {record: record for record in ids}

    def root(record: int) -> int:
        while parent[record] != record:
            parent[record] = parent[parent[record]]
            record = parent[record]
        return record

    first_with: dict[Hashable, int] = {}
    for record in ids:
        for key in keys.get(record, ()):
            other = first_with.setdefault(key, record)
            parent[root(record)] = root(other)
    rank = {record: (record not in preferred, record) for record in ids}
    kept: dict[int, int] = {}
    for record in ids:
        group = root(record)
        if group not in kept or rank[record] < rank[kept[group]]:
            kept[group] = record
    return {record: kept[root(record)] for record in ids if kept[root(record)] != record}
