"""The number of SQL queries of each staff list page does not grow with the number of rows."""

from datetime import timedelta

import pytest

from forums.people.names import search_key
from models import (
    Forum,
    ForumKind,
    ForumSession,
    Participant,
    ParticipantCategory,
    Registration,
    RegistrationStatus,
    db,
)
from tests.conftest import category, dushanbe_time
from tests.conftest import sign_in_without_password as sign_in

GROUPS = ("government", "uto", "media", "business")
REGIONS = ("dushanbe", "kulyab", "hissar")


def add_forums(n):
    db.session.add_all(Forum(title=f"Forum {i}", kind=list(ForumKind)[i % 5]) for i in range(n))


def add_sessions(n):
    forums = [Forum(title=f"Forum of {i}", kind=ForumKind.seminar) for i in range(2)]
    for i in range(n):
        starts = dushanbe_time(1) + timedelta(days=i)
        db.session.add(ForumSession(forum=forums[i % 2], title=f"Session {i}", capacity=10, starts_at=starts,
                                    ends_at=starts + timedelta(hours=2),
                                    region=category("region", REGIONS[i % len(REGIONS)])))


def add_people(n, start=0):
    people = []
    for i in range(start, start + n):
        person = Participant(name=f"Person {i}", search_key=search_key(f"Person {i}"))
        for dimension, key in (("group", GROUPS[i % len(GROUPS)]), ("region", REGIONS[i % len(REGIONS)]),
                               ("gender", ("woman", "man")[i % 2])):
            chosen = category(dimension, key)
            person.categories.append(ParticipantCategory(dimension_id=chosen.dimension_id, category_id=chosen.id))
        people.append(person)
    db.session.add_all(people)
    return people


def add_registrations(forum_session, n, start=0):
    statuses = list(RegistrationStatus)
    for i, person in enumerate(add_people(n, start)):
        db.session.add(Registration(forum_session=forum_session, participant=person,
                                    status=statuses[i % len(statuses)]))


@pytest.mark.parametrize("page", ["forums", "sessions", "participants", "registrations"])
def test_list_pages_run_as_many_queries_for_60_rows_as_for_5(client, create_user, create_session, count_queries, page):
    sign_in(client, create_user("organiser"))
    forum_session = create_session(capacity=500) if page == "registrations" else None
    fill = {
        "forums": add_forums,
        "sessions": add_sessions,
        "participants": add_people,
        "registrations": lambda n: add_registrations(forum_session, n, start=1000 * n),
    }[page]
    url = (f"/staff/sessions/{forum_session.id}/registrations" if forum_session
           else f"/staff/{page}")

    def queries_with(rows):
        fill(rows)
        db.session.commit()
        with count_queries() as counted:
            response = client.get(url)
        assert response.status_code == 200
        return counted()

    few = queries_with(5)
    many = queries_with(55)
    assert many == few
