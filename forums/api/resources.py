"""Every module that adds routes to the API blueprint, imported plainly, in the order they register."""

from types import ModuleType

from forums.accounts import api as accounts_api
from forums.api import bp, core, openapi
from forums.audit import api as audit_api
from forums.balance import api as balance_api
from forums.checkin import api as checkin_api
from forums.checkin import sync_api as checkin_sync_api
from forums.concerns import api as concerns_api
from forums.floor import api as floor_api
from forums.people import api as people_api
from forums.people import dimensions_api, links_api
from forums.registrations import api as registrations_api
from forums.reports import api as reports_api
from forums.selection import api as selection_api
from forums.sessions import api as sessions_api

#: the modules whose ``PATHS`` and ``SCHEMAS`` make up the OpenAPI description
RESOURCE_MODULES: tuple[ModuleType, ...] = (
    core, dimensions_api, sessions_api, people_api, registrations_api, links_api, checkin_api, checkin_sync_api,
    balance_api, floor_api,
    selection_api, reports_api, audit_api, accounts_api, concerns_api, openapi,
)

#: the API blueprint, once the imports above have added every resource's routes to it
api_blueprint = bp
