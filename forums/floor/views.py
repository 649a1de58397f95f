"""The list of speakers: the facilitator's page, the projector, the timing sheet, corrections and the report.

Everything works with JavaScript off: each action is a small POST form that redirects back to the page.
With JavaScript on, ``static/floor.js`` sends the same forms in the background and swaps in the live part
of the page (``…/live``), which it polls with ``If-None-Match``: the ETag is the list's change stamp, so an
unchanged list costs one small query and a 304.

Who: staff and the session's facilitators run a session's lists (``Need.facilitate``); only staff mark a
session Chatham House. The projector page needs no sign-in: its revocable display token opens that one
list's projector and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, raiseload

from forums import validation
from forums.accounts.permissions import Need, current_staff, session_or_abort
from forums.accounts.tokens import token_digest
from forums.audit import log as audit
from forums.data import excel_csv, exports
from forums.database import reads_only
from forums.floor import operations, queries, rules
from forums.floor.wording import reason_text
from forums.i18n import current_language, display_zone, to_local
from forums.web.cache import kept
from forums.web.personal import mark_personal
from models import (
    FLOOR_POLICY_LABELS,
    SPEECH_KIND_LABELS,
    SPEECH_STATE_LABELS,
    AgendaItem,
    FloorList,
    ForumSession,
    db,
    utcnow,
)

bp = Blueprint("floor", __name__)

#: how often the live part of the page and the projector ask whether the list changed, in seconds
POLL_SECONDS = 1
#: empty lines of a printed timing sheet
SHEET_LINES = 30


def _session(session_id: int, need: Need = Need.facilitate) -> ForumSession:
    return session_or_abort(session_id, need, joinedload(ForumSession.forum), raiseload("*"))


def _list(session_id: int, list_id: int) -> FloorList:
    """The list with everything its page shows, if the reader may run the session's lists; else 403 or 404."""
    _session(session_id)
    floor_list = queries.load_list(list_id, session_id)
    if floor_list is None:
        abort(404)
    return floor_list


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _back(session_id: int, list_id: int) -> ResponseReturnValue:
    if _wants_json():
        return jsonify({"ok": True})
    return redirect(url_for("floor.list_page", session_id=session_id, list_id=list_id,
                            q=request.form.get("q") or None))


def _refused(message: str, session_id: int, list_id: int, status: int = 409) -> ResponseReturnValue:
    if _wants_json():
        return jsonify({"ok": False, "message": message}), status
    flash(message, "error")
    return redirect(url_for("floor.list_page", session_id=session_id, list_id=list_id))


_ERRORS = {
    "nobody_waiting": lambda: _("Nobody is waiting for the floor."),
    "not_on_floor": lambda: _("Nobody has the floor."),
    "not_waiting": lambda: _("This request is no longer waiting."),
}


def _change(session_id: int, list_id: int, action: Any) -> ResponseReturnValue:
    """Run one change on the locked list and commit; a refused one changes nothing and says why."""
    _session(session_id)
    try:
        floor_list = operations.locked_list(list_id, session_id)
        action(floor_list)
    except operations.FloorError as error:
        db.session.rollback()
        if error.code == "not_found":
            abort(404)
        return _refused(_ERRORS[error.code](), session_id, list_id)
    except validation.ValidationFailed as failed:
        db.session.rollback()
        return _refused(" ".join(failed.fields.values()), session_id, list_id, 422)
    db.session.commit()
    return _back(session_id, list_id)


def _form_id(name: str) -> int | None:
    return validation.whole_number(request.form.get(name))


def _form_seconds(name: str, default: int = 0) -> int:
    """Seconds from a minutes field (``3`` or ``2.5``): forms ask in minutes, the records keep seconds."""
    raw = (request.form.get(name) or "").strip().replace(",", ".")
    if not raw:
        return default
    try:
        minutes = float(raw)
    except ValueError:
        raise validation.ValidationFailed({name: _("A number of minutes.")}) from None
    if not abs(minutes) <= operations.MAX_SECONDS / 60:
        raise validation.ValidationFailed({name: _("A number of minutes.")})
    return round(minutes * 60)


def _local_time(raw: str | None, field: str, errors: dict[str, str]) -> datetime | None:
    """A wall-clock time typed in the display zone (``2036-12-03T10:15:30``), as an aware datetime."""
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        errors[field] = _("A date and time, e.g. 2026-12-03 10:15.")
        return None
    return moment.replace(tzinfo=display_zone()) if moment.tzinfo is None else moment


def _labels(state_catalogue: Any) -> dict[str, Any]:
    locale = current_language()
    return {"policy_labels": FLOOR_POLICY_LABELS, "kind_labels": SPEECH_KIND_LABELS,
            "state_labels": SPEECH_STATE_LABELS, "clock": rules.clock_text,
            "reason": lambda position, dimension: reason_text(
                position, lambda key: state_catalogue.category_name(dimension, key, locale)),
            "to_local": to_local, "locale": locale, "catalogue": state_catalogue,
            "category_name": lambda d, c: state_catalogue.category_name(d, c, locale)}


@bp.route("/sessions/<int:session_id>/floor")
@login_required
def lists(session_id: int) -> str:
    """The session's lists of speakers, and opening one for the session or an agenda item."""
    forum_session = session_or_abort(session_id, Need.facilitate, joinedload(ForumSession.forum),
                                     joinedload(ForumSession.agenda), raiseload("*"))
    return render_template("floor/lists.html", forum_session=forum_session, lists=queries.session_lists(session_id),
                           is_staff=current_staff())


@bp.route("/sessions/<int:session_id>/floor/lists", methods=["POST"])
@login_required
def open_list(session_id: int) -> ResponseReturnValue:
    """Open (or go back to) the list of the whole session or of one of its agenda items."""
    forum_session = _session(session_id)
    item_id = _form_id("agenda_item_id")
    if item_id is not None:
        item = db.session.get(AgendaItem, item_id)
        if item is None or item.session_id != session_id:
            abort(404)
    floor_list = operations.open_list(forum_session, item_id)
    db.session.commit()
    return redirect(url_for("floor.list_page", session_id=session_id, list_id=floor_list.id))


@bp.route("/sessions/<int:session_id>/floor/chatham-house", methods=["POST"])
@login_required
def chatham_house(session_id: int) -> ResponseReturnValue:
    """Mark the session Chatham House, or take the mark off (staff only)."""
    forum_session = _session(session_id, Need.manage)
    on = request.form.get("on") == "1"
    dropped = operations.set_chatham_house(forum_session, on)
    db.session.commit()
    if on:
        flash(_("This session is Chatham House: its lists keep categories only. Names dropped: %(n)d.", n=dropped),
              "success")
    else:
        flash(_("This session is no longer Chatham House: new requests keep the speaker's name."), "info")
    return redirect(url_for("floor.lists", session_id=session_id))


def _page_context(floor_list: FloorList) -> dict[str, Any]:
    state = queries.list_state(floor_list)
    query = request.args.get("q", "")[:200]
    return {"state": state, "floor_list": floor_list, "forum_session": floor_list.forum_session,
            "query": query, "found": queries.search_present(floor_list.session_id, query),
            "poll_seconds": POLL_SECONDS, **_labels(state.catalogue)}


@bp.route("/sessions/<int:session_id>/floor/<int:list_id>")
@login_required
def list_page(session_id: int, list_id: int) -> str:
    """The facilitator's page: the clock, who has the floor, the queue with its reasons, adding people."""
    floor_list = _list(session_id, list_id)
    context = _page_context(floor_list)
    html = render_template("floor/list.html", displays=queries.displays(list_id), is_staff=current_staff(),
                           **context)
    # the page names the people on the list with a category each: every look at it is audited, as at the door
    audit.record_read("floor.list", "session", session_id,
                      detail=f"list {list_id}, {len(context['found'])} names found")
    return html


@bp.route("/sessions/<int:session_id>/floor/<int:list_id>/live")
@login_required
@reads_only
def live(session_id: int, list_id: int) -> ResponseReturnValue:
    """The live part of the facilitator's page, for its script: a 304 while the list's stamp is unchanged."""
    _session(session_id)
    stamp = queries.list_stamp(list_id)
    if stamp is None:
        abort(404)
    etag = f"floor-{stamp}-{current_language()}"
    if request.if_none_match.contains(etag):
        return Response(status=304, headers={"ETag": f'"{etag}"', "Cache-Control": "no-cache"})
    floor_list = queries.load_list(list_id, session_id)
    if floor_list is None:
        abort(404)
    state = queries.list_state(floor_list)
    response = Response(render_template("floor/_live.html", state=state, floor_list=floor_list,
                                        forum_session=floor_list.forum_session, query="", **_labels(state.catalogue)))
    response.set_etag(etag)
    response.cache_control.no_cache = True
    return response


@bp.route("/sessions/<int:session_id>/floor/<int:list_id>/start", methods=["POST"])
@login_required
def start(session_id: int, list_id: int) -> ResponseReturnValue:
    """Give the floor to the first of the queue (or the request named), or resume a paused speech."""
    speech_id = _form_id("speech_id")
    return _change(session_id, list_id, lambda floor_list: operations.start(floor_list, speech_id))


@bp.route("/sessions/<int:session_id>/floor/<int:list_id>/pause", methods=["POST"])
@login_required
def pause(session_id: int, list_id: int) -> ResponseReturnValue:
    """Stop the clock; the speaker keeps the floor."""
    return _change(session_id, list_id, operations.pause)


@bp.route("/sessions/<int:session_id>/floor/<int:list_id>/stop", methods=["POST"])
@login_required
def stop(session_id: int, list_id: int) -> ResponseReturnValue:
    """End the speech holding the floor."""
    return _change(session_id, list_id, operations.stop)


@bp.route("/sessions/<int:session_id>/floor/<int:list_id>/next", methods=["POST"])
@login_required
def next_speaker(session_id: int, list_id: int) -> ResponseReturnValue:
    """End the current speech and give the floor to the first of the queue."""
    return _change(session_id, list_id, operations.next_speaker)


@bp.route("/sessions/<int:session_id>/floor/<int:list_id>/speeches/<int:speech_id>/top", methods=["POST"])
@login_required
def move_to_top(session_id: int, list_id: int, speech_id: int) -> ResponseReturnValue:
    """Move a request to the head of the queue (an override, audited)."""
    return _change(session_id, list_id, lambda floor_list: operations.move_to_top(floor_list, speech_id))


@bp.route("/sessions/<int:session_id>/floor/<int:list_id>/speeches/<int:speech_id>/skip", methods=["POST"])
@login_required
def skip(session_id: int, list_id: int, speech_id: int) -> ResponseReturnValue:
    """Take a request off the queue (an override, audited)."""
    return _change(session_id, list_id, lambda floor_list: operations.skip(floor_list, speech_id))


def _form_categories() -> dict[str, str]:
    """``category-<dimension key>`` fields of a form, the empty ones left out."""
    return {name.removeprefix("category-"): value for name, value in request.form.items()
            if name.startswith("category-") and value}


@bp.route("/sessions/<int:session_id>/floor/<int:list_id>/add", methods=["POST"])
@login_required
def add(session_id: int, list_id: int) -> ResponseReturnValue:
    """Put a person present on the list (found by name), or a request by categories alone."""
    participant_id = _form_id("participant_id")
    if participant_id is not None and not queries.is_present(session_id, participant_id):
        # only people checked in at this session: any other id is refused as unknown (need-to-know)
        _session(session_id)
        abort(404)
    kind = request.form.get("kind", "contribution")
    return _change(session_id, list_id, lambda floor_list: operations.add_request(
        floor_list, kind=kind, participant_id=participant_id, categories=_form_categories()))


@bp.route("/sessions/<int:session_id>/floor/<int:list_id>/settings", methods=["POST"])
@login_required
def settings(session_id: int, list_id: int) -> ResponseReturnValue:
    """Change the list's ordering policy, its dimension and the time of a speech."""
    def configure(floor_list: FloorList) -> None:
        operations.configure(floor_list, policy=request.form.get("policy", ""),
                             dimension_key=request.form.get("dimension", ""),
                             alternate=(request.form.get("alternate_first", ""),
                                        request.form.get("alternate_second", "")),
                             speech_seconds=_form_seconds("speech_minutes"))
    return _change(session_id, list_id, configure)


@bp.route("/sessions/<int:session_id>/floor/<int:list_id>/budgets", methods=["POST"])
@login_required
def budget(session_id: int, list_id: int) -> ResponseReturnValue:
    """Give a category a budget of speaking time, or add to it."""
    def change(floor_list: FloorList) -> None:
        initial = _form_seconds("initial_minutes", -1)
        operations.set_budget(floor_list, request.form.get("category", ""), initial=None if initial < 0 else initial,
                              added=_form_seconds("added_minutes"))
    return _change(session_id, list_id, change)


@bp.route("/sessions/<int:session_id>/floor/<int:list_id>/displays", methods=["POST"])
@login_required
def create_display(session_id: int, list_id: int) -> ResponseReturnValue:
    """A new projector address for the list, shown once."""
    _session(session_id)
    try:
        floor_list = operations.locked_list(list_id, session_id)
    except operations.FloorError:
        abort(404)
    token = operations.create_display(floor_list, hide_labels=request.form.get("hide_labels") == "1")
    db.session.commit()
    flash(_("Open this address on the projector (shown only now): %(url)s",
            url=url_for("floor.display", display_token=token, _external=True)), "success")
    return redirect(url_for("floor.list_page", session_id=session_id, list_id=list_id))


@bp.route("/sessions/<int:session_id>/floor/<int:list_id>/displays/<int:display_id>/revoke", methods=["POST"])
@login_required
def revoke_display(session_id: int, list_id: int, display_id: int) -> ResponseReturnValue:
    """Revoke a projector address: the projector shows nothing more."""
    _session(session_id)
    try:
        floor_list = operations.locked_list(list_id, session_id)
    except operations.FloorError:
        abort(404)
    if operations.revoke_display(floor_list, display_id):
        db.session.commit()
        flash(_("The projector address was revoked."), "info")
    return redirect(url_for("floor.list_page", session_id=session_id, list_id=list_id))


def _stretch_fields(prefix: str, errors: dict[str, str]) -> list[tuple[datetime, datetime]]:
    """The stretches of a correction form: ``start-N`` and ``end-N`` pairs, the empty ones left out."""
    stretches = []
    for index in range(int(request.form.get(f"{prefix}count", "0") or 0) + 1):
        begin = _local_time(request.form.get(f"start-{index}"), f"start-{index}", errors)
        end = _local_time(request.form.get(f"end-{index}"), f"end-{index}", errors)
        if begin is None and end is None:
            continue
        if begin is None or end is None:
            errors[f"end-{index}"] = _("Give both the start and the end, or neither.")
            continue
        stretches.append((begin, end))
    return stretches


@bp.route("/sessions/<int:session_id>/floor/<int:list_id>/speeches/<int:speech_id>/edit", methods=["GET", "POST"])
@login_required
def correct(session_id: int, list_id: int, speech_id: int) -> ResponseReturnValue:
    """Correct a speech afterwards: kind, categories, time of request, stretches (audited; the report recomputes)."""
    floor_list = _list(session_id, list_id)
    speech = next((speech for speech in floor_list.speeches if speech.id == speech_id), None)
    if speech is None:
        abort(404)
    errors: dict[str, str] = {}
    if request.method == "POST":
        asked_at = _local_time(request.form.get("asked_at"), "asked_at", errors)
        if asked_at is None:
            errors.setdefault("asked_at", _("A date and time, e.g. 2026-12-03 10:15."))
        stretches = _stretch_fields("", errors)
        if not errors and asked_at is not None:
            try:
                locked = operations.locked_list(list_id, session_id)
                changed = operations.correct(locked, speech_id, kind=request.form.get("kind", ""),
                                             categories=_form_categories(), asked_at=asked_at, stretches=stretches)
            except validation.ValidationFailed as failed:
                db.session.rollback()
                errors.update(failed.fields)
            else:
                db.session.commit()
                flash(_("The speech was corrected.") if changed else _("Nothing was changed."), "success")
                return redirect(url_for("floor.list_page", session_id=session_id, list_id=list_id))
    state = queries.list_state(floor_list)
    return render_template("floor/correct.html", floor_list=floor_list, forum_session=floor_list.forum_session,
                           speech=speech, errors=errors, state=state, form=request.form,
                           **_labels(state.catalogue)), 422 if errors else 200


@bp.route("/sessions/<int:session_id>/floor/<int:list_id>/sheet")
@login_required
def sheet(session_id: int, list_id: int) -> str:
    """A printable timing sheet: the speeches so far, then empty lines to fill in by hand."""
    floor_list = _list(session_id, list_id)
    state = queries.list_state(floor_list)
    return render_template("floor/sheet.html", floor_list=floor_list, forum_session=floor_list.forum_session,
                           state=state, blank_lines=SHEET_LINES, **_labels(state.catalogue))


@bp.route("/sessions/<int:session_id>/floor/<int:list_id>/paper", methods=["GET", "POST"])
@login_required
def paper(session_id: int, list_id: int) -> ResponseReturnValue:
    """Type back one line of a timing sheet: who (a person present, or categories), what, when."""
    floor_list = _list(session_id, list_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        participant_id = _form_id("participant_id")
        if participant_id is not None and not queries.is_present(session_id, participant_id):
            abort(404)
        asked_at = _local_time(request.form.get("asked_at"), "asked_at", errors)
        started_at = _local_time(request.form.get("start-0"), "start-0", errors)
        ended_at = _local_time(request.form.get("end-0"), "end-0", errors)
        if asked_at is None:
            errors.setdefault("asked_at", _("A date and time, e.g. 2026-12-03 10:15."))
        if not errors and asked_at is not None:
            try:
                locked = operations.locked_list(list_id, session_id)
                operations.add_from_paper(locked, kind=request.form.get("kind", ""), participant_id=participant_id,
                                          categories=_form_categories(), asked_at=asked_at, started_at=started_at,
                                          ended_at=ended_at)
            except validation.ValidationFailed as failed:
                db.session.rollback()
                errors.update(failed.fields)
            else:
                db.session.commit()
                flash(_("The line of the sheet was added."), "success")
                return redirect(url_for("floor.paper", session_id=session_id, list_id=list_id))
    state = queries.list_state(floor_list)
    query = request.args.get("q", "")[:200]
    found = queries.search_present(session_id, query)
    html = render_template("floor/paper.html", floor_list=floor_list, forum_session=floor_list.forum_session,
                           errors=errors, state=state, form=request.form, query=query, found=found,
                           **_labels(state.catalogue))
    if found:
        audit.record_read("floor.search", "session", session_id, detail=f"{len(found)} names")
    return html, 422 if errors else 200


def _report(session_id: int) -> tuple[ForumSession, queries.SessionFloorReport, list[rules.DimensionFloor]]:
    """The session, its floor report, and the dimensions of it the reader may see."""
    forum_session = _session(session_id)
    report = queries.session_report(forum_session)
    return forum_session, report, queries.shown_dimensions(report, current_staff(),
                                                           current_app.config["SMALL_COUNT_THRESHOLD"])


@bp.route("/sessions/<int:session_id>/floor/report")
@login_required
def report(session_id: int) -> str:
    """The floor balance of the session against the room: per dimension, per category, per person."""
    forum_session, floor_report, shown = _report(session_id)
    html = render_template("floor/report.html", forum_session=forum_session, report=floor_report,
                           dimensions=shown,
                           k=current_app.config["SMALL_COUNT_THRESHOLD"], **_labels(floor_report.catalogue))
    audit.record_read("floor.report", "session", session_id, detail=f"{len(floor_report.people)} people")
    return html


@bp.route("/sessions/<int:session_id>/floor/report.csv")
@login_required
def report_csv(session_id: int) -> ResponseReturnValue:
    """The report as CSV for Excel: one line per dimension and category, then one per speaker (named only for
    users who may export names, else a code of this file); audited."""
    forum_session, floor_report, shown = _report(session_id)
    locale = current_language()
    with_names = bool(current_user.can_export_names)
    def rows() -> Iterator[list[str]]:
        for dimension in shown:
            for line in dimension.categories:
                yield ["category", dimension.key, line.key,
                       floor_report.catalogue.category_name(dimension.key, line.key, locale), str(line.present),
                       f"{line.attendance_share:.4f}", str(line.requests), str(line.speeches), f"{line.seconds:.0f}",
                       f"{line.time_share:.4f}", "" if line.mean_wait is None else f"{line.mean_wait:.0f}",
                       "yes" if line.never_spoke else "no",
                       "" if dimension.gallagher is None else f"{dimension.gallagher:.2f}"]
        # Names only for whoever may export them (forums.data.exports' rule); others get codes valid in this file.
        salt = exports.new_salt()
        for position, person in enumerate(floor_report.people):
            label = person.name if with_names else exports.pseudonym(position, salt)
            yield ["person", "", "", label, "", "", "", str(person.total.speeches),
                   f"{person.total.seconds:.0f}", "", "", "", ""]

    header = ["row", "dimension", "category", "name", "present", "attendance_share", "requests", "speeches",
              "seconds", "time_share", "mean_wait_seconds", "never_spoke", "gallagher_points"]
    # built whole before the audit entry commits: a report is a few dozen lines, and committing expires the catalogue
    body = "".join(excel_csv.lines(header, rows()))
    audit.record("floor.report_csv", "session", session_id,
                 detail=f"{len(floor_report.people)} people names={'yes' if with_names else 'no'}")
    db.session.commit()
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="floor-session-{forum_session.id}.csv"'
    return response


def _display(token: str) -> queries.LiveDisplay:
    """The live display of this token, or 404. Its page names the speaker: never kept in a cache."""
    mark_personal()
    display = queries.live_display(token_digest(token)) if len(token) <= 100 else None
    if display is None:
        abort(404)
    return display


def display_state(state: queries.ListState, *, hide_labels: bool, locale: str) -> dict[str, Any]:
    """What the projector shows but its clock: the speaker (never a name in a Chatham House session), the bars.

    The same for every projector of the list until its stamp changes, so it is made once per stamp and worker;
    the clock is :func:`with_clock`'s, per request.
    """
    floor_list = state.floor_list
    current = state.current
    speaker = None
    if current is not None:
        if not state.is_chatham_house and current.participant is not None:
            speaker = current.participant.name
        elif not hide_labels and current.categories.get(floor_list.dimension_key):
            speaker = state.catalogue.category_name(floor_list.dimension_key,
                                                    current.categories[floor_list.dimension_key], locale)
    bars = []
    if state.dimension_floor is not None:
        for index, line in enumerate(c for c in state.dimension_floor.categories if c.counts_toward_balance):
            if not line.present and not line.seconds:
                continue
            bars.append({"label": "" if hide_labels else state.catalogue.category_name(
                floor_list.dimension_key, line.key, locale),
                "index": index + 1, "time_share": round(line.time_share, 4),
                "attendance_share": round(line.attendance_share, 4)})
    return {"stamp": str(floor_list.stamp), "speaking": current is not None and current.state == "speaking",
            "closed_seconds": state.current_closed_seconds, "running_since": state.current_running_since,
            "limit": floor_list.speech_seconds, "speaker": speaker, "has_floor": current is not None,
            "waiting": len(state.queue), "bars": bars}


def with_clock(kept_state: dict[str, Any]) -> dict[str, Any]:
    """The projector's state with the clock as of now: closed stretches plus the running one."""
    now = utcnow()
    since = kept_state["running_since"]
    seconds = kept_state["closed_seconds"] + (rules.spoken_seconds([(since, None)], now) if since else 0.0)
    public = {key: value for key, value in kept_state.items() if key not in ("closed_seconds", "running_since")}
    return {**public, "seconds": round(seconds, 1), "over": rules.is_over(seconds, kept_state["limit"])}


def _kept_display_state(display: queries.LiveDisplay) -> dict[str, Any]:
    locale = current_language()

    def make() -> dict[str, Any]:
        floor_list = queries.load_list(display.list_id, display.session_id)
        assert floor_list is not None
        return display_state(queries.list_state(floor_list), hide_labels=display.hide_labels, locale=locale)

    return with_clock(kept("floor.display", (display.list_id, display.hide_labels, locale), display.stamp, make))


@bp.route("/floor/display/<display_token>")
@reads_only
def display(display_token: str) -> str:
    """The projector page of one list, opened with its display token: clock, speaker, bars. No sign-in."""
    found = _display(display_token)
    return render_template("floor/display.html", data=_kept_display_state(found), token=display_token,
                           poll_seconds=POLL_SECONDS, clock=rules.clock_text)


@bp.route("/floor/display/<display_token>/state.json")
@reads_only
def display_json(display_token: str) -> ResponseReturnValue:
    """The projector's state for its script; a 304 while the list's stamp is unchanged (one query)."""
    found = _display(display_token)
    etag = f"display-{found.stamp}-{found.hide_labels:d}-{current_language()}"
    if request.if_none_match.contains(etag):
        return Response(status=304, headers={"ETag": f'"{etag}"'})
    response = jsonify(_kept_display_state(found))
    response.set_etag(etag)
    return response
