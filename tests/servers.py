"""Run the app under gunicorn on a free loopback port, against a database of its own, for tests.

``server_database(tmp_path)`` gives a migrated, seeded database URL: a SQLite file (WAL) by default,
or, when the suite runs with ``DATABASE_URL`` on PostgreSQL, a separate database ``<name>_server``
created for the test and dropped after it (the test's own app keeps the main one).
``running_server(url)`` starts gunicorn with several workers on it and stops it afterwards.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from app import create_app
from forums.database import normalise_database_url
from forums.people.seed import seed_dimensions
from models import db
from tests.conftest import ON_POSTGRES, POSTGRES_URL, base_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "server-test-secret-key-that-is-long-enough-0123456789"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A running gunicorn: its port, its process group and its log."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
                timeout: float = 30) -> tuple[int, Any]:
        """Send one request on a new connection; the JSON answer decoded (text when not JSON)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            all_headers = dict(headers or {})
            payload = None
            if body is not None:
                payload = json.dumps(body).encode()
                all_headers["Content-Type"] = "application/json"
            connection.request(method, path, body=payload, headers=all_headers)
            response = connection.getresponse()
            raw = response.read().decode()
            try:
                return response.status, json.loads(raw)
            except ValueError:
                return response.status, raw
        finally:
            connection.close()

    def log(self) -> str:
        """Everything gunicorn and the app wrote so far."""
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the master and every worker at once, as a power cut or the OOM killer would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Shut down gracefully, then forcefully if it takes too long."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


def start_server(database_url: str, log_path: Path, *, workers: int = 4, ready_timeout: float = 40) -> Server:
    """Start gunicorn on ``database_url`` and wait until it answers."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "FLASK_SECRET_KEY": SECRET_KEY,
        "FLASK_RATELIMIT_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
    }
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child, closed with this process
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--timeout", "60", "--graceful-timeout", "5", "--preload", "wsgi:app"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    log.close()
    # --preload imports the app once and forks the workers: 4 imports at once take 20 s on 2 busy
    # cores. Forking is safe because creating the app opens no database connection (the pool is
    # empty until the first request), so no worker inherits another's connection.
    server = Server(port, process, log_path)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{server.log()[-3000:]}")
        try:
            if server.request("GET", "/api/v1/openapi.json", timeout=5)[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"gunicorn did not answer within {ready_timeout} s:\n{server.log()[-3000:]}")


@contextmanager
def running_server(database_url: str, log_path: Path, *, workers: int = 4) -> Iterator[Server]:
    """A gunicorn serving ``database_url`` for the duration of the block."""
    server = start_server(database_url, log_path, workers=workers)
    try:
        yield server
    finally:
        server.stop()


def _postgres_admin_engine() -> sa.Engine:
    return sa.create_engine(normalise_database_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")


@contextmanager
def server_database(tmp_path: Path, *, sqlite_only: bool = False) -> Iterator[str]:
    """The URL of a fresh, migrated and seeded database that only the server and the test use."""
    if not ON_POSTGRES or sqlite_only:
        yield "sqlite:///" + str(tmp_path / "server.sqlite")
        return
    url = sa.make_url(normalise_database_url(POSTGRES_URL))
    name = f"{url.database}_server"
    admin = _postgres_admin_engine()
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield url.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def prepared_app(database_url: str) -> Flask:
    """An app on ``database_url`` with the schema migrated and the default dimensions seeded."""
    application = create_app(base_config(database_url))
    with application.app_context():
        upgrade()
        seed_dimensions()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return application
