"""Changes to concerns, issues, answers and commitments: each flushes (never commits) and audits itself.

Every refusal is a ``forums.validation.ValidationFailed`` naming the field, or a ``Conflict``, raised before
anything is written, so the caller's transaction holds nothing of a refused change. Stages move only along
``models.concerns``' transitions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from forums import validation
from forums.audit import log as audit
from forums.concerns import limits
from models import (
    AgendaItem,
    Commitment,
    Concern,
    ConcernAnswer,
    ConcernCategory,
    ConcernIssue,
    ConcernSettings,
    ConcernStage,
    Endorsement,
    Forum,
    ForumSession,
    Participant,
    ParticipantCategory,
    Registration,
    SessionStatus,
    db,
    utcnow,
)
from models.concerns import (
    CONCERN_LANGUAGES,
    REACHING,
    Anonymity,
    AnswerState,
    Channel,
    CommitmentStatus,
    concern_move_allowed,
    issue_move_allowed,
)
from models.registrations import ON_LIST

#: the longest concern, answer or commitment text, and the longest title, name or authority
MAX_TEXT = 4000
MAX_LINE = 200
MAX_TITLE = 300


def settings_of(forum_id: int) -> ConcernSettings:
    """The forum's settings, or the defaults (known to staff only, no limit) when it has none yet."""
    return db.session.get(ConcernSettings, forum_id) or _default_settings(forum_id)


def settings_by_forum(forum_ids: Iterable[int]) -> dict[int, ConcernSettings]:
    """``settings_of`` each of the forums, read in one query."""
    wanted = set(forum_ids)
    found = {settings.forum_id: settings for settings in db.session.scalars(
        sa.select(ConcernSettings).where(ConcernSettings.forum_id.in_(wanted)))} if wanted else {}
    return {forum_id: found.get(forum_id) or _default_settings(forum_id) for forum_id in wanted}


def _default_settings(forum_id: int) -> ConcernSettings:
    return ConcernSettings(forum_id=forum_id, anonymity=Anonymity.staff_only, max_per_organisation=None)


def save_settings(forum: Forum, anonymity: Anonymity, max_per_organisation: int | None) -> ConcernSettings:
    """Set the forum's anonymity and per-organisation limit."""
    if max_per_organisation is not None and not 1 <= max_per_organisation <= limits.MAX_LIMIT:
        raise validation.ValidationFailed({"max_per_organisation": _("A number from 1 to %(n)d, or empty for no limit.",
                                                                     n=limits.MAX_LIMIT)})
    settings = db.session.get(ConcernSettings, forum.id)
    if settings is None:
        settings = ConcernSettings(forum_id=forum.id)
        db.session.add(settings)
    settings.anonymity = anonymity
    settings.max_per_organisation = max_per_organisation
    audit.record("concern.settings", "forum", forum.id, detail=f"{anonymity.value} limit={max_per_organisation}")
    db.session.flush()
    return settings


def _on_list(forum_session_id: int, participant_id: int) -> bool:
    return db.session.scalar(
        sa.select(Registration.id).where(Registration.session_id == forum_session_id,
                                         Registration.participant_id == participant_id,
                                         Registration.status.in_(ON_LIST))
    ) is not None


def _link_actor(participant_id: int) -> str:
    """How the audit log names a participant acting behind their personal link."""
    return f"participant-link:{participant_id}"


def submit(forum_session: ForumSession, participant: Participant, *, channel: Channel, language: str, text: str,
           agrees_to_be_named: bool = False) -> Concern:
    """Record a concern of ``participant`` for the session, keeping their categories as they are now.

    The person must be on the session's list (invited or registered, not declined or cancelled); a
    cancelled session takes no concerns. ``channel`` ``link`` is the person themselves.
    """
    errors: dict[str, str] = {}
    clean = validation.text(text, "text", errors, max_length=MAX_TEXT, required=True)
    if language not in CONCERN_LANGUAGES:
        errors["language"] = _("Choose English, Russian or Tajik.")
    if forum_session.status is SessionStatus.cancelled:
        errors["session"] = _("This session is cancelled: it takes no concerns.")
    elif not _on_list(forum_session.id, participant.id):
        errors["participant"] = _("This person is not on the session's list.")
    validation.check(errors)
    concern = Concern(session_id=forum_session.id, submitter_id=participant.id, channel=channel, language=language,
                      text=clean, translations={}, stage=ConcernStage.submitted, decline_reason="",
                      organisation=participant.organisation, agrees_to_be_named=agrees_to_be_named,
                      submitted_at=utcnow())
    held = db.session.execute(sa.select(ParticipantCategory.dimension_id, ParticipantCategory.category_id)
                              .where(ParticipantCategory.participant_id == participant.id))
    concern.categories = [ConcernCategory(dimension_id=dimension_id, category_id=category_id)
                          for dimension_id, category_id in held]
    db.session.add(concern)
    db.session.flush()
    audit.record("concern.submit", "concern", concern.id, detail=channel.value,
                 actor=_link_actor(participant.id) if channel is Channel.link else None)
    return concern


def _reaching_by_organisation(forum_session_id: int, excluding: int) -> Counter[str]:
    rows = db.session.execute(
        sa.select(Concern.organisation, sa.func.count())
        .where(Concern.session_id == forum_session_id, Concern.stage.in_(REACHING), Concern.id != excluding)
        .group_by(Concern.organisation)
    )
    counts: Counter[str] = Counter()
    for organisation, count in rows:
        counts[limits.organisation_key(organisation)] += int(count)
    return counts


def moderate(concern: Concern, stage: ConcernStage, reason: str = "") -> Concern:
    """Accept, decline (with a reason) or reconsider a concern; accepting respects the organisation limit."""
    if not concern_move_allowed(concern.stage, stage) or stage is ConcernStage.grouped:
        raise validation.ValidationFailed({"stage": _("A concern cannot move from “%(old)s” to “%(new)s”.",
                                                      old=concern.stage.value, new=stage.value)})
    if concern.stage is ConcernStage.grouped:
        raise validation.ValidationFailed({"stage": _("Take the concern out of its issue first.")})
    errors: dict[str, str] = {}
    clean = validation.text(reason, "reason", errors, max_length=MAX_TEXT, required=stage is ConcernStage.declined)
    validation.check(errors)
    if stage is ConcernStage.accepted:
        forum_id = db.session.scalar(sa.select(ForumSession.forum_id).where(ForumSession.id == concern.session_id))
        limit = settings_of(forum_id).max_per_organisation if forum_id is not None else None
        if limits.limit_reached(concern.organisation, _reaching_by_organisation(concern.session_id, concern.id),
                                limit):
            raise validation.Conflict(_("This organisation already has %(n)d concerns before the officials of this "
                                        "session, the forum's limit.", n=limit or 0), "stage")
    concern.stage = stage
    concern.decline_reason = clean if stage is ConcernStage.declined else ""
    audit.record("concern.moderate", "concern", concern.id, detail=stage.value)
    db.session.flush()
    return concern


def save_translation(concern: Concern, language: str, text: str, done: bool) -> Concern:
    """Store a staff translation of the concern; ``done`` False keeps it a draft that nobody else is shown."""
    errors: dict[str, str] = {}
    clean = validation.text(text, "text", errors, max_length=MAX_TEXT, required=done)
    if language not in CONCERN_LANGUAGES or language == concern.language:
        errors["language"] = _("Translate into one of the other languages.")
    validation.check(errors)
    translations = dict(concern.translations or {})
    translations[language] = {"text": clean, "done": bool(done and clean)}
    concern.translations = translations  # a new dict: the JSON column sees the change
    audit.record("concern.translate", "concern", concern.id, detail=f"{language} done={done}")
    db.session.flush()
    return concern


def new_issue(forum_session: ForumSession, title: str) -> ConcernIssue:
    """An empty issue of the session, at the grouped stage."""
    errors: dict[str, str] = {}
    clean = validation.text(title, "title", errors, max_length=MAX_TITLE, required=True, single_line=True)
    validation.check(errors)
    issue = ConcernIssue(session_id=forum_session.id, title=clean, stage=ConcernStage.grouped)
    db.session.add(issue)
    db.session.flush()
    audit.record("concern.issue_create", "concern_issue", issue.id)
    return issue


def group(concerns: list[Concern], issue: ConcernIssue) -> ConcernIssue:
    """Put accepted concerns (or concerns of another issue) into ``issue``; they take its stage.

    Nothing is deleted or rewritten: each concern keeps its text, categories and supporters and points to
    its issue. A merged issue takes no concerns.
    """
    if not concerns:
        raise validation.ValidationFailed({"concerns": _("Choose at least one concern.")})
    if issue.merged_into_id is not None:
        raise validation.ValidationFailed({"issue": _("This issue was merged into another; choose that one.")})
    for concern in concerns:
        if concern.session_id != issue.session_id:
            raise validation.ValidationFailed({"concerns": _("Every concern must be of the issue's session.")})
        if concern.stage is not ConcernStage.accepted and concern.issue_id is None:
            raise validation.ValidationFailed({"concerns": _("Only accepted concerns can be grouped.")})
    for concern in concerns:
        concern.issue = issue
        concern.stage = issue.stage
        audit.record("concern.group", "concern", concern.id, detail=f"issue {issue.id}")
    db.session.flush()
    return issue


def ungroup(concern: Concern) -> Concern:
    """Take a concern out of its issue, back to accepted (the issue keeps its other concerns)."""
    if concern.issue_id is None or concern.stage is not ConcernStage.grouped:
        raise validation.ValidationFailed({"stage": _("Only a concern of an issue not yet on the agenda can be taken "
                                                      "out of it.")})
    concern.issue = None
    concern.stage = ConcernStage.accepted
    audit.record("concern.ungroup", "concern", concern.id)
    db.session.flush()
    return concern


def merge_issues(source: ConcernIssue, target: ConcernIssue) -> ConcernIssue:
    """Move every concern of ``source`` into ``target``; ``source`` stays, pointing to ``target`` (decidim #13699:
    a merge that destroys the originals, or is refused once they have supporters, loses who asked)."""
    if source.id == target.id or source.session_id != target.session_id or target.merged_into_id is not None:
        raise validation.ValidationFailed({"target": _("Choose another open issue of the same session.")})
    moved = list(source.concerns)
    for concern in moved:
        concern.issue = target
        concern.stage = target.stage
    source.merged_into_id = target.id
    audit.record("concern.issue_merge", "concern_issue", source.id, detail=f"into {target.id}, {len(moved)} concerns")
    db.session.flush()
    return target


def _set_issue_stage(issue: ConcernIssue, stage: ConcernStage) -> None:
    issue.stage = stage
    for concern in issue.concerns:
        concern.stage = stage


def move_issue(issue: ConcernIssue, stage: ConcernStage, agenda_item_id: int | None = None) -> ConcernIssue:
    """Move an issue (and its concerns) one stage on or back: onto the agenda (an item of its session), presented,
    answered (only with a published answer), followed up."""
    if issue.merged_into_id is not None:
        raise validation.ValidationFailed({"stage": _("This issue was merged into another.")})
    if not issue_move_allowed(issue.stage, stage):
        raise validation.ValidationFailed({"stage": _("An issue cannot move from “%(old)s” to “%(new)s”.",
                                                      old=issue.stage.value, new=stage.value)})
    if stage is ConcernStage.on_agenda:
        item = db.session.scalar(sa.select(AgendaItem).where(AgendaItem.id == agenda_item_id,
                                                             AgendaItem.session_id == issue.session_id)) \
            if agenda_item_id is not None else None
        if item is None:
            raise validation.ValidationFailed({"agenda_item_id": _("Choose an agenda item of this session.")})
        issue.agenda_item_id = item.id
    if stage is ConcernStage.answered and not any(answer.published_at for answer in issue.answers):
        raise validation.ValidationFailed({"stage": _("Publish an answer first.")})
    if stage is ConcernStage.grouped:
        issue.agenda_item_id = None
    _set_issue_stage(issue, stage)
    audit.record("concern.issue_stage", "concern_issue", issue.id, detail=stage.value)
    db.session.flush()
    return issue


def _answer_fields(official: str, authority: str, answered_on: date | None, text: str) -> dict[str, object]:
    errors: dict[str, str] = {}
    values = {
        "official": validation.text(official, "official", errors, max_length=MAX_LINE, required=True,
                                    single_line=True),
        "authority": validation.text(authority, "authority", errors, max_length=MAX_LINE, required=True,
                                     single_line=True),
        "text": validation.text(text, "text", errors, max_length=MAX_TEXT, required=True),
    }
    if answered_on is None:
        errors["answered_on"] = _("This field is required.")
    validation.check(errors)
    return {**values, "answered_on": answered_on}


def draft_answer(issue: ConcernIssue, *, official: str, authority: str, answered_on: date | None, text: str,
                 state: AnswerState) -> ConcernAnswer:
    """An official's answer to an issue on the agenda or later, as a draft nobody but staff sees."""
    if issue.stage not in (ConcernStage.on_agenda, ConcernStage.presented, ConcernStage.answered,
                           ConcernStage.followed_up):
        raise validation.ValidationFailed({"issue": _("Put the issue on the agenda before recording an answer.")})
    answer = ConcernAnswer(issue=issue, state=state, **_answer_fields(official, authority, answered_on, text))
    db.session.add(answer)
    db.session.flush()
    audit.record("concern.answer_draft", "concern_answer", answer.id)
    return answer


def publish_answer(answer: ConcernAnswer) -> ConcernAnswer:
    """Publish a drafted answer: its issue's submitters and supporters see it; the issue is answered."""
    if answer.published_at is not None:
        raise validation.Conflict(_("This answer is already published."))
    answer.published_at = utcnow()
    issue = answer.issue
    if issue.stage in (ConcernStage.on_agenda, ConcernStage.presented):
        _set_issue_stage(issue, ConcernStage.answered)
    audit.record("concern.answer_publish", "concern_answer", answer.id)
    db.session.flush()
    return answer


def add_commitment(answer: ConcernAnswer, *, description: str, owner: str, due_on: date | None) -> Commitment:
    """A promise of the answer, open, with its owner and due date."""
    errors: dict[str, str] = {}
    clean = validation.text(description, "description", errors, max_length=MAX_TEXT, required=True)
    owner_clean = validation.text(owner, "owner", errors, max_length=MAX_LINE, required=True, single_line=True)
    if due_on is None:
        errors["due_on"] = _("This field is required.")
    validation.check(errors)
    assert due_on is not None
    commitment = Commitment(answer=answer, description=clean, owner=owner_clean, due_on=due_on,
                            status=CommitmentStatus.open)
    db.session.add(commitment)
    db.session.flush()
    audit.record("concern.commitment_create", "commitment", commitment.id)
    return commitment


def set_commitment_status(commitment: Commitment, status: CommitmentStatus) -> Commitment:
    """Mark a commitment open, done or dropped."""
    commitment.status = status
    audit.record("concern.commitment_status", "commitment", commitment.id, detail=status.value)
    db.session.flush()
    return commitment


def endorse(concern: Concern, participant: Participant) -> Endorsement:
    """The participant supports the concern: once each (the database's unique constraint decides a race).

    Only accepted concerns (at any later stage) are open to support, only by people on the session's list,
    and never by their own submitter (who raised it supports it already).
    """
    if concern.stage not in REACHING:
        raise validation.ValidationFailed({"concern": _("This concern is not open to support.")})
    if concern.submitter_id == participant.id:
        raise validation.ValidationFailed({"concern": _("You raised this concern yourself.")})
    if not _on_list(concern.session_id, participant.id):
        raise validation.ValidationFailed({"concern": _("Only people on the session's list can support its concerns.")})
    endorsement = Endorsement(concern_id=concern.id, participant_id=participant.id, created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(endorsement)
    except IntegrityError:
        raise validation.Conflict(_("You already support this concern."), "concern") from None
    audit.record("concern.endorse", "concern", concern.id, actor=_link_actor(participant.id))
    return endorsement


def concerns_of_session(forum_session_id: int, ids: list[int]) -> list[Concern]:
    """The session's concerns with these ids (others are ignored), with their issues, for grouping."""
    if not ids:
        return []
    return list(db.session.scalars(
        sa.select(Concern).where(Concern.session_id == forum_session_id, Concern.id.in_(ids))
        .options(selectinload(Concern.issue))
    ))
