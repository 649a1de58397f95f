"""Weigh the pages participants open, on the demo data, as a slow mobile link would receive them.

Builds a throwaway SQLite database with the demo data, then fetches each page with
``Accept-Encoding: gzip`` and adds the compressed CSS and JavaScript it loads. Exits with 1 when a
page is over the budget (30 KB, issue 5), so it can run in CI next to tests/test_weight.py.

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
from forums.demo import load_demo_data  # noqa: E402
from forums.seed import seed_dimensions  # noqa: E402
from models import ForumSession, Registration, SessionStatus, Visibility, db  # noqa: E402

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
            pages = pages_to_weigh()
            db.engine.dispose()
        client = app.test_client()
        over = False
        print(f"{'page':<16}{'html':>8}{'css+js':>8}{'total':>8}")
        for name, path in pages.items():
            html = client.get(path).get_data(as_text=True)
            assets = sum(wire_size(client, asset) for asset in ASSET.findall(html))
            page = wire_size(client, path)
            over |= page + assets > budget
            print(f"{name:<16}{page:>8}{assets:>8}{page + assets:>8}{'  OVER' if page + assets > budget else ''}")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
