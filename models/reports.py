"""Reports for headquarters: the narrative staff write for a period and a set of forums."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models import Model, UTCDateTime, utcnow


class ReportNarrative(Model):
    """Staff's words on one report: its period and forums are its ``scope`` (``forums.reports.rules.scope_key``)."""

    __tablename__ = "report_narrative"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: e.g. ``2026-11-01..2026-11-30|1,3`` (first day, last day, forum ids sorted; empty for every forum)
    scope: Mapped[str] = mapped_column(sa.String(300), unique=True)
    text: Mapped[str] = mapped_column(sa.Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
