"""The organiser's day (issue 20): sign in to the staff home, open a session that is outside its policy, follow
the suggestion to the register filtered to the missing category, see the effect on balance, invite."""

import re

from playwright.sync_api import Page, expect

from forums.balance.rules import Quota
from models import RegistrationStatus
from tests.e2e import data
from tests.e2e.conftest import assert_accessible, sign_in


def test_staff_home_to_session_page_to_suggestion_to_invitation(new_page, javascript, live_server):
    tag = data.new_tag()
    title = f"Water round table {tag}"
    uto_name = f"Usmonov {tag}"
    seeded = data.published_session(
        live_server.app, title, days=1, visibility="invitation", status=RegistrationStatus.invited,
        people=[data.Person(f"Nazarov {tag}", "government"), data.Person(f"Sharipov {tag}", "government")],
        policy=[Quota("group", "uto", min_count=1), Quota("group", "government", max_count=1)],
    )
    data.add_people(live_server.app, [data.Person(uto_name, "uto", region="karategin")])
    page: Page = new_page(javascript=javascript)

    # Signing in lands on the staff home, which names the session twice: this week, and outside its policy.
    sign_in(page, "organiser@example.org")
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_role("heading", name="Today at the desk")).to_be_visible()
    assert_accessible(page)
    outside = page.locator("section", has=page.get_by_role("heading", name="Sessions outside their balance policy"))
    expect(outside.get_by_role("link", name=title)).to_be_visible()
    outside.get_by_role("link", name=title).click()

    # The session's own page: its balance at each stage and what to change.
    expect(page).to_have_url(re.compile(rf"/staff/sessions/{seeded.session_id}#balance$"))
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.get_by_role("button", name="Cancel session")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Add 1 person from United Tajik Opposition").click()

    # The register, filtered to the UTO and to people not on the session yet, with invite buttons.
    expect(page.get_by_role("heading", name="Invite from the register")).to_be_visible()
    expect(page.get_by_label("Group")).to_have_value("uto")
    expect(page.get_by_text(f"Nazarov {tag}")).to_have_count(0)
    assert_accessible(page)
    page.get_by_label(uto_name, exact=True).check()
    page.get_by_role("button", name="Invite: show the effect on balance").click()

    # The effect on balance comes first; nothing is saved until it is confirmed.
    expect(page.get_by_role("heading", name="Effect on the balance")).to_be_visible()
    uto_row = page.get_by_role("row").filter(has_text="United Tajik Opposition")
    expect(uto_row.get_by_role("cell").nth(0)).to_contain_text("below the minimum")
    expect(uto_row.get_by_role("cell").nth(1)).to_contain_text("within the policy")
    assert uto_name not in data.statuses_of(live_server.app, seeded.session_id)
    assert_accessible(page)
    page.get_by_role("button", name="Invite them").click()

    expect(page.get_by_text("1 person invited.")).to_be_visible()
    assert data.statuses_of(live_server.app, seeded.session_id)[uto_name] is RegistrationStatus.invited
