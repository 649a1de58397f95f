"""Participant CSV uploads waiting between their preview and their confirmation."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models import Model, UTCDateTime, utcnow


class PendingImport(Model):
    """An uploaded file that passed its preview, kept until its uploader confirms or cancels it.

    Kept in the database rather than on a host's disk, so a confirmation that reaches another host
    behind the load balancer finds it. It holds personal data: confirming, cancelling, the retention
    purge (after ``forums.data.imports.UPLOAD_MAX_AGE``) and the emergency wipe delete it.
    """

    #: SHA-256 (hex) of the random token that names the upload. The token itself travels in the
    #: uploader's session cookie, which Flask signs but does not encrypt; like API tokens
    #: (``forums.accounts.tokens``), only its hash is stored, so a copy of the database (a backup, a dump)
    #: holds no key that could be presented for the upload. The owner check below is the
    #: access control; the hash only keeps the key out of the database.
    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: only this user may confirm or discard the upload; deleting the user deletes it
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the file's bytes as uploaded (at most ``forums.data.imports.MAX_BYTES``)
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
