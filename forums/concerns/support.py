"""Support for a concern: raw, and across constituencies (Polis-style group-aware consensus).

Pure: no Flask, SQLAlchemy or models import.

Raw support counts endorsements: forty businessmen of one region endorsing a concern outweigh five
people from every group. **Support across constituencies** asks instead whether every group backs it:

- for each group g that has members in the session (people on its list whose category counts toward
  balance), its *smoothed support share* is ``(endorsers in g + 1) / (members of g + 2)`` (Laplace's rule:
  a group nobody of which has spoken yet counts as one half, not as zero or one);
- the score is the product of those shares over the groups. It is high only when every group supports
  the concern; a group that stays silent or is absent from the endorsers pulls it down, whatever the
  other groups do. Groups with no members in the session are left out (they cannot endorse).

Endorsers are counted in the group they hold now, at most as many as the group has members.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class GroupSupport:
    """One group's part of a concern's support."""

    group: str
    endorsers: int
    members: int

    @property
    def smoothed_share(self) -> float:
        """``(endorsers + 1) / (members + 2)``, endorsers capped at members."""
        return (min(self.endorsers, self.members) + 1) / (self.members + 2)


@dataclass(frozen=True)
class Support:
    """A concern's support: raw and across constituencies."""

    raw: int
    groups: tuple[GroupSupport, ...]

    @property
    def across(self) -> float:
        """The product of the groups' smoothed shares (1.0 when no group has members: nothing to weigh)."""
        return math.prod(group.smoothed_share for group in self.groups)

    @property
    def silent_groups(self) -> tuple[str, ...]:
        """Groups with members of which nobody endorsed the concern."""
        return tuple(group.group for group in self.groups if group.endorsers == 0)


def support(raw: int, endorsers_by_group: Mapping[str, int], members_by_group: Mapping[str, int]) -> Support:
    """The support of one concern: ``raw`` endorsements, and per group (in ``members_by_group``'s order)
    its endorsers among its members. Groups without members are left out (rules in the module docstring)."""
    if raw < 0 or any(count < 0 for count in (*endorsers_by_group.values(), *members_by_group.values())):
        raise ValueError("counts cannot be negative")
    groups = tuple(GroupSupport(group, endorsers_by_group.get(group, 0), members)
                   for group, members in members_by_group.items() if members > 0)
    return Support(raw, groups)
