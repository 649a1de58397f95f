"""What the audit log's codes mean, in the reader's language.

The log stores codes (``checkin.list``, ``participant``) and the filters, the API and any script take
codes; only the audit page shows these descriptions, next to the code. A code missing here (one an
older version recorded) is shown as it is. tests/test_audit_labels.py fails when a code recorded
anywhere in forums/ has no description here, or when a description is left here for a code nobody
records any more.
"""

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

#: every action the app records (``audit.record`` / ``audit.record_read``), by code
ACTION_LABELS: dict[str, LazyString] = {
    "access.denied": _l("Was refused a page"),
    "account_policy.two_factor_optional": _l("Made two-factor sign-in each person's choice"),
    "account_policy.two_factor_required": _l("Required two-factor sign-in for all staff"),
    "agenda.create": _l("Added an agenda item"),
    "agenda.delete": _l("Deleted an agenda item"),
    "agenda.move": _l("Moved an agenda item"),
    "agenda.update": _l("Changed an agenda item"),
    "auth.login": _l("Signed in"),
    "auth.login_failed": _l("Failed to sign in"),
    "auth.logout": _l("Signed out"),
    "auth.password_change": _l("Changed their own password"),
    "auth.recovery_codes_new": _l("Made new recovery codes for two-factor sign-in"),
    "auth.two_factor_code": _l("Gave a correct two-factor code"),
    "auth.two_factor_enrol": _l("Turned on two-factor sign-in"),
    "auth.two_factor_failed": _l("Gave a wrong two-factor code"),
    "auth.two_factor_off": _l("Turned off two-factor sign-in"),
    "auth.two_factor_recovery": _l("Signed in with a recovery code"),
    "category.create": _l("Added a category"),
    "category.move": _l("Moved a category in display order"),
    "category.restore": _l("Brought a retired category back"),
    "category.retire": _l("Retired a category"),
    "category.update": _l("Renamed a category"),
    "checkin.check_in": _l("Checked a person in"),
    "checkin.duplicate_hints": _l("Was shown possible duplicates at check-in"),
    "checkin.event": _l("A check-in, undo or walk-in from a device or a paper sheet reached the server"),
    "checkin.list": _l("Opened a check-in list"),
    "checkin.out_of_scope": _l("Was refused a person outside their session at check-in"),
    "checkin.review": _l("Settled a check-in flagged for review"),
    "checkin.sheet": _l("Opened a printable sign-in sheet"),
    "checkin.undo": _l("Undid a check-in"),
    "concern.answer_draft": _l("Drafted an official's answer to an issue"),
    "concern.answer_publish": _l("Published an official's answer"),
    "concern.brief": _l("Opened the officials' brief of a session's concerns"),
    "concern.commitment_create": _l("Recorded a commitment"),
    "concern.commitment_status": _l("Changed a commitment's status"),
    "concern.endorse": _l("Supported a concern"),
    "concern.entry_form": _l("Opened the form to type in a concern"),
    "concern.group": _l("Grouped a concern into an issue"),
    "concern.issue_create": _l("Created an issue of concerns"),
    "concern.issue_merge": _l("Merged an issue into another"),
    "concern.issue_stage": _l("Moved an issue to another stage"),
    "concern.issues": _l("Opened a session's issues and answers"),
    "concern.list": _l("Opened a session's concerns"),
    "concern.moderate": _l("Accepted or declined a concern"),
    "concern.settings": _l("Changed a forum's concern settings"),
    "concern.submit": _l("Raised a concern"),
    "concern.translate": _l("Translated a concern"),
    "concern.ungroup": _l("Took a concern out of its issue"),
    "database.backup": _l("Backed up the database"),
    "database.restore": _l("Restored the database from a backup"),
    "dimension.create": _l("Added a dimension"),
    "dimension.move": _l("Moved a dimension in display order"),
    "dimension.restore": _l("Brought a retired dimension back"),
    "dimension.retire": _l("Retired a dimension"),
    "dimension.update": _l("Renamed a dimension"),
    "emergency.restore": _l("Restored personal data after an emergency wipe"),
    "emergency.wipe": _l("Emergency wipe of personal data"),
    "export.aggregate": _l("Exported counts per category for a report"),
    "export.concerns": _l("Exported a session's concerns and answers"),
    "export.registrations": _l("Exported a session's registrations"),
    "floor.add": _l("Put a request for the floor on a list of speakers"),
    "floor.budget": _l("Set or added to a budget of speaking time"),
    "floor.chatham_house": _l("Marked a session Chatham House, or took the mark off"),
    "floor.configure": _l("Changed the order or the time of a list of speakers"),
    "floor.correct": _l("Corrected a speech"),
    "floor.display_create": _l("Made a projector address for a list of speakers"),
    "floor.display_revoke": _l("Revoked a projector address"),
    "floor.list": _l("Looked at a list of speakers"),
    "floor.list_open": _l("Opened a list of speakers"),
    "floor.move": _l("Moved a request to the top of the queue"),
    "floor.out_of_turn": _l("Gave the floor out of turn"),
    "floor.paper": _l("Typed back a line of a timing sheet"),
    "floor.report": _l("Looked at the floor balance report"),
    "floor.report_csv": _l("Exported the floor balance report"),
    "floor.search": _l("Searched the people present for the list of speakers"),
    "floor.skip": _l("Skipped a request for the floor"),
    "forum.create": _l("Created a forum"),
    "forum.copy": _l("Copied a forum series to new dates"),
    "forum.update": _l("Changed a forum"),
    "link.rotate": _l("Made a new personal link"),
    "mail.abort": _l("Stopped a message"),
    "mail.bounce": _l("Recorded a bounced message"),
    "mail.list": _l("Opened the outbox"),
    "mail.offline_answer": _l("Recorded an answer given by phone, on paper or in person"),
    "mail.purge": _l("Purged old messages from the outbox"),
    "mail.release": _l("Released invitations"),
    "mail.remind": _l("Scheduled reminders"),
    "mail.retry": _l("Sent a message again"),
    "mail.session": _l("Opened a session's mail"),
    "participant.create": _l("Added a person to the register"),
    "participant.duplicate_cleared": _l("Found that a person flagged at the door is not a duplicate"),
    "participant.duplicate_warning": _l("Was shown people of the register who may be the one being added"),
    "participant.erase": _l("Erased a person"),
    "participant.import": _l("Imported people into the register"),
    "participant.link_read": _l("Read a person's personal link"),
    "participant.link_rotate": _l("Made a new personal link"),
    "participant.merge": _l("Merged two records of one person"),
    "participant.possible_duplicate": _l("A walk-in was flagged as a possible duplicate for staff"),
    "participant.read": _l("Read a person's record"),
    "participant.update": _l("Changed a person's record"),
    "participant.view": _l("Looked up a person to erase"),
    "policy.update": _l("Changed a balance policy"),
    "register.list": _l("Opened the register"),
    "registration.accept": _l("A person accepted an invitation"),
    "registration.create": _l("Invited or registered a person"),
    "registration.decline": _l("A person declined an invitation"),
    "registration.list": _l("Opened a session's registrations"),
    "registration.passed_over": _l("Passed over on the waitlist: their seat would break the balance policy"),
    "registration.update": _l("Changed a registration"),
    "registrations.read": _l("Read a session's registrations"),
    "report.export": _l("Exported a report for headquarters"),
    "report.narrative": _l("Wrote the narrative of a report for headquarters"),
    "report.view": _l("Looked at a report for headquarters"),
    "retention.purge": _l("Retention purge"),
    "retention.purge_session": _l("Purged a past session's personal data"),
    "selection.confirm": _l("Confirmed a drawn panel"),
    "selection.run": _l("Drew a panel"),
    "session.cancel": _l("Cancelled a session"),
    "session.copy": _l("Copied a session to a new date"),
    "session.create": _l("Created a session"),
    "session.facilitator_add": _l("Assigned a facilitator to a session"),
    "session.facilitator_remove": _l("Removed a facilitator from a session"),
    "session.reinstate": _l("Reinstated a cancelled session"),
    "session.update": _l("Changed a session"),
    "signup.confirm": _l("A person confirmed their open registration"),
    "signup.settings": _l("Changed a session's open registration"),
    "signup.submit": _l("Someone registered on a session's public form (not yet confirmed)"),
    "token.create": _l("Created an API token"),
    "token.revoke": _l("Revoked an API token"),
    "user.create": _l("Created a staff account"),
    "user.disable": _l("Disabled a staff account"),
    "user.enable": _l("Enabled a staff account"),
    "user.export_names_grant": _l("Allowed a staff account to export names"),
    "user.export_names_revoke": _l("Stopped a staff account exporting names"),
    "user.forum_scope": _l("Changed the forums an organiser may see"),
    "user.role_change": _l("Changed a staff account's role"),
}

#: every object type the app records, by code
OBJECT_TYPE_LABELS: dict[str, LazyString] = {
    "account_policy": _l("Sign-in rules for all staff"),
    "agenda_item": _l("Agenda item"),
    "category": _l("Category"),
    "commitment": _l("Commitment"),
    "concern": _l("Concern"),
    "concern_answer": _l("Official's answer"),
    "concern_issue": _l("Issue of concerns"),
    "dimension": _l("Dimension"),
    "forum": _l("Forum"),
    "mail_message": _l("Message"),
    "page": _l("Page"),
    "participant": _l("Person"),
    "registration": _l("Registration"),
    "report": _l("Report"),
    "session": _l("Session"),
    "user": _l("Staff account"),
}


def _translated(labels: dict[str, LazyString], code: str) -> str | None:
    label = labels.get(code)
    # A plain str, so the template escapes it like any other text (a LazyString would pass as markup).
    return str(label) if label is not None else None


def action_label(code: str) -> str | None:
    """The description of an action code in the reader's language; None for a code we do not know."""
    return _translated(ACTION_LABELS, code)


def object_type_label(code: str) -> str | None:
    """The name of an object type in the reader's language; None for a type we do not know."""
    return _translated(OBJECT_TYPE_LABELS, code)


def actions_described_by(words: str) -> frozenset[str] | None:
    """The action codes whose description in the reader's language, or whose code, holds every word of ``words``,
    case aside ("cancel" finds "Cancelled a session"); None when there are no words (every action)."""
    wanted = words.casefold().split()
    if not wanted:
        return None
    return frozenset(code for code, label in ACTION_LABELS.items()
                     if all(word in str(label).casefold() or word in code for word in wanted))
