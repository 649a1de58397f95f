"""Balance policies: per dimension and category, minimums, maximums and a target share."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import Model, UTCDateTime, utcnow
from models.people import Category, Dimension


class BalancePolicy(Model):
    """A forum's policy, or a session's override of it (exactly one owner)."""

    __table_args__ = (
        sa.CheckConstraint("(forum_id IS NULL) <> (session_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int | None] = mapped_column(sa.ForeignKey("forum.id", ondelete="CASCADE"), unique=True)
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("forum_session.id", ondelete="CASCADE"), unique=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    quotas: Mapped[list[Quota]] = relationship(
        back_populates="policy", cascade="all, delete-orphan", order_by="Quota.id"
    )


class Quota(Model):
    """Limits for one category; shares are fractions 0..1."""

    __table_args__ = (sa.UniqueConstraint("policy_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(sa.ForeignKey("balance_policy.id", ondelete="CASCADE"), index=True)
    dimension_id: Mapped[int] = mapped_column(sa.ForeignKey("dimension.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("category.id", ondelete="CASCADE"))
    min_count: Mapped[int | None] = mapped_column()
    max_count: Mapped[int | None] = mapped_column()
    min_share: Mapped[float | None] = mapped_column(sa.Float)
    max_share: Mapped[float | None] = mapped_column(sa.Float)
    target_share: Mapped[float | None] = mapped_column(sa.Float)

    policy: Mapped[BalancePolicy] = relationship(back_populates="quotas")
    dimension: Mapped[Dimension] = relationship()
    category: Mapped[Category] = relationship()
