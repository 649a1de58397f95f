"""The main navigation, built from the pages this app has and the reader's role."""

from flask import Flask, current_app, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from models import Role

#: endpoint, label, roles that see it
NAV_ITEMS = (
    ("desk.home", _l("Home"), (Role.admin, Role.organiser, Role.facilitator)),
    ("staff.forum_list", _l("Forums"), (Role.admin, Role.organiser)),
    ("staff.session_list", _l("Sessions"), (Role.admin, Role.organiser, Role.facilitator)),
    ("people.participant_list", _l("Participants"), (Role.admin, Role.organiser)),
    ("mail.outbox_list", _l("Outbox"), (Role.admin, Role.organiser)),
    ("reports.report", _l("Reports"), (Role.admin, Role.organiser)),
    ("lifecycle.import_participants", _l("Import participants"), (Role.admin, Role.organiser)),
    ("lifecycle.retention_purge", _l("Retention purge"), (Role.admin,)),
    ("lifecycle.erase_lookup", _l("Erase a person"), (Role.admin,)),
    ("audit.audit_log", _l("Audit log"), (Role.admin,)),
    # password, sign-ins, two-factor sign-in and API tokens are all one page away from here
    ("my_account.overview", _l("Your account"), (Role.admin, Role.organiser, Role.facilitator)),
)


def nav_links() -> list[tuple[str, str]]:
    """(URL, label) pairs for the signed-in user."""
    if not current_user.is_authenticated:
        return []
    return [
        (url_for(endpoint), str(label))
        for endpoint, label, roles in NAV_ITEMS
        if current_user.role in roles and endpoint in current_app.view_functions
    ]


def init_app(app: Flask) -> None:
    """Expose ``nav_links`` to templates."""
    app.jinja_env.globals["nav_links"] = nav_links
