"""The participant register, its dimensions and categories.

Reading personal data is audited (how many rows, never names).
"""


import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from forums import validation
from forums.accounts.scope import whole_register_required
from forums.audit import log as audit
from forums.checkin import scope
from forums.forms import ActionForm, options
from forums.i18n import current_language
from forums.mail import queries as mail_queries
from forums.people import duplicates, links, merge
from forums.people import operations as people_operations
from forums.people import queries as people_queries
from forums.people.forms import (
    CategoryForm,
    DimensionForm,
    ParticipantForm,
    merge_form,
    participant_filter_form,
    participant_form,
)
from forums.web import failed_status, page_number, save, staff_required
from models import (
    LANGUAGE_LABELS,
    STATUS_LABELS,
    Dimension,
    Participant,
    db,
)

bp = Blueprint("people", __name__, url_prefix="/staff")


# The register -------------------------------------------------------------------------------------

@bp.route("/participants")
@staff_required
def participant_list() -> str:
    """The register: search by name in any script, filter by any category."""
    locale = current_language()
    dimensions = people_queries.dimensions()
    filter_form = participant_filter_form(dimensions, locale)
    page = people_queries.participant_list(
        people_queries.participant_filter(filter_form.query(), filter_form.categories()), page_number())
    html = render_template("people/participant_list.html", page=page, dimensions=dimensions,
                           filter_form=filter_form, page_args=filter_form.query_args(), locale=locale)
    audit.record_read("register.list", detail=str(len(page.items)))
    return html


def _participant_input(form: ParticipantForm) -> people_operations.ParticipantInput:
    assert form.name.data is not None  # DataRequired: called on a validated form
    return people_operations.ParticipantInput(
        name=form.name.data, organisation=form.organisation.data or "", email=form.email.data or "",
        phone=form.phone.data or "", languages=list(form.languages.data or []), categories=form.category_choices(),
    )


@bp.route("/participants/new", methods=("GET", "POST"))
@staff_required
def participant_create() -> Response | tuple[str, int]:
    """Add a person to the register; one who may already be in it is shown first, with a way to add anyway."""
    form = participant_form(people_queries.dimensions(), current_language())
    matches: list[duplicates.Match] = []
    if form.validate_on_submit():
        data = _participant_input(form)
        if not request.form.get("add_anyway"):
            matches = duplicates.find_one(duplicates.Identity(data.name, data.email, data.phone))
        if not matches:
            participant = save(form, lambda: people_operations.create_participant(data), form.field_map())
            if participant is not None:
                flash(_("Participant added."), "success")
                return redirect(url_for(".participant_view", participant_id=participant.id))
    html = render_template("people/participant_form.html", form=form, participant=None, duplicates=matches)
    if matches:
        audit.record_read("participant.duplicate_warning", detail=f"matches={len(matches)}")
        return html, 409
    return html, failed_status(form)


@bp.route("/participants/<int:participant_id>")
@staff_required
def participant_view(participant_id: int) -> str:
    """One person's details, categories and registrations (the read is audited)."""
    participant = people_queries.participant_with_registrations(participant_id) or abort(404)
    link = links.link_of(participant)
    html = render_template("people/participant_view.html", participant=participant,
                           dimensions=people_queries.dimensions(), statuses=STATUS_LABELS, languages=LANGUAGE_LABELS,
                           locale=current_language(), link_form=ActionForm(),
                           personal_url=url_for("personal.home", token=link.token, _external=True) if link else None,
                           address_health=mail_queries.address_health(participant.id, participant.email))
    audit.record_read("participant.read", "participant", participant.id)
    return html


@bp.route("/participants/<int:participant_id>/link", methods=("POST",))
@staff_required
def participant_link(participant_id: int) -> Response:
    """Give the person a personal link to hand out; a previous one, if there was one, stops working at once."""
    participant = db.get_or_404(Participant, participant_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    had_a_link = links.link_of(participant) is not None
    links.rotate(participant)
    audit.record("link.rotate", "participant", participant.id)
    db.session.commit()
    if had_a_link:
        flash(_("A new personal link was made; the old one no longer works."), "success")
    else:
        flash(_("A personal link was made: hand it to the person."), "success")
    return redirect(url_for(".participant_view", participant_id=participant.id))


@bp.route("/participants/<int:participant_id>/not-a-duplicate", methods=("POST",))
@staff_required
def participant_not_a_duplicate(participant_id: int) -> Response:
    """Staff compared a walk-in flagged at the door with the person it resembled: not the same person."""
    participant = db.get_or_404(Participant, participant_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if scope.clear_possible_duplicate(participant):
        db.session.commit()
        flash(_("The possible duplicate is cleared: these are two people."), "success")
    return redirect(url_for(".participant_view", participant_id=participant.id))


@bp.route("/participants/<int:participant_id>/edit", methods=("GET", "POST"))
@staff_required
def participant_edit(participant_id: int) -> Response | tuple[str, int]:
    """Edit a person; a save from a stale copy is refused."""
    participant = people_queries.participant_for_editing(participant_id) or abort(404)
    dimensions = people_queries.dimensions()
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


# Two records of one person -------------------------------------------------------------------------

@bp.route("/participants/<int:participant_id>/merge", methods=("GET", "POST"))
@staff_required
def participant_merge(participant_id: int) -> Response | tuple[str, int]:
    """Merge another record of the same person into this one, or this one into it (staff choose which stays).

    Without ``?other=`` the page lists the records that may be this person and asks for one; with it the
    two records are shown side by side and the form merges them (``forums.people.merge``) in one transaction.
    An organiser limited to some forums may not merge: a merge moves registrations they cannot see.
    """
    whole_register_required()
    this = people_queries.participant_with_registrations(participant_id) or abort(404)
    raw_other = request.values.get("other", "")
    other_id = validation.whole_number(raw_other)
    other = people_queries.participant_with_registrations(other_id) if other_id and other_id != this.id else None
    if other is None:
        if raw_other:
            flash(_("No other record with this id: give the id of another person in the register."), "error")
        candidates = duplicates.find_one(duplicates.Identity(this.name, this.email, this.phone), exclude=[this.id])
        html = render_template("people/participant_merge.html", this=this, other=None, candidates=candidates,
                               other_id=raw_other)
        # The page names this person, and the people who may be them.
        audit.record("participant.read", "participant", this.id)
        if candidates:
            audit.record("participant.duplicate_warning", "participant", this.id, detail=f"matches={len(candidates)}")
        db.session.commit()
        return html, 404 if raw_other else 200
    form = merge_form(this, other)
    if request.method == "GET":
        form.this_version.data, form.other_version.data = str(this.version), str(other.version)
    if form.validate_on_submit():
        versions = {this.id: form.version_of(form.this_version), other.id: form.version_of(form.other_version)}
        kept, merged = (this, other) if form.keep.data == str(this.id) else (other, this)
        summary = save(form, lambda: merge.merge(kept, merged, kept_version=versions[kept.id],
                                                 merged_version=versions[merged.id]))
        if summary is not None:
            flash(_("The two records are one now: %(moved)d registrations moved, %(joined)d sessions both were on "
                    "joined, %(speakers)d speaker entries moved.", moved=summary.registrations_moved,
                    joined=summary.registrations_joined, speakers=summary.speaker_entries_moved), "success")
            return redirect(url_for(".participant_view", participant_id=summary.kept_id))
        this = people_queries.participant_with_registrations(participant_id) or abort(404)
        other = people_queries.participant_with_registrations(other.id) or abort(404)
    html = render_template("people/participant_merge.html", this=this, other=other, form=form,
                           dimensions=people_queries.dimensions(), statuses=STATUS_LABELS, languages=LANGUAGE_LABELS,
                           locale=current_language(), facts=people_queries.merge_facts([this.id, other.id]),
                           differences=set(merge.differences(this, other)))
    if request.method == "GET":
        for person in (this, other):
            audit.record("participant.read", "participant", person.id)
        db.session.commit()
    return html, failed_status(form)


# Dimensions and categories ------------------------------------------------------------------------

def _category_form() -> CategoryForm:
    form = CategoryForm(prefix="category")
    form.dimension.choices = options((d.key, d.name(current_language())) for d in people_queries.dimensions())
    return form


def _render_dimensions(dimension_form: DimensionForm, category_form: CategoryForm) -> tuple[str, int]:
    status = max(failed_status(dimension_form) if dimension_form.errors else 200,
                 failed_status(category_form) if category_form.errors else 200)
    return render_template("people/dimensions.html", dimensions=people_queries.dimensions(),
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
    if form.validate_on_submit():
        key, name_en = form.key.data, form.name_en.data
        assert key is not None and name_en is not None  # both DataRequired
        if save(form, lambda: people_operations.create_dimension(
                key, name_en, form.name_ru.data or "", form.name_tg.data or "")):
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
        key, name_en = form.key.data, form.name_en.data
        assert key is not None and name_en is not None  # both DataRequired
        if dimension is not None and save(form, lambda: people_operations.create_category(
                dimension, key, name_en, form.name_ru.data or "", form.name_tg.data or "",
                bool(form.counts_toward_balance.data))) is not None:
            flash(_("Category added."), "success")
            return redirect(url_for(".dimension_list"))
    return _render_dimensions(DimensionForm(prefix="dimension", formdata=None), form)
