"""Staff pages that keep the catalogue of dimensions and categories: rename, reorder, retire.

A key never changes (the API, imports and policies name it); names may, in each language. Retiring keeps
a category on the records that have it and in every report, but offers it to nobody new
(``operations.is_offered``). Adding dimensions and categories is on the dimensions page (``people.views``).
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from forums.forms import ActionForm
from forums.i18n import current_language
from forums.people import operations
from forums.people.forms import RenameForm
from forums.web import failed_status, save, staff_required
from models import Category, Dimension, db

bp = Blueprint("catalogue", __name__, url_prefix="/staff")

KINDS: dict[str, type[Dimension] | type[Category]] = {"dimensions": Dimension, "categories": Category}


def _entry(kind: str, entry_id: int) -> Dimension | Category:
    return db.get_or_404(KINDS[kind], entry_id)


@bp.route("/<any(dimensions, categories):kind>/<int:entry_id>/edit", methods=("GET", "POST"))
@staff_required
def edit(kind: str, entry_id: int) -> str | Response | tuple[str, int]:
    """Rename a dimension or category in each language, or retire it (or bring it back)."""
    entry = _entry(kind, entry_id)
    form = RenameForm(obj=entry if request.method == "GET" else None)
    if form.validate_on_submit():
        assert form.name_en.data is not None  # DataRequired

        def change() -> Dimension | Category:
            operations.rename(entry, form.name_en.data or "", form.name_ru.data or "", form.name_tg.data or "")
            operations.set_retired(entry, bool(form.is_retired.data))
            return entry

        if save(form, change) is not None:
            flash(_("Saved."), "success")
            return redirect(url_for("people.dimension_list"))
    return render_template("people/catalogue_edit.html", form=form, entry=entry, kind=kind,
                           locale=current_language()), failed_status(form)


@bp.route("/<any(dimensions, categories):kind>/<int:entry_id>/move/<any(up, down):direction>", methods=("POST",))
@staff_required
def move(kind: str, entry_id: int, direction: str) -> Response:
    """Move a dimension (or a category within its dimension) one place up or down in display order."""
    entry = _entry(kind, entry_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    operations.move(entry, -1 if direction == "up" else 1)
    db.session.commit()
    return redirect(url_for("people.dimension_list", _anchor=f"{kind}-{entry_id}"))
