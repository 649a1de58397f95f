"""The one change of reports: saving the narrative; it flushes and audits, the view commits."""

import sqlalchemy as sa
from flask_login import current_user

from forums.audit import log as audit
from models import ReportNarrative, db


def save_narrative(scope: str, text: str) -> ReportNarrative:
    """Store staff's narrative of the report ``scope`` (replacing the last one); audited as ``report.narrative``."""
    narrative = db.session.scalar(sa.select(ReportNarrative).where(ReportNarrative.scope == scope))
    if narrative is None:
        narrative = ReportNarrative(scope=scope)
        db.session.add(narrative)
    narrative.text = text
    narrative.updated_by_id = current_user.id if current_user.is_authenticated else None
    db.session.flush()
    audit.record("report.narrative", "report", narrative.id, detail=scope)
    return narrative
