"""The facilitator's journey at the door: find a Cyrillic name typed in Latin letters, check in, undo."""

import pytest
from playwright.sync_api import Locator, Page, expect

from forums.balance.rules import Quota
from models import RegistrationStatus
from tests.e2e import data
from tests.e2e.conftest import (
    assert_accessible,
    assert_no_sideways_scroll,
    screenshot,
    sign_in,
)

FACILITATOR = "facilitator@example.org"
RAHIMOVA = "Раҳимова Нигора"


@pytest.fixture
def dummy_door(live_server) -> data.SeededSession:
    """A published session run by the facilitator, with four people expected, one of them Раҳимова."""
    # Search is within one session's list, so these names need no tag to stay apart from other tests'.
    return data.published_session(
        live_server.app, "Round table on the return of refugees", forum="Round tables", days=0,
        agenda=[("Opening", "opening", {})],
        people=[
            data.Person(RAHIMOVA, "minorities", region="gorno_badakhshan", gender="woman"),
            data.Person("Каримов Давлат", "government"),
            data.Person("Раҳмонов Фарҳод", "uto", region="karategin"),
            data.Person("Назарова Зарина", "civil_society", gender="woman"),
        ],
        facilitator=FACILITATOR,
        policy=[Quota("group", "minorities", min_count=1)],
    )


def expect_no_one_singled_out(page: Page, category: str) -> None:
    """A facilitator's live panel shows no line per category while fewer than k people are present (T23)."""
    expect(page.locator("#checkin-panel")).to_contain_text("The balance is shown once at least 5 people are present")
    expect(page.locator("#checkin-panel tr").filter(has=page.get_by_role("rowheader", name=category))).to_have_count(0)


def open_checkin(page: Page, door: data.SeededSession) -> None:
    """Sign in as the facilitator and open the session's check-in page from the list of sessions they run."""
    sign_in(page, FACILITATOR)
    page.get_by_role("link", name="Sessions", exact=True).click()
    assert_accessible(page)
    page.locator(f'a[href="/sessions/{door.session_id}/checkin"]').click()
    expect(page.get_by_role("heading", name=f"Check-in: {door.title}")).to_be_visible()
    expect(page.locator("#checkin-list tbody tr")).to_have_count(4)
    assert_accessible(page)


def tab_to(page: Page, target: Locator, presses: int) -> None:
    """Press Tab until ``target`` has the focus (it may have it already), at most ``presses`` times."""
    for _press in range(presses):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    if not target.evaluate("element => element === document.activeElement"):
        pytest.fail(f"Tab never reaches {target}")


def test_facilitator_checks_in_a_name_typed_in_latin_and_undoes_it(new_page, javascript, live_server, dummy_door):
    name = RAHIMOVA
    page = new_page(javascript=javascript)
    open_checkin(page, dummy_door)
    expect(page.locator("#checkin-panel")).to_contain_text("0 of 4 expected have arrived.")
    expect_no_one_singled_out(page, "National minorities")
    if javascript:
        # A page that reloads loses this; the journey must keep it.
        page.evaluate("() => { window.stillThisPage = true; }")

    page.get_by_label("Find a name (any script)").fill("rahimova")
    if not javascript:
        page.get_by_role("button", name="Search").click()
    rows = page.locator("#checkin-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".checkin-name")).to_have_text(name)
    assert_accessible(page)

    rows.first.get_by_role("button", name=f"Check in {name}").click()
    # With JavaScript the search is emptied for the next person (issue 20, item 9): find her line by name.
    row = page.locator("#checkin-list tbody tr", has_text=name)
    expect(row.locator(".checkin-state")).to_have_text("Attended")
    expect(page.locator("#checkin-panel")).to_contain_text("1 of 4 expected have arrived.")
    # Checking one person in must not show their group, region or gender to the facilitator.
    expect_no_one_singled_out(page, "National minorities")
    assert data.registration_status(live_server.app, dummy_door.registration_ids[name]) is RegistrationStatus.attended
    if javascript:
        assert page.evaluate("() => window.stillThisPage === true"), "the page reloaded"
        expect(page.locator("#checkin-message")).to_have_text(f"{name} is checked in.")
        expect(page.get_by_label("Find a name (any script)")).to_have_value("")
        expect(page.get_by_label("Find a name (any script)")).to_be_focused()
    else:
        expect(page.get_by_text(f"{name} is checked in.")).to_be_visible()
    assert_accessible(page)
    if javascript:
        screenshot(page, "checkin")

    row.get_by_role("button", name=f"Undo {name}").click()
    expect(row.locator(".checkin-state")).to_have_text("Registered")
    expect(page.locator("#checkin-panel")).to_contain_text("0 of 4 expected have arrived.")
    expect_no_one_singled_out(page, "National minorities")
    assert data.registration_status(live_server.app, dummy_door.registration_ids[name]) is RegistrationStatus.registered
    if javascript:
        assert page.evaluate("() => window.stillThisPage === true"), "the page reloaded"
    else:
        expect(page.get_by_text(f"The check-in of {name} was undone.")).to_be_visible()


def test_keyboard_alone_completes_a_check_in(new_page, live_server, dummy_door):
    name = RAHIMOVA
    page = new_page(javascript=True)
    open_checkin(page, dummy_door)
    tab_to(page, page.get_by_label("Find a name (any script)"), presses=40)
    page.keyboard.type("rahimova")
    expect(page.locator("#checkin-list tbody tr")).to_have_count(1)

    tab_to(page, page.get_by_role("button", name=f"Check in {name}"), presses=5)
    page.keyboard.press("Enter")
    expect(page.locator("#checkin-panel")).to_contain_text("1 of 4 expected have arrived.")
    assert data.registration_status(live_server.app, dummy_door.registration_ids[name]) is RegistrationStatus.attended
    # The search is emptied and has the focus again: the next name can be typed at once.
    search = page.get_by_label("Find a name (any script)")
    expect(search).to_be_focused()
    expect(search).to_have_value("")
    page.keyboard.type("karimov")
    expect(page.locator("#checkin-list tbody tr")).to_have_count(1)
    tab_to(page, page.get_by_role("button", name="Check in Каримов Давлат"), presses=5)
    page.keyboard.press("Enter")
    expect(page.locator("#checkin-panel")).to_contain_text("2 of 4 expected have arrived.")


def test_checkin_page_fits_a_phone(new_page, dummy_door):
    page = new_page(width=360, height=640)
    sign_in(page, FACILITATOR)
    page.goto(f"/sessions/{dummy_door.session_id}/checkin")
    assert_no_sideways_scroll(page)
    # Nor is the button hidden in a table that scrolls on its own.
    for button in page.get_by_role("button", name="Check in").all():
        box = button.bounding_box()
        assert box and box["x"] + box["width"] <= 360, "a Check in button is off screen"
