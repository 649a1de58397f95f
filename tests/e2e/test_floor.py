"""The list of speakers on a facilitator's phone (JavaScript on and off) and on the projector."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from models import Registration, RegistrationStatus, db
from tests.e2e import data
from tests.e2e.conftest import assert_accessible, assert_no_sideways_scroll, sign_in

FACILITATOR = "facilitator@example.org"
SHARIPOV = "Шарипов Давлат"
NAZAROVA = "Назарова Зарина"
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def dummy_room(live_server) -> data.SeededSession:
    """A session under way run by the facilitator: six people checked in (enough for the facilitator's report to
    show the floor per category: at least the small-count threshold, 5)."""
    room = data.published_session(
        live_server.app, "Round table on the southern water dispute", forum="Round tables", days=0,
        people=[data.Person(SHARIPOV, "government"), data.Person(NAZAROVA, "uto", gender="woman"),
                data.Person("Каримова Дилбар", "minorities", gender="woman"), data.Person("Aliev Rustam", "business"),
                data.Person("Qodirov Anvar", "government"),
                data.Person("Юсупова Мавзуна", "civil_society", gender="woman")],
        facilitator=FACILITATOR)
    with data.database(live_server.app):
        db.session.execute(sa.update(Registration).where(Registration.session_id == room.session_id)
                           .values(status=RegistrationStatus.attended))
    return room


def add_person(page: Page, typed: str, name: str, kind: str) -> None:
    """Find a person present by a name typed in Latin letters and put them on the list."""
    page.get_by_label("Find a person present (any script)").fill(typed)
    page.get_by_role("button", name="Search").click()
    found = page.locator(".floor-found li").filter(has_text=name)
    expect(found).to_have_count(1)
    found.get_by_label("Kind").select_option(label=kind)
    found.get_by_role("button", name="Add").click()


def test_facilitator_runs_the_list_on_a_phone_and_the_projector_follows(new_page, javascript, live_server,
                                                                         dummy_room):
    page = new_page(javascript=javascript, **PHONE)
    sign_in(page, FACILITATOR)
    page.goto(f"/sessions/{dummy_room.session_id}/floor")
    page.get_by_role("button", name="Open the list").click()
    expect(page.get_by_role("heading", name="List of speakers", exact=True)).to_be_visible()

    add_person(page, "sharipov", SHARIPOV, "Contribution")
    add_person(page, "nazarova", NAZAROVA, "Point of order")
    queue = page.locator(".floor-queue li")
    expect(queue).to_have_count(2)
    expect(queue.first).to_contain_text(NAZAROVA)
    expect(queue.first).to_contain_text("Point of order: ahead of the queue")
    assert_no_sideways_scroll(page)
    assert_accessible(page)

    page.get_by_role("button", name="New projector address").click()
    address = re.search(r"https?://\S+/floor/display/[\w-]+", page.locator(".flash-success").inner_text()).group(0)
    projector = new_page(javascript=javascript)
    projector.goto(address)
    expect(projector.locator("[data-speaker]")).to_have_text("Nobody has the floor.")

    if javascript:
        page.evaluate("() => { window.stillThisPage = true; }")
    page.get_by_role("button", name="Next").click()
    now = page.locator(".floor-speaker")
    expect(now).to_contain_text(NAZAROVA)
    if javascript:
        # the clock ticks on the phone without a reload, and the projector follows within 2 s
        expect(page.locator(".floor-time [data-clock]")).not_to_have_text("0:00", timeout=3000)
        expect(projector.locator("[data-speaker]")).to_have_text(NAZAROVA, timeout=2500)
        assert page.evaluate("() => window.stillThisPage === true")
    else:
        projector.reload()
        expect(projector.locator("[data-speaker]")).to_have_text(NAZAROVA)
    page.get_by_role("button", name="Next").click()
    expect(now).to_contain_text(SHARIPOV)
    if javascript:
        expect(projector.locator("[data-speaker]")).to_have_text(SHARIPOV, timeout=2500)
    page.get_by_role("button", name="Stop").click()
    expect(page.locator("#floor-live")).to_contain_text("Nobody has the floor.")
    if javascript:
        assert page.evaluate("() => window.stillThisPage === true")
    assert_accessible(projector)

    page.goto(f"/sessions/{dummy_room.session_id}/floor/report")
    expect(page.get_by_role("heading", name=re.compile("^Floor balance"))).to_be_visible()
    expect(page.locator("body")).to_contain_text("Present but not heard:")
    expect(page.locator("body")).to_contain_text("National minorities")
    assert_no_sideways_scroll(page)
    assert_accessible(page)
