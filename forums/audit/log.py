"""The audit log: who did what to which object, never the sensitive values themselves."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import has_request_context
from flask_login import current_user

from forums import validation
from models import AuditEntry, db


def actor_label() -> tuple[int | None, str]:
    """The acting user's id and a label for the log."""
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id, current_user.email
    return None, "cli" if not has_request_context() else "anonymous"


def record(action: str, object_type: str = "", object_id: int | None = None, detail: str = "",
           actor: str | None = None) -> None:
    """Add an audit entry to the current transaction, so it commits or rolls back with the change."""
    actor_id, label = actor_label()
    db.session.add(
        AuditEntry(actor_id=actor_id, actor=actor or label, action=action,
                   object_type=object_type, object_id=object_id, detail=detail[:500])
    )


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page and ``GET /api/v1/audit`` filter on; empty values match everything."""

    #: the actor label exactly (an e-mail, ``anonymous``, ``cli``, ``participant-link:12``)
    actor: str = ""
    #: an action, or a prefix ending in a dot (``auth.`` matches every sign-in event)
    action: str = ""
    object_type: str = ""
    object_id: int | None = None
    since: datetime | None = None
    #: any of these action codes (the page's search in plain words); None matches every action
    actions: frozenset[str] | None = None


def parse_object(text: str) -> tuple[str, int | None] | None:
    """``"participant"`` or ``"participant:12"`` as (type, id); None when it is neither."""
    object_type, sep, raw_id = text.strip().partition(":")
    object_id = validation.whole_number(raw_id) if sep else None
    if not object_type or (sep and object_id is None):
        return None
    return object_type, object_id


def filtered_entries(audit_filter: AuditFilter) -> sa.Select[AuditEntry]:
    """A SELECT of the entries matching ``audit_filter``, unordered (callers page it)."""
    statement = sa.select(AuditEntry)
    if audit_filter.actor:
        statement = statement.where(sa.func.lower(AuditEntry.actor) == audit_filter.actor.strip().lower())
    if audit_filter.action.endswith("."):
        statement = statement.where(AuditEntry.action.startswith(audit_filter.action, autoescape=True))
    elif audit_filter.action:
        statement = statement.where(AuditEntry.action == audit_filter.action)
    if audit_filter.object_type:
        statement = statement.where(AuditEntry.object_type == audit_filter.object_type)
    if audit_filter.object_id is not None:
        statement = statement.where(AuditEntry.object_id == audit_filter.object_id)
    if audit_filter.since is not None:
        statement = statement.where(AuditEntry.at >= audit_filter.since)
    if audit_filter.actions is not None:
        statement = statement.where(AuditEntry.action.in_(sorted(audit_filter.actions)))
    return statement


def record_read(action: str, object_type: str = "", object_id: int | None = None, detail: str = "") -> None:
    """Record that personal data was shown and commit at once.

    Call it after the page is rendered: committing first would expire every loaded row and the
    template would reload them one by one.
    """
    record(action, object_type, object_id, detail)
    db.session.commit()
