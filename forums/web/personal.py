"""Answers about one person (their personal link's pages, a confirmation code, a live display naming speakers).

They are marked so that ``forums.security`` sends them with ``Cache-Control: no-store``, and pages reached
through a personal link also ask search engines not to index them (the link is the only key to them).
"""

from flask import Blueprint, Response, abort, request

from forums.people import links
from models import Participant


def mark_personal() -> None:
    """Mark the answer to this request personal: no cache may keep it."""
    request.personal_data = True  # type: ignore[attr-defined]


def _no_index(response: Response) -> Response:
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def personal_link_pages(bp: Blueprint) -> Blueprint:
    """Make every page of ``bp`` (reached through a personal link) personal and unindexed."""
    bp.before_request(mark_personal)
    bp.after_request(_no_index)
    return bp


def participant_or_404(token: str) -> Participant:
    """The person whose personal link this is, or 404 for an unknown or revoked link."""
    participant = links.resolve(token)
    if participant is None:
        abort(404)
    return participant
