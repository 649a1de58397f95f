"""The check-in page at ``/sessions/<id>/checkin``, the printable sign-in sheet and the paper entry page.

Everything here works with JavaScript off: search is a GET form, each action a POST form carrying
its own request id, so a form sent twice still counts once. With JavaScript on, ``static/checkin.js``
narrows the list as one types and checks people in through the JSON API without reloading.
"""

import secrets
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, raiseload
from werkzeug.wrappers import Response

from forums import validation
from forums.accounts.permissions import Need, current_staff, session_or_abort
from forums.audit import log as audit
from forums.balance.coarse import coarse_report
from forums.balance.policies import load_catalogue, percent
from forums.balance.queries import session_balance_details
from forums.checkin import door as checkin
from forums.checkin import events, scope
from forums.i18n import current_language
from forums.people import operations as people_operations
from forums.people.forms import participant_form
from forums.people.names import folding_tables
from models import (
    STATUS_LABELS,
    Category,
    CheckinOutcome,
    ForumSession,
    Participant,
    ParticipantCategory,
    Registration,
    RegistrationStatus,
    db,
    utcnow,
)
from models.checkin import KIND_LABELS, REVIEW_LABELS

bp = Blueprint("checkin", __name__)

#: lines of the check-in list per page with JavaScript off
PAGE_SIZE = 100
#: people on one printed sheet or one paper entry page; a longer list continues on the next page
SHEET_SIZE = 500
#: empty lines at the end of a sign-in sheet, for walk-ins to write their names
BLANK_SHEET_LINES = 10
#: how often the live panel asks for new counts, in seconds
REFRESH_SECONDS = 8


def _checkin_session(session_id: int) -> ForumSession:
    """The session with its forum and region, if the reader may run its check-in; else 403 or 404 by the rule of
    ``forums.accounts.permissions``."""
    return session_or_abort(session_id, Need.facilitate, joinedload(ForumSession.forum),
                            joinedload(ForumSession.region), raiseload("*"))


def _list_page(session_id: int, size: int) -> tuple[str, list[checkin.ExpectedPerson], str | None]:
    """The search words, the page of people and the cursor of the next page, from the query string."""
    query = request.args.get("q", "")[:200]
    after = None
    if request.args.get("cursor"):
        try:
            after = checkin.decode_position(request.args["cursor"])
        except ValueError:
            abort(400)
    people, next_position = checkin.search_expected(session_id, query, after=after, limit=size)
    return query, people, checkin.encode_position(next_position) if next_position else None


def _back_to_list(session_id: int) -> Response:
    """Back to the check-in page, keeping the search the form was sent from."""
    return redirect(url_for("checkin.page", session_id=session_id, q=request.form.get("q") or None))


def _new_request_id() -> str:
    return secrets.token_urlsafe(16)


#: an empty line of the list, rendered into a <template> that the page's script fills for search results
PROTOTYPE_ROW = checkin.ExpectedPerson(0, 0, "", "", RegistrationStatus.invited, None, "")


def _panel_context(forum_session: ForumSession) -> dict[str, Any]:
    """What the live panel shows: counts, seats, the attended-stage balance and how to refresh it.

    Staff see the exact balance; a facilitator sees only where each category stands, and nothing
    per category below the small-count threshold (``forums.balance.coarse``). While anyone expected has
    not arrived yet (``calm``), the panel says how many are still expected and shows its verdicts without
    alarm: the first arrivals are never a room "outside the policy" in red, only the room so far.
    """
    details = session_balance_details(forum_session.id, "attended")
    threshold = current_app.config["SMALL_COUNT_THRESHOLD"]
    counts = checkin.attendance(forum_session.id, forum_session.capacity)
    return {
        "counts": counts,
        "calm": counts.still_expected > 0,
        "details": details,
        "coarse": None if current_staff() else coarse_report(details.report, threshold),
        "refresh_seconds": REFRESH_SECONDS,
        "percent": percent,
    }


@bp.route("/sessions/<int:session_id>/checkin")
@login_required
def page(session_id: int) -> str:
    """The check-in page: search, check in and undo, walk-ins, the live attendance balance."""
    forum_session = _checkin_session(session_id)
    query, people, next_cursor = _list_page(session_id, PAGE_SIZE)
    panel_context = _panel_context(forum_session)
    is_staff = current_staff()
    html = render_template(
        "checkin/page.html",
        forum_session=forum_session,
        query=query,
        people=people,
        prototype=PROTOTYPE_ROW,
        next_cursor=next_cursor,
        walk_in_form=participant_form(panel_context["details"].catalogue.dimensions, current_language()),
        is_staff=is_staff,
        facilitators=checkin.facilitators(session_id) if is_staff else [],
        status_labels=STATUS_LABELS,
        status_label_map={status.value: str(label) for status, label in STATUS_LABELS.items()},
        new_request_id=_new_request_id,
        folding_tables=folding_tables(),
        **panel_context,
    )
    audit.record_read("checkin.list", "session", session_id, detail=f"{len(people)} rows")
    return html


@bp.route("/checkin-sw.js")
def service_worker() -> Response:
    """The check-in page's service worker, from the site's root so that its scope covers every session's page.

    It keeps the check-in page and its scripts so that the page reloads with the link down (browsers run
    it over HTTPS and on localhost only; they look for a new version of it past their HTTP cache).
    """
    return current_app.send_static_file("checkin-sw.js")


@bp.route("/sessions/<int:session_id>/checkin/panel")
@login_required
def panel(session_id: int) -> str:
    """The live panel alone, for the page's script to swap in when the counts have changed."""
    forum_session = _checkin_session(session_id)
    return render_template("checkin/_panel.html", forum_session=forum_session, **_panel_context(forum_session))


@bp.route("/sessions/<int:session_id>/checkin/<int:registration_id>", methods=["POST"])
@login_required
def check_in_from_page(session_id: int, registration_id: int) -> Response:
    """Check one person in from the list's form; its request id makes a second submission a no-op."""
    _checkin_session(session_id)
    request_id = request.form.get("request_id", "")[:80] or None
    try:
        registration = checkin.check_in_once(session_id, registration_id, request_id, via="page")
    except checkin.CheckinError as error:
        if error.code == "not_found":
            abort(404)
        flash(_("This check-in was already sent for someone else. Please try again."), "error")
        return _back_to_list(session_id)
    name = db.session.scalar(sa.select(Participant.name).where(Participant.id == registration.participant_id))
    db.session.commit()
    flash(_("%(name)s is checked in.", name=name), "success")
    return _back_to_list(session_id)


@bp.route("/sessions/<int:session_id>/checkin/<int:registration_id>/undo", methods=["POST"])
@login_required
def undo(session_id: int, registration_id: int) -> Response:
    """Undo one check-in."""
    _checkin_session(session_id)
    try:
        registration = checkin.undo_check_in(session_id, registration_id)
    except checkin.CheckinError:
        abort(404)
    name = db.session.scalar(sa.select(Participant.name).where(Participant.id == registration.participant_id))
    db.session.commit()
    flash(_("The check-in of %(name)s was undone.", name=name), "info")
    return _back_to_list(session_id)


def _walk_in_outcome(registration: Registration, was_full: bool) -> None:
    """One message for a walk-in, with the capacity in it when the session was full (never a second warning).

    The same words whether or not the new person was flagged for staff as a possible duplicate.
    """
    name = registration.participant.name
    if was_full:
        flash(_("%(name)s is registered and checked in; the session was already full, so this walk-in is over "
                "its capacity.", name=name), "warning")
    else:
        flash(_("%(name)s is registered and checked in.", name=name), "success")


@bp.route("/sessions/<int:session_id>/checkin/walk-in", methods=["POST"])
@login_required
def walk_in(session_id: int) -> str | Response:
    """Register and check in someone not on the list; first points out people who may be them.

    Staff are shown every likely duplicate in the register; a facilitator only near-exact matches
    among the session's own people, and a walk-in resembling anyone else is flagged for staff
    (``forums.checkin.scope``).
    """
    forum_session = _checkin_session(session_id)
    details = session_balance_details(session_id, "attended")
    form = participant_form(details.catalogue.dimensions, current_language())
    counts = checkin.attendance(session_id, forum_session.capacity)
    is_staff = current_staff()
    hints: list[checkin.DuplicateHint] = []
    if form.validate_on_submit():
        assert form.name.data is not None  # DataRequired: a valid form has a name
        found = scope.walk_in_hints(session_id, form.name.data, is_staff=is_staff)
        hints = found.shown
        if not hints or request.form.get("new_person") == "yes":
            person = people_operations.ParticipantInput(name=form.name.data, organisation=form.organisation.data or "",
                                               categories=form.category_choices())
            try:
                registration = checkin.add_walk_in(session_id, person)
            except validation.ValidationFailed as failed:
                for message in failed.fields.values():
                    flash(message, "error")
            else:
                if found.unshown_match is not None:
                    scope.flag_possible_duplicate(registration.participant, found.unshown_match)
                db.session.commit()
                _walk_in_outcome(registration, counts.is_full)
                return redirect(url_for("checkin.page", session_id=session_id))
        else:
            audit.record("checkin.duplicate_hints", "session", session_id, detail=f"{len(hints)} shown")
            db.session.commit()
    offer = scope.sign_offer(session_id, current_user.id, [hint.participant_id for hint in hints]) if hints else ""
    return render_template("checkin/walk_in.html", forum_session=forum_session, form=form, hints=hints,
                           offer=offer, is_staff=is_staff, counts=counts, status_labels=STATUS_LABELS)


@bp.route("/sessions/<int:session_id>/checkin/participants/<int:participant_id>", methods=["POST"])
@login_required
def check_in_known(session_id: int, participant_id: int) -> Response:
    """Check in a walk-in who is already in the register (picked from the likely duplicates).

    A facilitator may pick only someone on the session's list or a candidate the walk-in form offered
    them; any other id is refused as if it did not exist, and the refusal is audited.
    """
    forum_session = _checkin_session(session_id)
    if not scope.may_act_on(is_staff=current_staff(), user_id=current_user.id, session_id=session_id,
                            participant_id=participant_id, offer=request.form.get("offer", "")):
        scope.record_refusal(session_id, participant_id)
        db.session.commit()
        abort(404)
    participant = db.session.get(Participant, participant_id)
    if participant is None:
        abort(404)
    was_full = checkin.attendance(session_id, forum_session.capacity).is_full
    registration = checkin.check_in_participant(session_id, participant)
    db.session.commit()
    _walk_in_outcome(registration, was_full)
    return redirect(url_for("checkin.page", session_id=session_id))


@bp.route("/sessions/<int:session_id>/checkin/sheet")
@login_required
def sheet(session_id: int) -> str:
    """A printable A4 sign-in sheet, names sorted; affiliation columns only when staff ask for them."""
    forum_session = _checkin_session(session_id)
    with_affiliation = current_staff() and request.args.get("affiliation") == "1"
    query, people, next_cursor = _list_page(session_id, SHEET_SIZE)
    catalogue = load_catalogue() if with_affiliation else None
    categories: dict[int, dict[int, str]] = defaultdict(dict)
    if with_affiliation and people:
        rows = db.session.execute(
            sa.select(ParticipantCategory.participant_id, Category.dimension_id, Category.id)
            .join(Category, Category.id == ParticipantCategory.category_id)
            .where(ParticipantCategory.participant_id.in_([person.participant_id for person in people]))
        )
        names = {category.id: category.name(current_language())
                 for dimension in catalogue.dimensions for category in dimension.categories} if catalogue else {}
        for participant_id, dimension_id, category_id in rows:
            categories[participant_id][dimension_id] = names.get(category_id, "")
    audit.record("checkin.sheet", "session", session_id,
                 detail=f"{len(people)} rows" + (", with affiliation" if with_affiliation else ""))
    db.session.commit()
    return render_template("checkin/sheet.html", forum_session=forum_session, people=people, query=query,
                           next_cursor=next_cursor, with_affiliation=with_affiliation, catalogue=catalogue,
                           categories=categories, blank_lines=BLANK_SHEET_LINES, is_staff=current_staff())


@bp.route("/sessions/<int:session_id>/checkin/paper", methods=["GET", "POST"])
@login_required
def paper(session_id: int) -> str | Response:
    """Enter a signed sheet afterwards: tick everyone who signed, check them all in at once."""
    forum_session = _checkin_session(session_id)
    if request.method == "POST":
        ids = [number for value in request.form.getlist("registration_id")
               if (number := validation.whole_number(value)) is not None]
        # Typed-back lines join the devices' event stream: someone also checked in on a device counts once.
        results = events.apply_events(forum_session, current_user.id, events.paper_events(ids, utcnow())) if ids else []
        changed = sum(result.outcome is CheckinOutcome.applied for result in results)
        db.session.commit()
        flash(_("%(n)d people marked as attended.", n=changed), "success")
        return redirect(url_for("checkin.paper", session_id=session_id, q=request.form.get("q") or None))
    query, people, next_cursor = _list_page(session_id, SHEET_SIZE)
    audit.record("checkin.list", "session", session_id, detail=f"{len(people)} rows, paper entry")
    db.session.commit()
    return render_template("checkin/paper.html", forum_session=forum_session, people=people, query=query,
                           next_cursor=next_cursor, status_labels=STATUS_LABELS)


@bp.route("/sessions/<int:session_id>/facilitators", methods=["POST"])
@login_required
def add_facilitator(session_id: int) -> Response:
    """Assign a facilitator to the session by e-mail (staff only)."""
    session_or_abort(session_id, Need.manage)
    email = request.form.get("email", "").strip()[:254]
    try:
        user = checkin.assign_facilitator(session_id, email)
    except checkin.CheckinError as error:
        message: Any = (_("This facilitator is assigned to the session already.") if error.code == "duplicate"
                        else _("No active facilitator account has this e-mail."))
        flash(message, "error")
    else:
        db.session.commit()
        flash(_("%(email)s may now check people in at this session.", email=user.email), "success")
    return redirect(url_for("checkin.page", session_id=session_id))


@bp.route("/sessions/<int:session_id>/facilitators/<int:user_id>/remove", methods=["POST"])
@login_required
def remove_facilitator(session_id: int, user_id: int) -> Response:
    """Take a facilitator off the session (staff only)."""
    session_or_abort(session_id, Need.manage)
    if checkin.unassign_facilitator(session_id, user_id):
        db.session.commit()
        flash(_("The facilitator was removed from this session."), "info")
    return redirect(url_for("checkin.page", session_id=session_id))


@bp.route("/sessions/<int:session_id>/checkin/review")
@login_required
def review(session_id: int) -> str:
    """Staff: the check-ins flagged for review and the undos waiting on the reconciliation list (issue 18)."""
    forum_session = session_or_abort(session_id, Need.manage, joinedload(ForumSession.forum),
                                     joinedload(ForumSession.region), raiseload("*"))
    lines = events.open_reviews(session_id)
    html = render_template("checkin/review.html", forum_session=forum_session, lines=lines,
                           status_labels=STATUS_LABELS, review_labels=REVIEW_LABELS, kind_labels=KIND_LABELS)
    audit.record_read("checkin.list", "session", session_id, detail=f"{len(lines)} rows, review")
    return html


@bp.route("/sessions/<int:session_id>/checkin/review/<int:event_id>", methods=["POST"])
@login_required
def settle_review(session_id: int, event_id: int) -> Response:
    """Staff settle one flagged event: keep things as they are, or (an undo on the list) apply the undo."""
    session_or_abort(session_id, Need.manage)
    apply_undo = request.form.get("action") == "undo"
    if events.settle(session_id, event_id, apply_undo=apply_undo) is None:
        abort(404)
    db.session.commit()
    flash(_("The check-in was undone.") if apply_undo else _("Marked as reviewed."), "success")
    return redirect(url_for("checkin.review", session_id=session_id))
