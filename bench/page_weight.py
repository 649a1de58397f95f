"""Weigh every page type, as a slow mobile link would receive it.

Builds a throwaway SQLite database with the demo data and a busy field office's synthetic data
(600 people, 40 sessions of 150 registrations, 2,000 audit entries), then fetches each page with
``Accept-Encoding: gzip`` and adds the compressed CSS and JavaScript it loads: the pages participants
open, anonymously or through their personal link, and the staff pages, as an admin. Exits with 1
when a page is over the budget (30 KB, issue 5), so it can run in CI next to tests/test_weight.py.

    python bench/page_weight.py [--budget 30720]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402  (the path above makes the project importable)

from app import create_app  # noqa: E402
from forums import links  # noqa: E402
from forums.data.demo import load_demo_data  # noqa: E402
from forums.data.synthetic import generate  # noqa: E402
from forums.people.seed import seed_dimensions  # noqa: E402
from models import (  # noqa: E402
    AuditEntry,
    ForumSession,
    Registration,
    Role,
    SessionStatus,
    User,
    Visibility,
    db,
    utcnow,
)

GZIP = {"Accept-Encoding": "gzip"}
ASSET = re.compile(r'<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src)="([^"]+)"')


def wire_size(client, path: str) -> int:
    """Bytes sent for ``path`` to a client that accepts gzip."""
    response = client.get(path, headers=GZIP)
    if response.status_code != 200:
        raise SystemExit(f"{path}: HTTP {response.status_code}")
    return len(response.data)


def pages_to_weigh() -> dict[str, str]:
    """The public index, the busiest public agenda, a personal page and its agenda, the sign-in page."""
    public_sessions = db.session.scalars(
        sa.select(ForumSession)
        .where(ForumSession.visibility == Visibility.public, ForumSession.status == SessionStatus.published)
    ).all()
    public = max(public_sessions, key=lambda each: len(each.agenda))
    registration = db.session.scalars(sa.select(Registration).order_by(Registration.id)).first()
    token = links.issue(registration.participant).token
    db.session.commit()
    return {
        "index": "/",
        "agenda": f"/sessions/{public.id}",
        "personal": f"/p/{token}",
        "personal agenda": f"/p/{token}/sessions/{registration.session_id}",
        "sign-in": "/login",
    }


def staff_pages() -> dict[str, str]:
    """The staff pages over the busiest session, after adding a busy office's data."""
    generate(participants=600, sessions=40, registrations_per_session=150, seed=5)
    now = utcnow()
    db.session.execute(sa.insert(AuditEntry.__table__), [
        {"at": now, "actor": "organiser@example.org", "action": "participant.read", "object_type": "participant",
         "object_id": number, "detail": ""} for number in range(2000)])
    db.session.commit()
    busiest = db.session.scalar(sa.select(Registration.session_id).group_by(Registration.session_id)
                                .order_by(sa.func.count().desc(), Registration.session_id).limit(1))
    return {
        "forum list": "/staff/forums",
        "session list": "/staff/sessions",
        "participants": "/staff/participants",
        "registrations": f"/staff/sessions/{busiest}/registrations",
        "balance": f"/sessions/{busiest}/balance",
        "check-in": f"/sessions/{busiest}/checkin",
        "audit log": "/admin/audit",
        "staff agenda": f"/sessions/{busiest}",
        "forum balance overview": f"/forums/{db.session.get(ForumSession, busiest).forum_id}/balance",
    }


def signed_in_admin(client) -> None:
    """Put an admin's sign-in in the client's cookie (no password round: argon2 is slow by design)."""
    admin = User(email="weigh-admin@example.org", password_hash="not used", role=Role.admin)
    db.session.add(admin)
    db.session.commit()
    now = utcnow().timestamp()
    with client.session_transaction() as stored:
        stored.update({"_user_id": admin.get_id(), "_fresh": True, "signed_in_at": now, "seen": now})


def main() -> int:
    """Print each page's weight; 1 when any is over the budget."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=30 * 1024, help="bytes allowed per page with its assets")
    budget = parser.parse_args().budget
    with tempfile.TemporaryDirectory() as workdir:
        app = create_app({"SECRET_KEY": "bench-" + "x" * 40, "RATELIMIT_ENABLED": False,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/bench.sqlite"})
        with app.app_context():
            upgrade()
            seed_dimensions()
            load_demo_data()
            db.session.commit()
            public = pages_to_weigh()
            staff = staff_pages()
            anonymous, admin = app.test_client(), app.test_client()
            signed_in_admin(admin)
            db.engine.dispose()
        over = False
        print(f"{'page':<24}{'html':>8}{'css+js':>8}{'total':>8}")
        for client, pages in ((anonymous, public), (admin, staff)):
            for name, path in pages.items():
                html = client.get(path).get_data(as_text=True)
                assets = sum(wire_size(client, asset) for asset in ASSET.findall(html))
                page = wire_size(client, path)
                over |= page + assets > budget
                print(f"{name:<24}{page:>8}{assets:>8}{page + assets:>8}{'  OVER' if page + assets > budget else ''}")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
