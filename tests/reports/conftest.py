"""Fixtures of the report tests: a forum with sessions held in October and November 2026."""

from datetime import datetime

import pytest

from tests.conftest import DUSHANBE


@pytest.fixture
def held(create_forum, create_session, create_participant, create_registration):
    """A forum with two sessions held in October and November 2026, one cancelled, and another forum's session."""
    forum = create_forum(title="Discussion Club", kind="discussion_club")
    october = create_session(forum=forum, title="Water", starts_at=datetime(2026, 10, 10, 16, tzinfo=DUSHANBE))
    november = create_session(forum=forum, title="Land", starts_at=datetime(2026, 11, 12, 16, tzinfo=DUSHANBE))
    cancelled = create_session(forum=forum, title="Cancelled", status="cancelled",
                               starts_at=datetime(2026, 11, 20, 16, tzinfo=DUSHANBE))
    other = create_session(title="Elsewhere", starts_at=datetime(2026, 11, 1, 16, tzinfo=DUSHANBE))
    for number in range(6):
        person = create_participant(f"Civil Person{number}", group="civil_society")
        create_registration(october, person, "attended")
        create_registration(cancelled, person, "attended")
    for number in range(5):
        person = create_participant(f"Academic Person{number}", group="academia", gender="man")
        create_registration(november, person, "attended")
        create_registration(other, person, "attended")
    return forum
