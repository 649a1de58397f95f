"""Extension objects, created unbound and bound to an app in ``forums.setup``."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
# No default limits: only sign-in is throttled, and its storage comes from RATELIMIT_STORAGE_URI
# (Redis when several workers share the count).
limiter = Limiter(key_func=get_remote_address, default_limits=[])
