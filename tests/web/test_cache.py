"""Kept agendas and balance reports (forums.web.cache).

The same bytes and headers as the normal path, never stale, never to the wrong caller.
"""

import gzip
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import (
    Flask,
    before_render_template,
    render_template_string,
    template_rendered,
)
from sqlalchemy.orm import InstrumentedAttribute

from app import create_app
from forums.balance import queries as balance_queries
from forums.registrations.operations import register
from forums.sessions import queries as session_queries
from forums.sessions import stamps
from forums.web.cache import Caches, StampedCache, caches
from models import (
    AgendaItem,
    AgendaKind,
    AgendaSpeaker,
    ApiToken,
    Category,
    Forum,
    ForumSession,
    Participant,
    Registration,
    RegistrationStatus,
    Role,
    SessionFacilitator,
    User,
    db,
    utcnow,
)
from tests.conftest import CommittingClient, category

GZIP = {"Accept-Encoding": "gzip"}
RUSSIAN = {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}


def cache_of(app: Flask) -> Caches:
    """The test app's kept copies."""
    return caches(app)


class FlaskCalls:
    """Counts the pages and reports made anew: the requests a kept copy did not answer."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        inner = StampedCache.get

        def counting(cache: StampedCache[Any, Any], key: Hashable, stamp: Hashable, make: Callable[[], Any]) -> Any:
            def counted() -> Any:
                self.count += 1
                return make()

            return inner(cache, key, stamp, counted)

        monkeypatch.setattr(StampedCache, "get", counting)


@pytest.fixture
def flask_calls(monkeypatch: pytest.MonkeyPatch) -> FlaskCalls:
    """How many pages and reports were made instead of taken from a kept copy."""
    return FlaskCalls(monkeypatch)


@pytest.fixture
def agenda(create_session, create_participant) -> ForumSession:
    """A published public session with two agenda items and a speaker."""
    forum_session = create_session(title="Water and land")
    speaker = create_participant("Sharipov Anvar", organisation="Academy of Sciences")
    for position, title in enumerate(("Opening", "Irrigation after the thaw")):
        item = AgendaItem(forum_session=forum_session, position=position, title=title, kind=AgendaKind.presentation,
                          starts_at=forum_session.starts_at + timedelta(minutes=30 * position),
                          ends_at=forum_session.starts_at + timedelta(minutes=30 * position + 25))
        if position:
            item.speakers.append(AgendaSpeaker(participant=speaker, position=0))
        db.session.add(item)
    db.session.commit()
    return forum_session


@pytest.fixture
def staff_api(create_user, token_for) -> dict[str, str]:
    """Authorization headers of an organiser."""
    return token_for(create_user("organiser"))


def without_date(response: Any) -> list[tuple[str, str]]:
    """The response's headers except Date, which says when it was sent."""
    return [(name, value) for name, value in response.headers.items() if name != "Date"]


@pytest.mark.parametrize("headers", [{}, GZIP, RUSSIAN, {**GZIP, "Accept-Language": "tg"}],
                         ids=["plain", "gzip", "russian", "tajik-gzip"])
def test_a_cached_page_has_the_bytes_and_headers_of_the_normal_path(client, agenda, flask_calls, headers):
    rendered = client.get(f"/sessions/{agenda.id}", headers=headers)
    cached = client.get(f"/sessions/{agenda.id}", headers=headers)

    assert flask_calls.count == 1, "the second request should come from the cache"
    assert rendered.status_code == cached.status_code == 200
    assert cached.data == rendered.data
    assert without_date(cached) == without_date(rendered)
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "ETag", "Vary",
                 "Cache-Control", "Last-Modified"):
        assert cached.headers.get(name), name
    assert "Date" in cached.headers


@contextmanager
def attributes_shown(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[set[tuple[type[Any], str]]]:
    """Every mapped column or relationship read on a row while a template renders, as (class, name).

    Reads inside model methods count too (``localized``, ``Category.name``): they go through the
    same descriptors.
    """
    shown: set[tuple[type[Any], str]] = set()
    rendering: list[bool] = []
    original = InstrumentedAttribute.__get__

    def recording(attribute: InstrumentedAttribute[Any], instance: Any, owner: Any) -> Any:
        if instance is not None and rendering:
            shown.add((attribute.class_, attribute.key))
        return original(attribute, instance, owner)

    monkeypatch.setattr(InstrumentedAttribute, "__get__", recording)
    with before_render_template.connected_to(lambda *_args, **_kwargs: rendering.append(True), app), \
            template_rendered.connected_to(lambda *_args, **_kwargs: rendering.pop(), app):
        yield shown


@pytest.mark.parametrize("language", ["en", "ru", "tg"])
def test_the_agenda_stamp_covers_everything_the_page_shows(app, client, agenda, monkeypatch, language):
    with attributes_shown(app, monkeypatch) as shown:
        assert client.get(f"/sessions/{agenda.id}", headers={"Accept-Language": language}).status_code == 200

    assert (ForumSession, "title") in shown and (Participant, "name") in shown, "the recording saw the page"
    uncovered = sorted(f"{entity.__name__}.{name}" for entity, name in shown if not stamps.covers(entity, name))
    assert not uncovered, f"the public agenda shows {uncovered}, which its stamp (forums/sessions/stamps.py) misses"


def test_a_field_the_stamp_misses_is_caught(app, agenda, monkeypatch):
    # The forum's description is not in the stamp: a page showing it would be served stale.
    forum_session = session_queries.session_with_agenda(agenda.id)
    with app.test_request_context(f"/sessions/{agenda.id}"), attributes_shown(app, monkeypatch) as shown:
        render_template_string("{{ forum_session.forum.description }}", forum_session=forum_session)

    assert (Forum, "description") in shown and not stamps.covers(Forum, "description")
    assert stamps.covers(Forum, "title") and not stamps.covers(Category, "key")


def test_languages_and_encodings_get_their_own_copies(client, agenda):
    english = client.get(f"/sessions/{agenda.id}").get_data(as_text=True)
    russian = client.get(f"/sessions/{agenda.id}", headers=RUSSIAN).get_data(as_text=True)
    compressed = client.get(f"/sessions/{agenda.id}", headers=GZIP)

    assert "Agenda" in english and "Повестка дня" in russian
    assert client.get(f"/sessions/{agenda.id}").get_data(as_text=True) == english
    assert client.get(f"/sessions/{agenda.id}", headers=RUSSIAN).get_data(as_text=True) == russian
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in client.get(f"/sessions/{agenda.id}").headers


def test_conditional_requests_get_the_normal_paths_304_from_the_cache(client, agenda, flask_calls):
    first = client.get(f"/sessions/{agenda.id}", headers=GZIP)
    ask = {**GZIP, "If-None-Match": first.headers["ETag"]}

    learnt = client.get(f"/sessions/{agenda.id}", headers=ask)
    cached = client.get(f"/sessions/{agenda.id}", headers=ask)
    since = client.get(f"/sessions/{agenda.id}", headers={"If-Modified-Since": first.headers["Last-Modified"]})

    assert learnt.status_code == cached.status_code == since.status_code == 304
    assert cached.data == b""
    assert without_date(cached) == without_date(learnt)
    assert flask_calls.count == 1, "one page made; every 304, compressed or not, is answered from it"
    stale = client.get(f"/sessions/{agenda.id}", headers={**GZIP, "If-None-Match": '"an-old-etag"'})
    assert stale.status_code == 200 and stale.data == first.data


@pytest.mark.parametrize("change, visible", [
    ("title", "Water, land and trust"),
    ("agenda item", "Canals and quotas"),
    ("new agenda item", "Closing words"),
    ("speaker rename", "Sharipov Anvar Karimovich"),
    ("forum rename", "Discussion Club of Khujand"),
    ("cancel", "This session is cancelled."),
])
def test_an_edit_is_visible_on_the_very_next_request(client, agenda, staff_api, change, visible):
    path = f"/sessions/{agenda.id}"
    for headers in ({}, GZIP):
        assert client.get(path, headers=headers).status_code == 200
    item = db.session.query(AgendaItem).filter_by(session_id=agenda.id, position=1).one()
    speaker = item.speakers[0].participant_id
    calls = {
        "title": ("PATCH", f"/api/v1/sessions/{agenda.id}", {"title": visible}),
        "agenda item": ("PATCH", f"/api/v1/sessions/{agenda.id}/agenda/{item.id}", {"title": visible}),
        "new agenda item": ("POST", f"/api/v1/sessions/{agenda.id}/agenda", {
            "title": visible, "kind": "closing", "starts_at": (agenda.starts_at + timedelta(hours=2)).isoformat(),
            "ends_at": (agenda.starts_at + timedelta(hours=2, minutes=20)).isoformat()}),
        "speaker rename": ("PATCH", f"/api/v1/participants/{speaker}", {"name": visible}),
        "forum rename": ("PATCH", f"/api/v1/forums/{agenda.forum_id}", {"title": visible}),
        "cancel": ("PATCH", f"/api/v1/sessions/{agenda.id}", {"status": "cancelled"}),
    }
    method, url, body = calls[change]

    assert client.open(url, method=method, json=body, headers=staff_api).status_code in (200, 201)

    assert visible in client.get(path).get_data(as_text=True)
    assert visible in gzip.decompress(client.get(path, headers=GZIP).data).decode()


def test_a_renamed_region_and_a_removed_speaker_show_at_once(client, agenda):
    path = f"/sessions/{agenda.id}"
    assert "Sharipov Anvar" in client.get(path).get_data(as_text=True)

    # Changes made outside the services (a data fix, the retention purge's bulk deletes) show too.
    category("region", "dushanbe").name_en = "Dushanbe city"
    db.session.query(AgendaSpeaker).delete()
    db.session.commit()

    page = client.get(path).get_data(as_text=True)
    assert "Dushanbe city" in page and "Sharipov Anvar" not in page


def test_old_version_numbers_put_back_by_a_restore_do_not_revive_a_kept_page(client, agenda, staff_api):
    path = f"/sessions/{agenda.id}"
    saved = db.session.execute(sa.select(ForumSession.title, ForumSession.version, ForumSession.updated_at)
                               .where(ForumSession.id == agenda.id)).one()
    client.patch(f"/api/v1/sessions/{agenda.id}", json={"title": "Before the restore"}, headers=staff_api)
    client.patch(f"/api/v1/forums/{agenda.forum_id}", json={"title": "Forum before the restore"}, headers=staff_api)
    assert "Before the restore" in client.get(path).get_data(as_text=True)

    # A restore puts the rows back as they were, version numbers included; nobody opens the page...
    db.session.execute(sa.update(ForumSession).where(ForumSession.id == agenda.id)
                       .values(title=saved.title, version=saved.version, updated_at=saved.updated_at))
    db.session.execute(sa.update(Forum).where(Forum.id == agenda.forum_id).values(title="Discussion Club", version=1))
    db.session.commit()
    # ...until after the next edits, which bring the version numbers back to the kept copy's.
    client.patch(f"/api/v1/sessions/{agenda.id}", json={"title": "After the restore"}, headers=staff_api)
    client.patch(f"/api/v1/forums/{agenda.forum_id}", json={"title": "Forum after the restore"}, headers=staff_api)

    page = client.get(path).get_data(as_text=True)
    assert "After the restore" in page and "Forum after the restore" in page


def test_a_session_that_stops_being_public_is_not_served_from_the_cache(client, agenda, staff_api):
    assert client.get(f"/sessions/{agenda.id}").status_code == 200

    client.patch(f"/api/v1/sessions/{agenda.id}", json={"visibility": "invitation"}, headers=staff_api)

    assert client.get(f"/sessions/{agenda.id}").status_code == 404


def test_signed_in_staff_never_get_the_anonymous_copy(client, agenda, create_user, login):
    assert "Edit agenda" not in client.get(f"/sessions/{agenda.id}").get_data(as_text=True)

    login(create_user("organiser"))
    staff_page = client.get(f"/sessions/{agenda.id}")

    assert "Edit agenda" in staff_page.get_data(as_text=True)
    assert staff_page.headers["Cache-Control"] == "no-store"


def test_a_chosen_language_goes_through_flask_and_is_remembered(app, agenda, flask_calls):
    reader = app.test_client()
    reader.get(f"/sessions/{agenda.id}")

    chosen = reader.get(f"/sessions/{agenda.id}?lang=tg")
    again = reader.get(f"/sessions/{agenda.id}")

    assert chosen.headers.get("Set-Cookie") and 'lang="tg"' in again.get_data(as_text=True).split(">", 2)[1]
    # The English page and the remembered Tajik one are kept; the ?lang= answer itself never comes from a copy.
    assert flask_calls.count == 2 and chosen.headers["Cache-Control"] == "no-store"


def test_unknown_and_odd_addresses_are_answered_by_flasks_routing(client, agenda, flask_calls):
    assert client.get("/sessions/987654").status_code == 404
    page = client.get(f"/sessions/{agenda.id}")
    # Flask's int converter takes a leading zero; HEAD is Flask's GET without the body.
    assert client.get(f"/sessions/0{agenda.id}").data == page.data
    head = client.head(f"/sessions/{agenda.id}")
    assert head.status_code == 200 and head.headers["ETag"] == page.headers["ETag"]
    assert cache_of(client.application).named("agenda").keys() == [(agenda.id, "en", "")]
    assert flask_calls.count == 1


def test_anonymous_requests_write_no_cookie(client, agenda):
    for path in ("/", f"/sessions/{agenda.id}", "/api/v1/sessions", "/no-such-page"):
        assert "Set-Cookie" not in client.get(path).headers, path


def test_the_cache_keeps_only_the_most_recently_used_pages(app_config, create_session):
    small = create_app({**app_config, "RESPONSE_CACHE_ENTRIES": 2})
    small.test_client_class = CommittingClient
    sessions = [create_session(title=f"Session {number}") for number in range(3)]
    reader = small.test_client()

    for forum_session in sessions:
        assert reader.get(f"/sessions/{forum_session.id}").status_code == 200

    kept = cache_of(small).named("agenda").keys()
    assert [session_id for session_id, _language, _root in kept] == [sessions[1].id, sessions[2].id]


def test_an_untrusted_host_gets_flasks_400_even_for_a_cached_page(app_config, create_session):
    guarded = create_app({**app_config, "TRUSTED_HOSTS": ["desk.example.org"]})
    guarded.test_client_class = CommittingClient
    forum_session = create_session()
    reader = guarded.test_client()
    trusted = {"Host": "desk.example.org"}

    assert reader.get(f"/sessions/{forum_session.id}", headers=trusted).status_code == 200
    assert reader.get(f"/sessions/{forum_session.id}", headers=trusted).status_code == 200
    assert reader.get(f"/sessions/{forum_session.id}", headers={"Host": "evil.example"}).status_code == 400


def test_the_cache_can_be_switched_off(app_config, create_session, flask_calls):
    plain = create_app({**app_config, "RESPONSE_CACHE": False})
    plain.test_client_class = CommittingClient
    forum_session = create_session()
    reader = plain.test_client()

    assert reader.get(f"/sessions/{forum_session.id}").data == reader.get(f"/sessions/{forum_session.id}").data
    assert flask_calls.count == 2 and cache_of(plain).named("agenda").keys() == []


def test_behind_a_proxy_the_cache_sees_the_clients_scheme(app_config, create_session):
    proxied = create_app({**app_config, "PROXY_HOPS": 1})
    proxied.test_client_class = CommittingClient
    forum_session = create_session()
    reader = proxied.test_client()

    plain = reader.get(f"/sessions/{forum_session.id}")
    secure = reader.get(f"/sessions/{forum_session.id}", headers={"X-Forwarded-Proto": "https"})

    assert "Strict-Transport-Security" not in plain.headers
    assert "Strict-Transport-Security" in secure.headers


# Balance reports kept per worker (forums.balance.queries.session_balance_under), one copy per report -----

@pytest.fixture
def balance_room(create_session, create_participant, create_forum) -> dict[str, Any]:
    """A session of a forum with six people registered and one invited."""
    forum = create_forum(title="Round table on water")
    room = create_session(forum=forum, capacity=30)
    people = [create_participant(f"Person {number}", group=group, gender=gender)
              for number, (group, gender) in enumerate([("government", "man"), ("uto", "man"), ("media", "woman"),
                                                        ("civil_society", "woman"), ("academia", "man"),
                                                        ("minorities", "woman"), ("media", "man")])]
    registrations = [register(room, person, RegistrationStatus.registered) for person in people[:6]]
    register(room, people[6], RegistrationStatus.invited)
    db.session.commit()
    return {"session": room, "people": people, "registrations": registrations}


def _fresh_report(session_id: int, stage: str = "registered") -> dict[str, Any]:
    """The report computed from the database, bypassing every kept copy."""
    db.session.expire_all()
    report = balance_queries.session_balance(session_id, stage).to_json()
    db.session.commit()
    return report


BALANCE_CHANGES = ["new registration", "status change", "check-in", "deregistration", "category of a person",
                   "session policy", "forum policy", "new category", "bulk delete", "person erased"]


@pytest.mark.parametrize("change", BALANCE_CHANGES)
def test_a_kept_balance_report_is_never_stale(client, balance_room, staff_api, change):
    room = balance_room["session"]
    stage = "attended" if change == "check-in" else "registered"
    url = f"/api/v1/sessions/{room.id}/balance?stage={stage}"
    before = client.get(url, headers=staff_api).get_json()
    assert client.get(url, headers=staff_api).get_json() == before == _fresh_report(room.id, stage)
    people, registrations = balance_room["people"], balance_room["registrations"]
    quotas = {"quotas": [{"dimension": "gender", "category": "woman", "min_share": 0.4, "target_share": 0.5}]}

    if change == "new registration":
        response = client.post(f"/api/v1/sessions/{room.id}/registrations", headers=staff_api,
                               json={"participant_id": people[6].id, "status": "registered"})
        assert response.status_code in (201, 409)
        if response.status_code == 409:  # already invited: register the invitation instead
            invited = db.session.query(Registration).filter_by(participant_id=people[6].id).one()
            client.patch(f"/api/v1/registrations/{invited.id}", headers=staff_api, json={"status": "registered"})
    elif change == "status change":
        client.patch(f"/api/v1/registrations/{registrations[0].id}", headers=staff_api, json={"status": "declined"})
    elif change == "check-in":
        client.post(f"/api/v1/sessions/{room.id}/checkin", headers=staff_api,
                    json={"registration_id": registrations[1].id})
    elif change == "deregistration":
        client.patch(f"/api/v1/registrations/{registrations[2].id}", headers=staff_api, json={"status": "cancelled"})
    elif change == "category of a person":
        client.patch(f"/api/v1/participants/{people[0].id}", headers=staff_api,
                     json={"categories": {"group": "media", "gender": "woman"}})
    elif change == "session policy":
        client.put(f"/api/v1/sessions/{room.id}/policy", headers=staff_api, json=quotas)
    elif change == "forum policy":
        client.put(f"/api/v1/forums/{room.forum_id}/policy", headers=staff_api, json=quotas)
    elif change == "new category":
        assert client.post("/api/v1/dimensions/group/categories", headers=staff_api,
                           json={"key": "diaspora", "name": "Diaspora"}).status_code == 201
    elif change == "bulk delete":
        db.session.execute(sa.delete(Registration).where(Registration.id == registrations[3].id))
        db.session.commit()
    elif change == "person erased":
        db.session.delete(db.session.get(Participant, people[4].id))
        db.session.commit()

    after = client.get(url, headers=staff_api).get_json()
    assert after == _fresh_report(room.id, stage)
    assert after != before


def test_a_kept_report_costs_the_token_and_stamp_queries(app, client, balance_room, staff_api, flask_calls,
                                                         count_queries):
    url = f"/api/v1/sessions/{balance_room['session'].id}/balance"
    with count_queries() as first:
        rendered = client.get(url, headers=staff_api)
    with count_queries() as again:
        kept = client.get(url, headers=staff_api)

    assert kept.status_code == rendered.status_code == 200
    assert kept.data == rendered.data and without_date(kept) == without_date(rendered)
    assert kept.headers["Cache-Control"] == "no-store" and kept.headers["Content-Type"] == "application/json"
    # Flask's own path: the token, the stamp, the catalogue, the policy, the GROUP BY and the count.
    assert first() == 6 and again() == 2, (first(), again())
    assert flask_calls.count == 1


@pytest.mark.parametrize("query", ["", "?stage=registered", "?stage=attended", "?stage=invited"])
@pytest.mark.parametrize("headers", [{}, GZIP, RUSSIAN], ids=["plain", "gzip", "russian"])
def test_a_kept_report_has_the_bytes_and_headers_of_the_normal_path(app, client, balance_room, staff_api, query,
                                                                    headers):
    url = f"/api/v1/sessions/{balance_room['session'].id}/balance{query}"
    plain = create_app({**app.config, "RESPONSE_CACHE": False})
    plain.test_client_class = CommittingClient
    normal = plain.test_client().get(url, headers={**staff_api, **headers})

    client.get(url, headers={**staff_api, **headers})
    kept = client.get(url, headers={**staff_api, **headers})

    assert kept.status_code == normal.status_code == 200
    assert kept.data == normal.data and without_date(kept) == without_date(normal)


def test_every_caller_allowed_shares_one_copy_and_others_are_refused(app, client, balance_room, staff_api,
                                                                     create_user, token_for, flask_calls):
    room = balance_room["session"]
    url = f"/api/v1/sessions/{room.id}/balance"
    facilitator, outsider = create_user("facilitator"), create_user("facilitator")
    db.session.add(SessionFacilitator(session_id=room.id, user_id=facilitator.id))
    db.session.commit()
    as_admin, as_facilitator, as_outsider = (token_for(create_user("admin")), token_for(facilitator),
                                             token_for(outsider))

    report = client.get(url, headers=staff_api).get_json()
    assert client.get(url, headers=as_admin).get_json() == report
    assert flask_calls.count == 1, "one copy serves every staff caller"
    # The session's facilitator reads where each category stands, never a count (SECURITY.md T23).
    coarse = client.get(url, headers=as_facilitator).get_json()
    assert coarse["detail"] == "coarse" and coarse["total"] == report["total"]
    assert all("count" not in line and "share" not in line
               for dimension in coarse["dimensions"] for line in dimension["categories"])

    # A public session the outsider may see but not facilitate: 403 (forums.accounts.permissions.session_refusal).
    assert client.get(url, headers=as_outsider).status_code == 403
    assert client.get(url, headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert client.get(url).status_code == 401
    assert client.get(f"/api/v1/sessions/{room.id + 1000}/balance", headers=staff_api).status_code == 404


@pytest.mark.parametrize("withdrawal", ["token revoked", "user deactivated", "facilitator unassigned",
                                        "demoted to facilitator"])
def test_a_withdrawn_right_is_refused_on_the_very_next_request(client, balance_room, create_user, token_for,
                                                               withdrawal):
    room = balance_room["session"]
    url = f"/api/v1/sessions/{room.id}/balance"
    user = create_user("facilitator" if withdrawal == "facilitator unassigned" else "organiser")
    db.session.add(SessionFacilitator(session_id=room.id, user_id=user.id))
    db.session.commit()
    headers = token_for(user)
    assert client.get(url, headers=headers).status_code == client.get(url, headers=headers).status_code == 200

    # Done as another worker or a script would: straight in the database, nothing tells this worker.
    if withdrawal == "token revoked":
        db.session.execute(sa.update(ApiToken).where(ApiToken.user_id == user.id).values(revoked_at=utcnow()))
    elif withdrawal == "user deactivated":
        db.session.execute(sa.update(User).where(User.id == user.id).values(is_active=False))
    elif withdrawal == "facilitator unassigned":
        db.session.execute(sa.delete(SessionFacilitator).where(SessionFacilitator.user_id == user.id))
    else:
        db.session.execute(sa.delete(SessionFacilitator).where(SessionFacilitator.user_id == user.id))
        db.session.execute(sa.update(User).where(User.id == user.id).values(role=Role.facilitator))
    db.session.commit()

    expected = 403 if withdrawal in ("facilitator unassigned", "demoted to facilitator") else 401
    assert client.get(url, headers=headers).status_code == expected


@pytest.mark.parametrize("query, status", [
    ("?stage=seated", 422),
    ("?stage=attended&stage=invited", 200),
    ("?stage=attended&lang=ru", 200),
    ("?stage=", 422),
    ("?Stage=attended", 200),
])
def test_other_query_strings_get_the_views_answer(app, client, balance_room, staff_api, flask_calls, query, status):
    url = f"/api/v1/sessions/{balance_room['session'].id}/balance"
    client.get(url, headers=staff_api)
    client.get(url + "?stage=attended", headers=staff_api)
    calls = flask_calls.count

    for _attempt in range(2):
        assert client.get(url + query, headers=staff_api).status_code == status

    # The view reads the stage as always (the first of several, a default for others), then the kept report.
    assert flask_calls.count == calls


def test_a_caller_with_a_cookie_shares_the_kept_report(app, client, balance_room, create_user, login, token_for,
                                                        flask_calls):
    url = f"/api/v1/sessions/{balance_room['session'].id}/balance"
    organiser = create_user("organiser")
    headers = token_for(organiser)
    client.get(url, headers=headers)

    login(organiser)
    calls = flask_calls.count
    assert client.get(url).status_code == client.get(url, headers=headers).status_code == 200
    assert flask_calls.count == calls


def test_the_live_panels_balance_follows_each_check_in(client, balance_room, staff_api):
    room, registrations = balance_room["session"], balance_room["registrations"]
    summary = f"/api/v1/sessions/{room.id}/checkin/summary"
    assert client.get(summary, headers=staff_api).get_json()["balance"]["total"] == 0

    for arrived, registration in enumerate(registrations[:3], start=1):
        client.post(f"/api/v1/sessions/{room.id}/checkin", headers=staff_api,
                    json={"registration_id": registration.id})
        panel = client.get(summary, headers=staff_api).get_json()
        assert panel["attended"] == panel["balance"]["total"] == arrived
        assert panel["balance"] == _fresh_report(room.id, "attended")
