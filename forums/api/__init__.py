"""The JSON API, version 1 (see shared/contracts/API.md): the blueprint its resource modules add routes to.

The resources live in their features (``forums/<feature>/api.py``); ``forums.api.resources`` lists them.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
