"""Staff pages that keep the catalogue of dimensions and categories: rename, reorder, retire.

A key never changes (the API, imports and policies name it); names may, in each language. Retiring keeps
a category on the records that have it and in every report, but offers it to nobody new
(``operations.is_offered``). Adding dimensions and categories is on the dimensions page (``people.views``).
"""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from forums.forms import ActionForm
from forums.i18n import current_language
from forums.people import operations
from forums.people.forms import RenameForm
from forums.web import failed_status, save, staff_required
from models import Category, Dimension, db

bp = Blueprint("catalogue", __name__, url_prefix="/staff/dimensions")


def _entry(key: str, category_key: str | None) -> Dimension | Category:
    """The dimension with ``key``, or its category ``category_key`` when one is named; else 404."""
    dimension = db.session.scalar(sa.select(Dimension).where(Dimension.key == key)) or abort(404)
    if not category_key:
        return dimension
    return db.session.scalar(sa.select(Category).where(Category.dimension_id == dimension.id,
                                                       Category.key == category_key)) or abort(404)


@bp.route("/<key>/edit", methods=("GET", "POST"))
@staff_required
def edit(key: str) -> str | Response | tuple[str, int]:
    """Rename a dimension (or with ``?category=<key>`` one of its categories) in each language, or retire it."""
    entry = _entry(key, request.args.get("category"))
    form = RenameForm(obj=entry if request.method == "GET" else None)
    if form.validate_on_submit():

        def change() -> Dimension | Category:
            operations.rename(entry, form.name_en.data or "", form.name_ru.data or "", form.name_tg.data or "")
            operations.set_retired(entry, bool(form.is_retired.data))
            return entry

        if save(form, change) is not None:
            flash(_("Saved."), "success")
            return redirect(url_for("people.dimension_list"))
    return render_template("people/catalogue_edit.html", form=form, entry=entry,
                           is_dimension=isinstance(entry, Dimension), locale=current_language()), failed_status(form)


@bp.route("/<key>/move/<any(up, down):direction>", methods=("POST",))
@staff_required
def move(key: str, direction: str) -> Response:
    """Move a dimension (or with ``?category=<key>`` a category within it) one place up or down in display order."""
    entry = _entry(key, request.args.get("category"))
    if not ActionForm().validate_on_submit():
        abort(400)
    operations.move(entry, -1 if direction == "up" else 1)
    db.session.commit()
    kind = "dimensions" if isinstance(entry, Dimension) else "categories"
    return redirect(url_for("people.dimension_list", _anchor=f"{kind}-{entry.id}"))
