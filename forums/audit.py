"""The audit log: who did what to which object, never the sensitive values themselves."""

from flask import has_request_context
from flask_login import current_user

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
