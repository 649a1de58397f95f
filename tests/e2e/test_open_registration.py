"""Open registration for the discussion club, on a phone with JavaScript off (and on, for the accessibility check):
organisers open the form, a visitor registers without an account, confirms by the link's button, and the next
visitor, past capacity, joins the waiting list; nobody is shown who else registered."""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from models import ForumSession, Participant, ParticipantCategory, RegistrationStatus, db
from tests.e2e import data
from tests.e2e.conftest import assert_accessible, assert_no_sideways_scroll, sign_in

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def club_evening(live_server) -> Iterator[data.SeededSession]:
    """A published public evening of the discussion club with one person already registered and one seat left.

    The served app's minimum fill time is lifted for the journey: a browser driven by a script fills the form
    faster than anyone types (tests/signup holds the fill-time rule itself to account).
    """
    tag = data.new_tag()
    seeded = data.published_session(live_server.app, f"Evening on taboo topics {tag}",
                                    people=[data.Person(f"Already Registered {tag}", "media")])
    with data.database(live_server.app):
        db.session.get(ForumSession, seeded.session_id).capacity = 2
    live_server.app.config["SIGNUP_MIN_FILL_SECONDS"] = 0
    yield seeded
    live_server.app.config.pop("SIGNUP_MIN_FILL_SECONDS")


def register(page, session_id: int, name: str) -> str:
    """Fill the public form as a visitor on a phone and return the confirmation link shown after it."""
    page.goto(f"/sessions/{session_id}")
    page.get_by_role("link", name="Register for this session").click()
    expect(page.get_by_label("Your name")).to_be_visible()  # the form's page has loaded: measure that one
    assert_no_sideways_scroll(page)
    assert_accessible(page)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Group (optional)").select_option(label="Civil society")
    page.get_by_label("I agree that the mission keeps these answers", exact=False).check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("One more step: confirm your registration")
    assert_no_sideways_scroll(page)
    return page.locator(".confirm-link a").get_attribute("href")


def test_a_visitor_registers_on_a_phone_and_confirms_by_the_links_button(new_page, javascript, live_server,
                                                                        club_evening):
    session_id = club_evening.session_id
    already = next(iter(club_evening.participant_ids))

    organiser = new_page(javascript=javascript)
    sign_in(organiser, "organiser@example.org")
    organiser.goto(f"/staff/sessions/{session_id}/signup")
    organiser.get_by_label("Take open registration on the session's public page").check()
    organiser.get_by_label("Group", exact=True).check()
    organiser.get_by_role("button", name="Save").click()
    expect(organiser.get_by_text("Open registration saved.")).to_be_visible()
    assert_accessible(organiser)

    tag = club_evening.title.rsplit(" ", 1)[-1]
    visitor = new_page(javascript=javascript, **PHONE)
    link = register(visitor, session_id, f"Gulru Nazarova {tag}")
    assert already not in visitor.content()

    # The link opens a page with a button; opening it registers nobody (mail scanners open links too).
    visitor.goto(link)
    expect(visitor.get_by_role("button", name="Confirm my registration")).to_be_visible()
    assert "Gulru Nazarova" not in " ".join(data.statuses_of(live_server.app, session_id))
    visitor.get_by_role("button", name="Confirm my registration").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Registration confirmed")
    expect(visitor.get_by_text("You have a seat.")).to_be_visible()
    assert already not in visitor.content()
    assert_no_sideways_scroll(visitor)

    # The last seat is gone: the next visitor is told before registering, and confirms onto the waiting list.
    second = new_page(javascript=javascript, **PHONE)
    second_link = register(second, session_id, f"Farhod Rasulov {tag}")
    expect(second.get_by_text("when you confirm, you join its waiting list")).to_be_visible()
    second.goto(second_link)
    second.get_by_role("button", name="Confirm my registration").click()
    expect(second.get_by_text("you are on its waiting list")).to_be_visible()

    statuses = {name.split()[0]: status for name, status in data.statuses_of(live_server.app, session_id).items()}
    assert statuses["Gulru"] is RegistrationStatus.registered
    assert statuses["Farhod"] is RegistrationStatus.waitlisted
    with data.database(live_server.app):
        marked = db.session.scalars(
            sa.select(ParticipantCategory.is_self_declared).join(Participant)
            .where(Participant.name == f"Gulru Nazarova {tag}")).all()
    assert marked == [True]
