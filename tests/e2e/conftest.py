"""End-to-end harness: the app served on loopback with a fresh database, driven by Debian's Chromium.

Playwright drives ``/usr/bin/chromium`` (it downloads no browser). axe-core comes from npm: ``.ci/run``
installs it and points ``AXE_CORE_JS`` at ``axe.min.js``. On a machine without them these tests are
skipped with the reason; under CI (``CI=true``) a missing browser or axe-core is a failure instead.
"""

import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from werkzeug.serving import make_server

from app import create_app
from forums.people.seed import seed_dimensions
from forums.security import hash_password
from models import Role, User, db
from tests.conftest import ON_POSTGRES, POSTGRES_URL, base_config

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "e2e passphrase that is long enough"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required under CI)")
    pytest.skip(reason)


def _e2e_database_url(tmp_dir: Path) -> str:
    if not ON_POSTGRES:
        return f"sqlite:///{tmp_dir / 'e2e.sqlite'}"
    base, _, name = POSTGRES_URL.rpartition("/")
    e2e_name = f"{name}_e2e"
    engine = sa.create_engine(f"{base}/postgres".replace("postgresql://", "postgresql+psycopg://", 1),
                              isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{e2e_name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{e2e_name}"')
    engine.dispose()
    return f"{base}/{e2e_name}"


class LiveServer:
    """The app in a background thread on a free loopback port."""

    def __init__(self, app: Any) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.app = app
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = make_server("127.0.0.1", self.port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A served app on a fresh, migrated and seeded database, with one user per staff role."""
    config = base_config(_e2e_database_url(tmp_path_factory.mktemp("e2e")))
    config.update(WTF_CSRF_ENABLED=True, TESTING=False)
    app = create_app(config)
    with app.app_context():
        upgrade()
        seed_dimensions()
        password_hash = hash_password(PASSWORD)
        for role in Role:
            db.session.add(User(email=f"{role.value}@example.org", password_hash=password_hash, role=role))
        db.session.commit()
        db.session.remove()
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, under Playwright."""
    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def javascript(request: pytest.FixtureRequest) -> bool:
    """Every journey runs with JavaScript on and off."""
    return request.param


@pytest.fixture
def new_page(browser: Any, live_server: LiveServer) -> Iterator[Callable[..., Any]]:
    """Open a fresh browser context: ``new_page(javascript=True, locale="en-GB", width=1280, height=800)``."""
    contexts = []

    def _open(javascript: bool = True, locale: str = "en-GB", width: int = 1280, height: int = 800) -> Any:
        context = browser.new_context(java_script_enabled=javascript, locale=locale, base_url=live_server.url,
                                      viewport={"width": width, "height": height})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.javascript_enabled = javascript
        return page

    yield _open
    for context in contexts:
        context.close()


def axe_source() -> str:
    """The axe-core script, from AXE_CORE_JS or a local node_modules."""
    candidates = [os.environ.get("AXE_CORE_JS", ""), "node_modules/axe-core/axe.min.js",
                  "/tmp/dialogue-desk-axe/node_modules/axe-core/axe.min.js"]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return Path(candidate).read_text()
    _missing("axe-core is not installed (npm install axe-core; set AXE_CORE_JS)")
    return ""


def assert_accessible(page: Any) -> None:
    """axe-core finds no serious or critical violation on the page as it is now.

    axe needs scripts; with JavaScript off the same server-rendered HTML is checked in the journey's
    JavaScript-on run, so here the check is a no-op.
    """
    if not page.javascript_enabled:
        return
    page.wait_for_load_state()  # a navigation a click started: check the page it leads to
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, so the page's CSP (no inline scripts) still holds.
        page.evaluate(axe_source())
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results["violations"] if violation["impact"] in ("serious", "critical")
    ]
    assert not serious, f"{page.url}: " + "; ".join(serious)


def assert_no_sideways_scroll(page: Any) -> None:
    """The page fits the viewport's width (measured once a navigation a click started has loaded)."""
    page.wait_for_load_state()
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def screenshot(page: Any, name: str) -> None:
    """Save a full-page screenshot for the README."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, email: str) -> None:
    """Sign in through the login form."""
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


