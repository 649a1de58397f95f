"""Floor benchmark (issue 15 item 8): facilitator actions under 200 polling projectors, on PostgreSQL.

    createdb dd_floor_bench
    python bench/floor_bench.py --database-url postgresql://postgres@127.0.0.1:5432/dd_floor_bench

One session with 40 people checked in and one list of speakers ordered by the balance of groups (the costliest
policy: it weighs time spoken against attendance). The app runs under gunicorn (the same settings as
``bench/load.py``: 2 sync workers), and so does the bare Flask app of ``bench/bare_app.py``.

1. **Baseline, same run**: while 200 projector pollers ask the app for the list's state once a second
   (``If-None-Match``, as ``static/floor.js`` does), 10 "phones" send requests to the bare app; their
   latency is the baseline the figures below are divided by. The pollers run in a process of their own, so
   that their threads do not hold up the phones' measurements.
2. **Facilitator actions**: the same 200 pollers; 10 phones, each signed in as a facilitator of the session,
   poll their page's live part once a second and take turns acting, one action a second across them
   (add a request by categories, next, pause, start again, stop), as the page's script sends them
   (``Accept: application/json``). Their p50/p99 latency.
3. **Seen on every screen**: for every action, the time from the moment the phone sent it until each poller
   first showed its state (or a later one); the worst over all pollers and actions is what "within 2 s" is about.
4. **Cost per request, in process** (no network, no other client competing): each kind of request through
   the app's test client, against the bare app's in the same run. This is what decides how many projectors
   and phones a machine serves, whatever else runs on it; phases 1-3 depend on the machine's load.

Every server it starts listens on 127.0.0.1 and is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import flask_cli, free_port, machine, start_gunicorn  # noqa: E402

PHONES = 10
POLLERS = 200
POLL_SECONDS = 1.0
#: one facilitator action a second across the phones: a new speaker every five seconds, a very busy floor
ACTION_SECONDS = 1.0
#: the actions in turn: a request comes in, the next speaker gets the floor, pauses, resumes, stops
CYCLE = ("add", "next", "pause", "start", "stop")
PASSWORD = "bench floor password 2026"
#: people checked in at the session (group categories round-robin)
PEOPLE = 40


def prepare(env: dict[str, str]) -> tuple[int, int, str, list[str]]:
    """Schema, one session with people checked in, facilitators, one list and a display token."""
    flask_cli(env, "init-db")
    os.environ.update(env)
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa

    from app import create_app
    from forums.floor import operations
    from forums.people.names import search_key
    from forums.security import hash_password
    from models import (
        Category,
        Dimension,
        Forum,
        ForumKind,
        ForumSession,
        Participant,
        ParticipantCategory,
        Registration,
        RegistrationStatus,
        Role,
        SessionFacilitator,
        SessionStatus,
        User,
        Visibility,
        db,
    )

    app = create_app()
    with app.app_context():
        groups = list(db.session.scalars(sa.select(Category).join(Dimension).where(Dimension.key == "group")))
        region = db.session.scalars(sa.select(Category).join(Dimension).where(Dimension.key == "region")).first()
        forum = Forum(title="Floor bench", kind=ForumKind.round_table)
        starts = datetime.now(UTC) + timedelta(days=30)
        forum_session = ForumSession(forum=forum, title="Floor bench session", starts_at=starts,
                                     ends_at=starts + timedelta(hours=3), capacity=PEOPLE, region=region,
                                     visibility=Visibility.invitation, status=SessionStatus.published)
        db.session.add(forum_session)
        for number in range(PEOPLE):
            name = f"Bench Person {number}"
            person = Participant(name=name, search_key=search_key(name))
            group = groups[number % len(groups)]
            person.categories.append(ParticipantCategory(dimension_id=group.dimension_id, category_id=group.id))
            db.session.add(Registration(forum_session=forum_session, participant=person,
                                        status=RegistrationStatus.attended))
        password_hash = hash_password(PASSWORD)
        emails = []
        for number in range(PHONES):
            email = f"floor-phone-{number}-{int(time.time())}@example.org"
            user = User(email=email, password_hash=password_hash, role=Role.facilitator)
            db.session.add(user)
            db.session.flush()
            db.session.add(SessionFacilitator(session_id=forum_session.id, user_id=user.id))
            emails.append(email)
        db.session.flush()
        floor_list = operations.open_list(forum_session, None)
        # the costliest order: balance weighs the time spoken against the attendance per group
        operations.configure(floor_list, policy="balance", dimension_key="group", alternate=("", ""),
                             speech_seconds=180)
        token = operations.create_display(floor_list, hide_labels=False)
        db.session.commit()
        return forum_session.id, floor_list.id, token, emails


class Phone:
    """A facilitator's phone: a signed-in cookie and the page's CSRF token, one keep-alive-less request at a time."""

    def __init__(self, port: int, email: str, session_id: int, list_id: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        page = self.request("GET", "/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        self.request("POST", "/login", {"csrf_token": token, "email": email, "password": PASSWORD})
        self.base = f"/sessions/{session_id}/floor/{list_id}"
        page = self.request("GET", self.base)
        self.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def request(self, method: str, path: str, form: dict[str, str] | None = None,
                accept: str = "text/html") -> str:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Accept": accept, "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        connection.close()
        if response.status >= 400 and response.status != 409:
            raise RuntimeError(f"{method} {path}: {response.status} {text[:200]}")
        return text

    def act(self, action: str) -> float:
        """One action as the page's script sends it; returns its latency in milliseconds."""
        form = {"csrf_token": self.csrf}
        if action == "add":
            form.update({"kind": "contribution", "category-group": "uto"})
        began = time.perf_counter()
        self.request("POST", f"{self.base}/{action}", form, accept="application/json")
        return (time.perf_counter() - began) * 1000


class Pollers:
    """``POLLERS`` projector screens, each asking for the state once a second with its last ETag.

    They run in a process of their own: 200 client threads sharing one interpreter lock with the phones
    would add their own waiting to the phones' measured latency, which is the server's to answer for.
    """

    def __init__(self, port: int, path: str) -> None:
        self.port, self.path = port, path
        context = multiprocessing.get_context("fork")
        self.stopped = context.Event()
        self.receiver, self.sender = context.Pipe(duplex=False)
        self.process = context.Process(target=self.run_all, daemon=True)
        #: per poller, (time first seen, stamp) of every stamp it saw (filled in by ``stop``)
        self.seen: list[list[tuple[float, str]]] = []
        self.latencies: list[float] = []
        self.errors = 0

    def start(self) -> None:
        self.process.start()

    def run_all(self) -> None:
        """In the child process: every screen in a thread until told to stop, then the results to the parent."""
        seen: list[list[tuple[float, str]]] = [[] for _ in range(POLLERS)]
        latencies: list[float] = []
        errors = [0]
        # the screens wait on an event of this process; the one shared with the parent is waited on once
        stopped = threading.Event()
        threads = [threading.Thread(target=self.run, args=(stopped, seen[index], latencies, errors), daemon=True)
                   for index in range(POLLERS)]
        for thread in threads:
            thread.start()
            time.sleep(POLL_SECONDS / POLLERS)  # spread the screens over the second
        self.stopped.wait()
        stopped.set()
        for thread in threads:
            thread.join()
        self.sender.send((seen, latencies, errors[0]))

    def run(self, stopped: threading.Event, seen: list[tuple[float, str]], latencies: list[float],
            errors: list[int]) -> None:
        etag = None
        next_at = time.monotonic()
        while not stopped.is_set():
            headers = {"If-None-Match": etag} if etag else {}
            began = time.perf_counter()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                connection.request("GET", self.path, headers=headers)
                response = connection.getresponse()
                body = response.read()
                connection.close()
            except OSError:
                errors[0] += 1
                continue
            latencies.append((time.perf_counter() - began) * 1000)
            if response.status == 200:
                etag = response.getheader("ETag")
                seen.append((time.monotonic(), json.loads(body)["stamp"]))
            elif response.status != 304:
                errors[0] += 1
            next_at += POLL_SECONDS
            stopped.wait(max(0.0, next_at - time.monotonic()))

    def stop(self) -> None:
        self.stopped.set()
        self.seen, self.latencies, self.errors = self.receiver.recv()
        self.process.join()


def seen_delays(sent: list[tuple[str, float, str]],
                screens: list[list[tuple[float, str]]]) -> dict[str, list[float | None]]:
    """Per action, milliseconds from its sending until each screen showed it or a later state (None: never).

    A screen that polls once a second can skip a state the next action replaced within that second: then the
    later state it saw counts, which is at least as late. A state older than the action never counts.
    """
    order = {stamp: index for index, (_action, _began, stamp) in enumerate(sent)}
    delays: dict[str, list[float | None]] = {action: [] for action in CYCLE}
    for index, (action, began, _stamp) in enumerate(sent):
        for screen in screens:
            first = next((at for at, seen_stamp in screen if order.get(seen_stamp, -1) >= index), None)
            delays[action].append(None if first is None else (first - began) * 1000)
    return delays


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def bare_phase(port: int, seconds: float) -> list[float]:
    """``PHONES`` threads sending requests to the bare app for ``seconds``, one every 0.3 s each."""
    latencies: list[float] = []

    def phone() -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            began = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/")
            connection.getresponse().read()
            connection.close()
            latencies.append((time.perf_counter() - began) * 1000)
            time.sleep(0.3)

    threads = [threading.Thread(target=phone) for _ in range(PHONES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def floor_phase(phones: list[Phone], actions: int, state_path: str,
                port: int) -> tuple[dict[str, list[float]], list[tuple[str, float, str]]]:
    """A busy floor: every phone polls its page's live part once a second (``If-None-Match``, as the page's
    script does), and the phones take turns acting, one action every ``ACTION_SECONDS``, in the order of
    ``CYCLE``. Returns latencies per action and, for every action, its name, when it was sent and the list's
    stamp right after it (each action changes what the projector shows)."""
    latencies: dict[str, list[float]] = {action: [] for action in CYCLE}
    latencies["live poll"] = []
    sent: list[tuple[str, float, str]] = []
    stopped = threading.Event()

    def stamp_now() -> str:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", state_path)
        stamp = json.loads(connection.getresponse().read())["stamp"]
        connection.close()
        return stamp

    def poll_live(phone: Phone) -> None:
        etag = None
        while not stopped.is_set():
            began = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in phone.cookies.items())}
            if etag:
                headers["If-None-Match"] = etag
            connection.request("GET", f"{phone.base}/live", headers=headers)
            response = connection.getresponse()
            response.read()
            etag = response.getheader("ETag") or etag
            connection.close()
            latencies["live poll"].append((time.perf_counter() - began) * 1000)
            stopped.wait(POLL_SECONDS)

    pollers = [threading.Thread(target=poll_live, args=(phone,)) for phone in phones]
    for thread in pollers:
        thread.start()
    next_at = time.monotonic()
    for number in range(actions):
        phone, action = phones[number % len(phones)], CYCLE[number % len(CYCLE)]
        began = time.monotonic()
        latencies[action].append(phone.act(action))
        sent.append((action, began, stamp_now()))
        next_at += ACTION_SECONDS
        time.sleep(max(0.0, next_at - time.monotonic()))
    stopped.set()
    for thread in pollers:
        thread.join()
    return latencies, sent


def in_process_costs(session_id: int, list_id: int, token: str, email: str, repeat: int = 300) -> None:
    """Phase 4: milliseconds per request of each kind through the test client, against the bare app's."""
    import flask

    from app import create_app
    from bench.bare_app import app as bare_app
    from forums.database import normalise_database_url
    from models import User, db

    # the in-process client sends no CSRF token; everything else as served
    app = create_app({"WTF_CSRF_ENABLED": False, "SECRET_KEY": os.environ["FLASK_SECRET_KEY"],
                      "SQLALCHEMY_DATABASE_URI": normalise_database_url(os.environ["DATABASE_URL"])})
    phone = app.test_client()
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        assert user is not None
        user_key = user.get_id()
    with phone.session_transaction() as stored:
        now = time.time()
        stored.update({"_user_id": user_key, "_fresh": True, "signed_in_at": now, "seen": now})
    screen = app.test_client()
    state = f"/floor/display/{token}/state.json"
    base = f"/sessions/{session_id}/floor/{list_id}"
    etag = screen.get(state).headers["ETag"]
    live_etag = phone.get(f"{base}/live").headers["ETag"]
    json_accept = {"Accept": "application/json"}

    def timed(client: flask.testing.FlaskClient, method: str, path: str, **kwargs: object) -> list[float]:
        values = []
        for _ in range(repeat):
            began = time.perf_counter()
            client.open(path, method=method, **kwargs)
            values.append((time.perf_counter() - began) * 1000)
        return values

    bare = timed(bare_app.test_client(), "GET", "/")
    rows = [("bare Flask (baseline)", bare),
            ("projector poll, 304", timed(screen, "GET", state, headers={"If-None-Match": etag})),
            ("projector poll, 200 (kept)", timed(screen, "GET", state)),
            ("phone live part, 304", timed(phone, "GET", f"{base}/live", headers={"If-None-Match": live_etag})),
            ("phone live part, 200", timed(phone, "GET", f"{base}/live"))]
    actions: dict[str, list[float]] = {action: [] for action in CYCLE}
    for _ in range(repeat // 10):
        for action in CYCLE:
            began = time.perf_counter()
            phone.post(f"{base}/{action}", headers=json_accept,
                       data={"kind": "contribution", "category-group": "uto"} if action == "add" else {})
            actions[action].append((time.perf_counter() - began) * 1000)
    rows += [(f"action {name}", values) for name, values in actions.items()]
    base_mean = statistics.mean(bare)
    print(f"\nin process, {repeat} requests each ({repeat // 10} per action):")
    print(f"{'request':28} {'mean ms':>8} {'p99 ms':>8} {'mean / bare':>12} {'per core /s':>12}")
    for name, values in rows:
        mean = statistics.mean(values)
        print(f"{name:28} {mean:8.2f} {percentile(values, 0.99):8.2f} {mean / base_mean:12.1f} {1000 / mean:12.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="PostgreSQL URL of an empty database")
    parser.add_argument("--actions", type=int, default=100, help="facilitator actions, one every second")
    args = parser.parse_args()
    env = {**os.environ, "FLASK_SECRET_KEY": "bench-" + "k" * 40, "DATABASE_URL": args.database_url,
           "FLASK_LOGIN_RATE_LIMIT": "1000 per minute"}
    session_id, list_id, token, emails = prepare(env)
    app_port, bare_port = free_port(), free_port()
    app_server = start_gunicorn("wsgi:app", app_port, env)
    bare_server = start_gunicorn("bench.bare_app:app", bare_port, env)
    state_path = f"/floor/display/{token}/state.json"
    try:
        phones = [Phone(app_port, email, session_id, list_id) for email in emails]
        print(f"machine before: {machine()}")
        pollers = Pollers(app_port, state_path)
        pollers.start()
        time.sleep(3)
        bare = bare_phase(bare_port, 10)
        latencies, sent = floor_phase(phones, args.actions, state_path, app_port)
        time.sleep(2 * POLL_SECONDS + 1)
        pollers.stop()
        print(f"machine after:  {machine()}")
        delays = seen_delays(sent, pollers.seen)
        base_p50, base_p99 = percentile(bare, 0.5), percentile(bare, 0.99)
        print(f"\n{POLLERS} pollers every {POLL_SECONDS:.0f} s, {PHONES} phones, gunicorn --workers 2 (sync), "
              f"{args.database_url.split('@')[-1]}, list ordered by balance of groups")
        print(f"{'requests':28} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'p99 / bare p99':>15}")
        print(f"{'bare Flask (baseline)':28} {len(bare):6d} {base_p50:8.1f} {base_p99:8.1f} {1:15.2f}")
        everything = [value for name, values in latencies.items() if name != "live poll" for value in values]
        for name, values in (*latencies.items(), ("all facilitator actions", everything),
                             ("projector polls", pollers.latencies)):
            p99 = percentile(values, 0.99)
            print(f"{name:28} {len(values):6d} {percentile(values, 0.5):8.1f} {p99:8.1f} {p99 / base_p99:15.2f}")
        everywhere = [delay for values in delays.values() for delay in values if delay is not None]
        missed = sum(1 for values in delays.values() for delay in values if delay is None)
        print(f"\nseen on every screen: {len(everywhere)} (screen, action) pairs, {missed} never seen")
        print(f"{'after':28} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'worst ms':>9}")
        for name, values in (*delays.items(), ("every action", everywhere)):
            found = [delay for delay in values if delay is not None]
            print(f"{name:28} {len(found):6d} {percentile(found, 0.5):8.0f} {percentile(found, 0.99):8.0f} "
                  f"{max(found, default=float('nan')):9.0f}")
        print(f"every screen within 2000 ms: {'met' if not missed and max(everywhere) < 2000 else 'NOT met'}")
        print(f"poll errors: {pollers.errors}")
        verdict = percentile(everything, 0.99) < 100
        print(f"facilitator p99 under 100 ms: {'met' if verdict else 'NOT met'}")
        in_process_costs(session_id, list_id, token, emails[0])
    finally:
        for server in (app_server, bare_server):
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:  # a worker stuck behind the load: leave nothing running
                server.kill()
                server.wait()


if __name__ == "__main__":
    main()
