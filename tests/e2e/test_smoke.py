"""The harness itself: the served app answers in a real browser, signed in and not."""

from tests.e2e.conftest import assert_accessible, sign_in


def test_start_page_and_sign_in_work_in_chromium(new_page, javascript):
    page = new_page(javascript=javascript)
    page.goto("/")
    assert page.get_by_role("heading", name="Upcoming sessions").is_visible()
    assert_accessible(page)
    sign_in(page, "organiser@example.org")
    assert page.get_by_role("link", name="Sign out").is_visible()
