"""Load benchmark: Dialogue Desk under gunicorn (2 workers) against a bare Flask app, driven by wrk.

    python bench/load.py                                   # temporary SQLite, 10,000 registrations
    python bench/load.py --database-url postgresql://postgres@127.0.0.1:5432/bench_big --no-generate

Prints requests per second, p50 and p99 for the public agenda page, a staff session page, the balance
JSON and the check-in search, each with its ratio to the bare app measured in the same run; opens the
pages that read the most rows once each; prints the peak resident memory of a gunicorn worker over
all that, the machine and its load average, and EXPLAIN for every query behind the four targets.
Needs Debian's ``wrk``. Every server it starts listens on 127.0.0.1 and is stopped at the end.
"""

import argparse
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forums.database import normalise_database_url  # noqa: E402  (the path above makes the project importable)

#: issue 13: both cached targets at 0.35 of the bare app, answered through Flask's routing, sign-in and hooks
GOALS = {"agenda page": 0.35, "balance JSON": 0.35}
ADMIN_EMAIL = "bench-admin@example.org"


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flask_cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run ``flask --app app ARGS`` and return its standard output."""
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, check=True)
    return done.stdout


def start_gunicorn(target: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """gunicorn with 2 sync workers on loopback, ready when it answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         target], cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{target} did not start on port {port}")


def worker_pids(master: subprocess.Popen[bytes]) -> list[int]:
    """The gunicorn workers of a master process."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


class MemoryWatch(threading.Thread):
    """Samples the resident memory of the app's workers and keeps the peak (MB)."""

    def __init__(self, master: subprocess.Popen[bytes]) -> None:
        super().__init__(daemon=True)
        self.master = master
        self.peak_mb = 0.0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            for pid in worker_pids(self.master):
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                match = re.search(r"VmRSS:\s+(\d+) kB", status)
                if match:
                    self.peak_mb = max(self.peak_mb, int(match.group(1)) / 1024)
            self.stopped.wait(0.25)


def wrk(url: str, duration: int, connections: int, headers: dict[str, str]) -> dict[str, float]:
    """Requests per second, p50 and p99 in milliseconds, and non-2xx count from one wrk run."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url]
    for name, value in headers.items():
        command[1:1] = ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def latency(percent: str) -> float:
        value, unit = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
            "p50": latency("50"), "p99": latency("99"), "errors": int(errors.group(1)) if errors else 0}


def staff_cookie(base: str, email: str, password: str) -> str:
    """Sign in through the login form (with its CSRF token) and return the session cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": password}).encode()
    opener.open(base + "/login", data=body)
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def open_heavy_pages(base: str, session_id: int, cookie: str, bearer: dict[str, str]) -> list[str]:
    """Open once each the pages that read the most rows (register, lists, forum overview, audit), while
    the memory watch runs; returns "path: status, seconds" lines."""
    forum_id = json.load(urllib.request.urlopen(urllib.request.Request(
        f"{base}/api/v1/sessions/{session_id}", headers=bearer)))["forum_id"]
    pages = [(path, {"Cookie": cookie}) for path in (
        "/staff/participants", "/staff/sessions", f"/staff/sessions/{session_id}/registrations",
        f"/forums/{forum_id}/balance", f"/sessions/{session_id}/balance", f"/sessions/{session_id}/checkin",
        "/admin/audit")]
    pages += [(path, bearer) for path in (f"/api/v1/sessions/{session_id}/registrations", "/api/v1/audit",
                                          "/api/v1/sessions", f"/api/v1/sessions/{session_id}/checkin")]
    lines = []
    for path, headers in pages:
        started = time.monotonic()
        with urllib.request.urlopen(urllib.request.Request(base + path, headers=headers)) as response:
            size = len(response.read())
            lines.append(f"  {path}: {response.status}, {size} bytes, {time.monotonic() - started:.2f} s")
    return lines


def prepare(env: dict[str, str], generate: bool, participants: int, sessions: int, per_session: int) -> tuple[str, str]:
    """Schema, data, a staff user and a token; returns (password, token)."""
    flask_cli(env, "init-db")
    if generate:
        print(flask_cli(env, "generate-data", "--participants", str(participants), "--sessions", str(sessions),
                        "--registrations-per-session", str(per_session), "--seed", "7").strip())
    email, password = ADMIN_EMAIL, "bench passphrase that is long"
    try:
        flask_cli(env, "create-user", email, "--role", "admin", "--password-stdin", stdin=password + "\n")
    except subprocess.CalledProcessError as error:
        if "already exists" not in error.stderr:
            raise
    return password, flask_cli(env, "create-token", email).strip()


def pick_session(env: dict[str, str]) -> int:
    """A published public session with registrations, chosen in a subprocess on the app's database."""
    code = ("from app import create_app;import sqlalchemy as sa;from models import *;a=create_app()\n"
            "with a.app_context():\n"
            " print(db.session.scalar(sa.select(ForumSession.id).where(ForumSession.visibility=='public',"
            "ForumSession.status=='published').where(ForumSession.id.in_(sa.select(Registration.session_id)))"
            ".order_by(ForumSession.id).limit(1)))")
    return int(subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                              check=True).stdout.strip())


def explain_targets(env: dict[str, str], session_id: int, token: str) -> str:
    """EXPLAIN of every SELECT behind the targets (bench/explain.py), balance report included."""
    return subprocess.run([sys.executable, str(ROOT / "bench" / "explain.py"), str(session_id), token, ADMIN_EMAIL],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout


def analyze(database_url: str) -> None:
    """Fresh planner statistics on PostgreSQL: a bulk load leaves none, and plans go wrong without them."""
    if not database_url.startswith("postgres"):
        return
    engine = sa.create_engine(normalise_database_url(database_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()


def machine() -> str:
    """CPU model, core count and the load average right now."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown CPU")
    return f"{model}, {os.cpu_count()} cores, load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}"


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL or SQLite URL (default: a new temporary SQLite file)")
    parser.add_argument("--no-generate", action="store_true", help="use the data already in the database")
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--registrations-per-session", type=int, default=100)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="dd-bench-")
    env = {**os.environ, "FLASK_SECRET_KEY": "bench-" + "k" * 40,
           "DATABASE_URL": args.database_url or f"sqlite:///{workdir}/bench.sqlite",
           "FLASK_LOGIN_RATE_LIMIT": "1000 per minute"}
    password, token = prepare(env, not args.no_generate, args.participants, args.sessions,
                              args.registrations_per_session)
    analyze(env["DATABASE_URL"])
    session_id = pick_session(env)
    app_port, bare_port = free_port(), free_port()
    app_server = start_gunicorn("wsgi:app", app_port, env)
    bare_server = start_gunicorn("bench.bare_app:app", bare_port, env)
    memory = MemoryWatch(app_server)
    memory.start()
    try:
        base = f"http://127.0.0.1:{app_port}"
        cookie = staff_cookie(base, ADMIN_EMAIL, password)
        bearer = {"Authorization": f"Bearer {token}"}
        targets = [
            ("agenda page", f"{base}/sessions/{session_id}", {}),
            ("staff session page", f"{base}/sessions/{session_id}", {"Cookie": cookie}),
            ("balance JSON", f"{base}/api/v1/sessions/{session_id}/balance?stage=registered", bearer),
            ("check-in search", f"{base}/api/v1/sessions/{session_id}/checkin?q=ra", bearer),
        ]
        bare = wrk(f"http://127.0.0.1:{bare_port}/", args.duration, args.connections, {})
        print(f"\ndatabase: {env['DATABASE_URL'].split('@')[-1]}   session {session_id}   "
              f"wrk -t2 -c{args.connections} -d{args.duration}s, gunicorn --workers 2")
        print(f"machine before: {machine()}")
        print(f"{'target':22} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'ratio':>6}  goal")
        print(f"{'bare Flask':22} {bare['rps']:9.1f} {bare['p50']:8.2f} {bare['p99']:8.2f} "
              f"{bare['errors']:8d} {1:6.2f}")
        for name, url, headers in targets:
            result = wrk(url, args.duration, args.connections, headers)
            ratio = result["rps"] / bare["rps"]
            goal = GOALS.get(name)
            verdict = "" if goal is None else f">= {goal} {'met' if ratio >= goal else 'NOT met'}"
            print(f"{name:22} {result['rps']:9.1f} {result['p50']:8.2f} {result['p99']:8.2f} "
                  f"{result['errors']:8d} {ratio:6.2f}  {verdict}")
        print(f"machine after:  {machine()}")
        print("\nthe pages that read the most rows, once each:")
        print("\n".join(open_heavy_pages(base, session_id, cookie, bearer)))
        time.sleep(1)  # a last memory sample after the heaviest page
        memory.stopped.set()
        memory.join()
        print(f"\npeak resident memory of one app worker (wrk runs and those pages): {memory.peak_mb:.1f} MB "
              "(goal < 150 MB)")
        print("\nEXPLAIN of the queries behind each target (the balance report's four included):")
        print(explain_targets(env, session_id, token))
    finally:
        memory.stopped.set()
        for server in (app_server, bare_server):
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
