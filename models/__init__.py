"""SQLAlchemy models of Dialogue Desk and the Flask-SQLAlchemy object ``db``."""

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base whose constraints get stable names, so migrations can refer to them."""

    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class UTCDateTime(sa.TypeDecorator[datetime]):
    """An aware datetime stored as naive UTC, so SQLite and PostgreSQL behave the same."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


db = SQLAlchemy(model_class=Base)

if TYPE_CHECKING:
    # What the type checker sees: db.Model is Base with Flask-SQLAlchemy's table names and metadata added at run
    # time, a class mypy cannot follow.
    Model = Base
else:
    Model = db.Model

from models.checkin import CheckinEvent, CheckinEventKind, CheckinOutcome, ReviewReason  # noqa: E402
from models.concerns import (  # noqa: E402
    Commitment,
    Concern,
    ConcernAnswer,
    ConcernCategory,
    ConcernIssue,
    ConcernSettings,
    ConcernStage,
    Endorsement,
)
from models.events import (  # noqa: E402
    AGENDA_KIND_LABELS,
    FORUM_KIND_LABELS,
    SESSION_STATUS_LABELS,
    VISIBILITY_LABELS,
    AgendaItem,
    AgendaKind,
    AgendaSpeaker,
    CheckinRequest,
    Forum,
    ForumKind,
    ForumSession,
    SessionFacilitator,
    SessionStatus,
    Visibility,
)
from models.floor import (  # noqa: E402
    FLOOR_POLICY_LABELS,
    SPEECH_KIND_LABELS,
    SPEECH_STATE_LABELS,
    FloorBudget,
    FloorDisplay,
    FloorList,
    FloorPolicy,
    Speech,
    SpeechKind,
    SpeechState,
    SpeechStretch,
)
from models.imports import PendingImport  # noqa: E402
from models.mail import MailAddressHealth, MailKind, MailMessage, MailState  # noqa: E402
from models.people import (  # noqa: E402
    LANGUAGE_CODES,
    LANGUAGE_LABELS,
    Category,
    Dimension,
    Participant,
    ParticipantCategory,
    PersonalLink,
)
from models.policy import BalancePolicy, Quota  # noqa: E402
from models.registrations import SEATED, STATUS_LABELS, Registration, RegistrationStatus  # noqa: E402
from models.reports import ReportNarrative  # noqa: E402
from models.signup import OpenSignup, SignupSetting  # noqa: E402
from models.users import (  # noqa: E402
    STAFF_ROLES,
    AccountPolicy,
    ApiToken,
    AuditEntry,
    OrganiserForum,
    RecoveryCode,
    Role,
    User,
)

__all__ = [
    "Model",
    "AGENDA_KIND_LABELS",
    "FLOOR_POLICY_LABELS",
    "FORUM_KIND_LABELS",
    "LANGUAGE_CODES",
    "LANGUAGE_LABELS",
    "SEATED",
    "SESSION_STATUS_LABELS",
    "STATUS_LABELS",
    "VISIBILITY_LABELS",
    "AgendaItem",
    "AgendaKind",
    "AgendaSpeaker",
    "AccountPolicy",
    "ApiToken",
    "AuditEntry",
    "BalancePolicy",
    "Base",
    "Category",
    "CheckinEvent",
    "CheckinEventKind",
    "CheckinOutcome",
    "CheckinRequest",
    "Commitment",
    "Concern",
    "ConcernAnswer",
    "ConcernCategory",
    "ConcernIssue",
    "ConcernSettings",
    "ConcernStage",
    "Dimension",
    "Endorsement",
    "FloorBudget",
    "FloorDisplay",
    "FloorList",
    "FloorPolicy",
    "Forum",
    "ForumKind",
    "ForumSession",
    "OrganiserForum",
    "MailAddressHealth",
    "MailKind",
    "MailMessage",
    "MailState",
    "OpenSignup",
    "Participant",
    "ParticipantCategory",
    "PendingImport",
    "PersonalLink",
    "Quota",
    "RecoveryCode",
    "ReviewReason",
    "Registration",
    "RegistrationStatus",
    "ReportNarrative",
    "Role",
    "STAFF_ROLES",
    "SessionFacilitator",
    "SessionStatus",
    "SPEECH_KIND_LABELS",
    "SPEECH_STATE_LABELS",
    "Speech",
    "SpeechKind",
    "SpeechState",
    "SpeechStretch",
    "SignupSetting",
    "UTCDateTime",
    "User",
    "Visibility",
    "db",
    "utcnow",
]
