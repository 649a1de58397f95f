"""The JSON API, version 1 (see shared/contracts/API.md)."""

import importlib

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

#: modules that add routes to ``bp``; each is imported once, in this order
RESOURCE_MODULES = (
    "forums.api.core",
    "forums.api.catalog_api",
    "forums.api.sessions_api",
    "forums.api.people_api",
    "forums.api.links_api",
    "forums.api.checkin_api",
    "forums.api.balance_api",
    "forums.api.selection_api",
    "forums.api.audit_api",
    "forums.api.openapi",
)

for _module in RESOURCE_MODULES:
    importlib.import_module(_module)
