"""The participant register, its dimensions and categories, and the registrations of each session.

Reading personal data is audited (how many rows, never names); every registration change is audited.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from forums.audit import log as audit
from forums.balance import queries as balance_queries
from forums.i18n import current_language
from forums.people import links
from forums.people import operations as people_operations
from forums.registrations import operations
from forums.sessions import page_queries
from forums.sessions.forms import (
    ActionForm,
    BulkRegistrationForm,
    CategoryForm,
    DimensionForm,
    ParticipantForm,
    StatusForm,
    options,
    participant_filter_form,
    participant_form,
)
from forums.sessions.views import failed_status, page_number, save, staff_required
from models import (
    LANGUAGE_LABELS,
    STATUS_LABELS,
    Dimension,
    ForumSession,
    Participant,
    Registration,
    RegistrationStatus,
    db,
)

bp = Blueprint("register", __name__, url_prefix="/staff")


# The register -------------------------------------------------------------------------------------

@bp.route("/participants")
@staff_required
def participant_list() -> str:
    """The register: search by name in any script, filter by any category."""
    locale = current_language()
    dimensions = page_queries.dimensions()
    filter_form = participant_filter_form(dimensions, locale)
    page = page_queries.participant_list(
        page_queries.participant_filter(filter_form.query(), filter_form.categories()), page_number())
    html = render_template("people/participant_list.html", page=page, dimensions=dimensions,
                           filter_form=filter_form, page_args=filter_form.query_args(), locale=locale)
    audit.record_read("register.list", detail=str(len(page.items)))
    return html


def _participant_input(form: ParticipantForm) -> people_operations.ParticipantInput:
    return people_operations.ParticipantInput(
        name=form.name.data, organisation=form.organisation.data or "", email=form.email.data or "",
        phone=form.phone.data or "", languages=list(form.languages.data or []), categories=form.category_choices(),
    )


@bp.route("/participants/new", methods=("GET", "POST"))
@staff_required
def participant_create() -> Response | tuple[str, int]:
    """Add a person to the register."""
    form = participant_form(page_queries.dimensions(), current_language())
    if form.validate_on_submit():
        participant = save(form, lambda: people_operations.create_participant(_participant_input(form)), form.field_map())
        if participant is not None:
            flash(_("Participant added."), "success")
            return redirect(url_for(".participant_view", participant_id=participant.id))
    return render_template("people/participant_form.html", form=form, participant=None), failed_status(form)


@bp.route("/participants/<int:participant_id>")
@staff_required
def participant_view(participant_id: int) -> str:
    """One person's details, categories and registrations (the read is audited)."""
    participant = page_queries.participant_with_registrations(participant_id) or abort(404)
    link = links.link_of(participant)
    html = render_template("people/participant_view.html", participant=participant,
                           dimensions=page_queries.dimensions(), statuses=STATUS_LABELS, languages=LANGUAGE_LABELS,
                           locale=current_language(), link_form=ActionForm(),
                           personal_url=url_for("personal.home", token=link.token, _external=True) if link else None)
    audit.record_read("participant.read", "participant", participant.id)
    return html


@bp.route("/participants/<int:participant_id>/link", methods=("POST",))
@staff_required
def participant_link(participant_id: int) -> Response:
    """Give the person a new personal link to hand out; the previous one stops working at once."""
    participant = db.get_or_404(Participant, participant_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    links.rotate(participant)
    audit.record("link.rotate", "participant", participant.id)
    db.session.commit()
    flash(_("A new personal link was made; the old one no longer works."), "success")
    return redirect(url_for(".participant_view", participant_id=participant.id))


@bp.route("/participants/<int:participant_id>/edit", methods=("GET", "POST"))
@staff_required
def participant_edit(participant_id: int) -> Response | tuple[str, int]:
    """Edit a person; a save from a stale copy is refused."""
    participant = page_queries.participant_for_editing(participant_id) or abort(404)
    dimensions = page_queries.dimensions()
    form = participant_form(dimensions, current_language(), obj=participant if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = str(participant.version)
        form.languages.data = participant.language_list
        chosen = {link.category_id for link in participant.categories}
        for dimension in dimensions:
            form[form.category_fields[dimension.key]].data = next(
                (category.key for category in dimension.categories if category.id in chosen), "")
    if form.validate_on_submit():
        saved = save(form, lambda: people_operations.update_participant(participant, _participant_input(form),
                                                               form.expected_version()), form.field_map())
        if saved is not None:
            flash(_("Participant saved."), "success")
            return redirect(url_for(".participant_view", participant_id=participant_id))
    html = render_template("people/participant_form.html", form=form, participant=participant)
    if request.method == "GET":
        audit.record_read("participant.read", "participant", participant.id)
    return html, failed_status(form)


# Dimensions and categories ------------------------------------------------------------------------

def _category_form() -> CategoryForm:
    form = CategoryForm(prefix="category")
    form.dimension.choices = options((d.key, d.name(current_language())) for d in page_queries.dimensions())
    return form


def _render_dimensions(dimension_form: DimensionForm, category_form: CategoryForm) -> tuple[str, int]:
    status = max(failed_status(dimension_form) if dimension_form.errors else 200,
                 failed_status(category_form) if category_form.errors else 200)
    return render_template("people/dimensions.html", dimensions=page_queries.dimensions(),
                           dimension_form=dimension_form, category_form=category_form,
                           locale=current_language()), status


@bp.route("/dimensions")
@staff_required
def dimension_list() -> tuple[str, int]:
    """Dimensions of representation and their categories, with forms to add more."""
    return _render_dimensions(DimensionForm(prefix="dimension", formdata=None), _category_form())


@bp.route("/dimensions/new", methods=("POST",))
@staff_required
def dimension_create() -> Response | tuple[str, int]:
    """Add a dimension."""
    form = DimensionForm(prefix="dimension")
    if form.validate_on_submit() and save(form, lambda: people_operations.create_dimension(
            form.key.data, form.name_en.data, form.name_ru.data or "", form.name_tg.data or "")):
        flash(_("Dimension added. Add its categories next."), "success")
        return redirect(url_for(".dimension_list"))
    return _render_dimensions(form, CategoryForm(prefix="category", formdata=None))


@bp.route("/categories/new", methods=("POST",))
@staff_required
def category_create() -> Response | tuple[str, int]:
    """Add a category to a dimension."""
    form = _category_form()
    if form.validate_on_submit():
        dimension = db.session.scalar(sa.select(Dimension).where(Dimension.key == form.dimension.data))
        if dimension is not None and save(form, lambda: people_operations.create_category(
                dimension, form.key.data, form.name_en.data, form.name_ru.data or "", form.name_tg.data or "",
                bool(form.counts_toward_balance.data))):
            flash(_("Category added."), "success")
            return redirect(url_for(".dimension_list"))
    return _render_dimensions(DimensionForm(prefix="dimension", formdata=None), form)


# Registrations ------------------------------------------------------------------------------------

def _status_filter() -> RegistrationStatus | None:
    value = request.args.get("status", "")
    return RegistrationStatus(value) if value in RegistrationStatus.__members__ else None


def _render_registrations(forum_session: ForumSession, bulk_form: BulkRegistrationForm) -> tuple[str, int]:
    locale = current_language()
    dimensions = page_queries.dimensions()
    status = _status_filter()
    registrations = page_queries.registration_list(forum_session.id, status, page_number())
    filter_form = participant_filter_form(dimensions, locale)
    candidates = page_queries.participant_list(
        page_queries.participant_filter(filter_form.query(), filter_form.categories()), page_number("cpage"))
    already = page_queries.registered_ids(forum_session.id, [p.id for p in candidates.items])
    html = render_template(
        "registrations/registrations.html", forum_session=forum_session, registrations=registrations,
        counts=page_queries.status_counts(forum_session.id), status=status, statuses=STATUS_LABELS,
        bulk_form=bulk_form, filter_form=filter_form,
        candidates=candidates, already=already, dimensions=dimensions, locale=locale,
        filter_args=filter_form.query_args(),
    )
    audit.record("registration.list", "session", forum_session.id, detail=str(len(registrations.items)))
    audit.record_read("register.list", detail=str(len(candidates.items)))
    return html, failed_status(bulk_form) if bulk_form.errors else 200


def _forum_session(session_id: int) -> ForumSession:
    return page_queries.session_with_forum(session_id) or abort(404)


@bp.route("/sessions/<int:session_id>/registrations")
@staff_required
def registration_list(session_id: int) -> tuple[str, int]:
    """A session's registrations by status with counts, and the register to invite from."""
    return _render_registrations(_forum_session(session_id), BulkRegistrationForm(formdata=None))


def _names(participant_ids: Sequence[int]) -> str:
    names = db.session.scalars(sa.select(Participant.name).where(Participant.id.in_(participant_ids))
                               .order_by(Participant.search_key))
    return ", ".join(names)


@bp.route("/sessions/<int:session_id>/registrations/add", methods=("POST",))
@staff_required
def registration_add(session_id: int) -> Response | tuple[str, int]:
    """Invite or register the people ticked; over capacity they are waitlisted. Balance is checked first."""
    forum_session = _forum_session(session_id)
    form = BulkRegistrationForm()
    if not form.validate_on_submit():
        return _render_registrations(forum_session, form)
    wanted = list(dict.fromkeys(form.participant_ids.data))
    people = list(db.session.scalars(sa.select(Participant).where(Participant.id.in_(wanted))
                                     .order_by(Participant.search_key, Participant.id)))
    status = RegistrationStatus.invited if form.action.data == "invite" else RegistrationStatus.registered
    stage = status.value
    warnings = balance_queries.warnings_for_additions(session_id, [p.id for p in people], stage)
    if warnings and form.confirmed.data != "1":
        form.confirmed.data = "1"
        return render_template("registrations/registration_confirm.html", forum_session=forum_session, form=form,
                               people=people, warnings=warnings), 200
    added, waitlisted, duplicates = 0, 0, 0
    for participant in people:
        try:
            registration = operations.register(forum_session, participant, status)
        except operations.RegistrationError:
            duplicates += 1  # the only error for these two starting statuses: already on the list
            continue
        audit.record("registration.create", "registration", registration.id)
        added += 1
        waitlisted += registration.status is RegistrationStatus.waitlisted
    db.session.commit()
    _flash_additions(status, added, waitlisted, duplicates, len(wanted) - len(people))
    if warnings:
        flash(ngettext("%(num)d category is now outside the balance policy; see the balance page.",
                       "%(num)d categories are now outside the balance policy; see the balance page.",
                       len(warnings)), "warning")
    return redirect(url_for(".registration_list", session_id=session_id))


def _flash_additions(status: RegistrationStatus, added: int, waitlisted: int, duplicates: int, unknown: int) -> None:
    if status is RegistrationStatus.invited:
        flash(ngettext("%(num)d person invited.", "%(num)d people invited.", added), "success")
    else:
        flash(ngettext("%(num)d person registered.", "%(num)d people registered.", added - waitlisted), "success")
    if waitlisted:
        flash(ngettext("The session is full: %(num)d person was put on the waitlist.",
                       "The session is full: %(num)d people were put on the waitlist.", waitlisted), "warning")
    if duplicates:
        flash(ngettext("%(num)d person was already on the list and was left as they were.",
                       "%(num)d people were already on the list and were left as they were.", duplicates), "info")
    if unknown:
        flash(ngettext("%(num)d person is no longer in the register.",
                       "%(num)d people are no longer in the register.", unknown), "warning")


@bp.route("/registrations/<int:registration_id>/status", methods=("POST",))
@staff_required
def registration_status(registration_id: int) -> Response:
    """Move one registration to another status; a freed seat goes to the first on the waitlist."""
    registration = db.get_or_404(Registration, registration_id)
    session_id = registration.session_id
    form = StatusForm()
    if not form.validate_on_submit():
        flash(_("Choose a status from the list."), "error")
        return redirect(url_for(".registration_list", session_id=session_id))
    waiting_before = set(db.session.scalars(
        sa.select(Registration.id).where(Registration.session_id == session_id,
                                         Registration.status == RegistrationStatus.waitlisted)))
    try:
        operations.change_status(registration, RegistrationStatus(form.status.data))
    except operations.RegistrationError:
        db.session.rollback()
        flash(_("The session is full: no seat is free for this person. Put them on the waitlist instead."), "error")
        return redirect(url_for(".registration_list", session_id=session_id))
    audit.record("registration.update", "registration", registration.id, detail=form.status.data)
    promoted = list(db.session.scalars(
        sa.select(Registration).where(Registration.id.in_(waiting_before - {registration.id}),
                                      Registration.status != RegistrationStatus.waitlisted)))
    for moved in promoted:
        audit.record("registration.update", "registration", moved.id, detail="promoted")
    db.session.commit()
    flash(_("Status changed to %(status)s.", status=STATUS_LABELS[registration.status]), "success")
    if promoted:
        flash(_("Moved up from the waitlist: %(names)s.", names=_names([moved.participant_id for moved in promoted])),
              "info")
    return redirect(url_for(".registration_list", session_id=session_id))
