"""The forum balance overview at scale: the session table is paged, the forum-wide parts are not."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from forums.balance import queries as balance_queries
from forums.web.paging import PER_PAGE
from models import ForumSession, Registration, RegistrationStatus, db, utcnow
from tests.conftest import category, dushanbe_time
from tests.test_weight import PAGE_BUDGET, page_weight

SESSIONS = 120
#: sessions at which nobody has been checked in yet, at the end of the forum
NOT_YET_HELD = 4
#: the one session that national minorities attended (on the first page)
MINORITIES_AT = 5
#: the one session that academia attended (on the last page, and among the latest with check-ins)
ACADEMIA_AT = 110


def title(number: int) -> str:
    return f"Session {number:03d}"


@pytest.fixture
def organiser(create_user, login):
    return login(create_user("organiser"))


@pytest.fixture
def big_forum(create_forum, create_participant):
    """120 sessions a day apart; each held one has 3 government, 2 civil society and 1 UTO people
    checked in and 4 media people invited (media never come), minorities came once, academia once."""
    forum = create_forum(title="Dialogue across the regions")
    dushanbe = category("region", "dushanbe")
    sessions = [ForumSession(forum_id=forum.id, title=title(number), capacity=50,
                             starts_at=dushanbe_time(1) + timedelta(days=number),
                             ends_at=dushanbe_time(1) + timedelta(days=number, hours=3),
                             region=dushanbe)
                for number in range(SESSIONS)]
    db.session.add_all(sessions)
    db.session.commit()
    attending = ([create_participant(f"Official {n}", group="government", gender="man") for n in range(3)]
                 + [create_participant(f"Activist {n}", group="civil_society") for n in range(2)]
                 + [create_participant("Veteran", group="uto", region="kulyab", gender="man")])
    press = [create_participant(f"Journalist {n}", group="media") for n in range(4)]
    minority = create_participant("Teacher", group="minorities", region="hissar")
    scholar = create_participant("Scholar", group="academia")
    now = utcnow()

    def row(number, person, status):
        return {"session_id": sessions[number].id, "participant_id": person.id, "status": status,
                "created_at": now, "updated_at": now}

    rows = []
    for number in range(SESSIONS):
        held = number < SESSIONS - NOT_YET_HELD
        rows += [row(number, person, RegistrationStatus.attended if held else RegistrationStatus.registered)
                 for person in attending]
        rows += [row(number, person, RegistrationStatus.invited) for person in press]
    rows += [row(MINORITIES_AT, minority, RegistrationStatus.attended),
             row(ACADEMIA_AT, scholar, RegistrationStatus.attended)]
    db.session.execute(sa.insert(Registration.__table__), rows)
    db.session.commit()
    return forum


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def session_rows(response) -> list[str]:
    """Titles of the sessions the page's session table lists, in order."""
    return [cell.a.get_text(strip=True) for cell in soup(response).select("table.forum-sessions tbody th")]


def trend_columns(response) -> list[str]:
    """Titles of the sessions the first trend table has a column for, in order."""
    return [small.get_text(strip=True) for small in soup(response).select("table.trend")[0].select("thead small")]


def test_the_first_page_lists_the_first_sessions_in_date_order_and_links_the_next(big_forum, organiser):
    response = organiser.get(f"/forums/{big_forum.id}/balance")

    assert response.status_code == 200
    assert session_rows(response) == [title(number) for number in range(PER_PAGE)]
    pager = soup(response).select_one("nav.pager")
    assert pager.select_one("a[rel=next]")["href"] == f"/forums/{big_forum.id}/balance?page=2"
    assert pager.select_one("a[rel=prev]") is None
    assert "120 sessions" in soup(response).get_text(" ")


def test_the_last_page_lists_the_rest(big_forum, organiser):
    last = -(-SESSIONS // PER_PAGE)
    response = organiser.get(f"/forums/{big_forum.id}/balance?page={last}")

    assert session_rows(response) == [title(number) for number in range((last - 1) * PER_PAGE, SESSIONS)]
    pager = soup(response).select_one("nav.pager")
    assert pager.select_one("a[rel=next]") is None
    assert pager.select_one("a[rel=prev]")["href"] == f"/forums/{big_forum.id}/balance?page={last - 1}"


@pytest.mark.parametrize("bad", ["abc", "0", "-3", ""])
def test_a_nonsense_page_number_shows_the_first_page_as_the_session_list_does(big_forum, organiser, bad):
    response = organiser.get(f"/forums/{big_forum.id}/balance?page={bad}")

    assert response.status_code == 200
    assert session_rows(response) == [title(number) for number in range(PER_PAGE)]


def test_a_page_past_the_end_lists_no_sessions_but_keeps_the_forum_wide_parts(big_forum, organiser):
    response = organiser.get(f"/forums/{big_forum.id}/balance?page=99")

    assert response.status_code == 200
    assert session_rows(response) == []
    html = soup(response)
    assert "There are no sessions on this page." in html.get_text(" ")
    assert html.find("a", string="First page")["href"] == f"/forums/{big_forum.id}/balance"
    assert "Media" in html.select_one("ul.never-present").get_text(" ")
    assert title(ACADEMIA_AT) in trend_columns(response)


def test_who_came_first_and_who_never_came_count_sessions_on_other_pages(big_forum, organiser):
    last_page = organiser.get(f"/forums/{big_forum.id}/balance?page=3")
    assert title(MINORITIES_AT) not in session_rows(last_page)

    never = soup(last_page).select_one("ul.never-present").get_text(" ")
    assert "Media" in never and "Internal opposition" in never  # invited every time, or never there
    assert "National minorities" not in never and "Hissar" not in never  # they came once, on page 1
    firsts = {" ".join(item.get_text(" ").split()) for item in soup(last_page).select("ul.first-present li")}
    assert any(f"“{title(MINORITIES_AT)}”: National minorities, Hissar" in item for item in firsts)
    assert any(f"“{title(0)}”: Government" in item for item in firsts)


def test_the_trend_shows_the_latest_sessions_with_check_ins_whatever_the_page(big_forum, organiser):
    first_page = organiser.get(f"/forums/{big_forum.id}/balance")
    held = SESSIONS - NOT_YET_HELD
    latest = [title(number) for number in range(held - balance_queries.TREND_SESSIONS, held)]

    assert title(ACADEMIA_AT) not in session_rows(first_page)
    assert trend_columns(first_page) == latest  # sessions not yet held are left out
    group = soup(first_page).select("table.trend")[0]
    academia = next(row for row in group.select("tbody tr") if "Academia" in row.th.get_text())
    shares = [cell.get_text(strip=True) for cell in academia.select("td")]
    assert shares[latest.index(title(ACADEMIA_AT))] == "14.29%"  # 1 of the 7 checked in at that session
    assert shares.count("0%") == len(latest) - 1
    scope = soup(first_page).select_one("p.trend-scope").get_text(" ")
    assert f"latest {balance_queries.TREND_SESSIONS} of the {held} sessions" in " ".join(scope.split())


def test_a_forum_of_few_sessions_shows_every_held_one_in_its_trend(create_forum, create_session, create_participant,
                                                                     organiser):
    forum = create_forum()
    held = create_session(forum=forum, title="Held")
    create_session(forum=forum, title="Coming", starts_at=dushanbe_time(20))
    db.session.add(Registration(forum_session=held, participant=create_participant(),
                                status=RegistrationStatus.attended))
    db.session.commit()

    response = organiser.get(f"/forums/{forum.id}/balance")

    assert session_rows(response) == ["Held", "Coming"] and soup(response).select_one("nav.pager") is None
    assert trend_columns(response) == ["Held"]
    assert "every session at which anyone was checked in" in soup(response).select_one("p.trend-scope").get_text()


def test_the_queries_do_not_grow_with_the_sessions(big_forum, create_forum, create_session, organiser, count_queries):
    small = create_forum(title="Small")
    create_session(forum=small)
    organiser.get(f"/forums/{small.id}/balance")  # the first request of a client loads more (the signed-in user)

    with count_queries() as few:
        organiser.get(f"/forums/{small.id}/balance")
    with count_queries() as many:
        organiser.get(f"/forums/{big_forum.id}/balance?page=2")
    assert few() == many()


def test_the_page_with_its_css_and_js_weighs_at_most_30_kb_compressed(big_forum, organiser):
    assert page_weight(organiser, f"/forums/{big_forum.id}/balance") <= PAGE_BUDGET
