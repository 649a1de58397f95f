"""Who may be told who raised a concern, under each forum's anonymity setting.

Pure: no Flask, SQLAlchemy or models import. The settings are ``models.concerns.Anonymity``'s values.

- **attributed**: staff see the submitter; officials and the public see the name only when the person
  agreed to be named;
- **staff_only**: staff see the submitter; officials and the public never do;
- **anonymous**: nobody sees who raised it, staff included; every page shows the submitter's categories
  only (the categories at submission are what the balance report counts).

The submitter always sees their own concerns (on their personal page). What is shown of a submitter is
the name and the organisation together: an organisation of a handful of people names them as well.

What "fully anonymous" does not mean: the database still links a concern to the person who raised it, so
that they can follow it and read its answer behind their link, support is once each, and the limit per
organisation holds. No page, API answer or export shows that link in an anonymous forum (the API gives
``submitter_id`` null); erasing the person removes it.
"""

from __future__ import annotations

from typing import Literal

Audience = Literal["staff", "official", "public", "self"]

ATTRIBUTED = "attributed"
STAFF_ONLY = "staff_only"
ANONYMOUS = "anonymous"
SETTINGS = (ATTRIBUTED, STAFF_ONLY, ANONYMOUS)


def shows_submitter(setting: str, audience: Audience, agreed: bool) -> bool:
    """Whether ``audience`` may be told who raised a concern (rules in the module docstring)."""
    if setting not in SETTINGS:
        raise ValueError(f"unknown anonymity setting {setting!r}")
    if audience == "self":
        return True
    if audience == "staff":
        return setting != ANONYMOUS
    return setting == ATTRIBUTED and agreed


def asks_for_agreement(setting: str) -> bool:
    """Whether the submission form asks the person to agree to be named: only an attributed forum names anyone."""
    return setting == ATTRIBUTED
