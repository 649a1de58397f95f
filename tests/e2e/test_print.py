"""Paper: a typical session's agenda prints on one A4 page, without the site's navigation."""

import re

from tests.e2e import data


def test_a_typical_agenda_prints_on_one_a4_page(new_page, live_server):
    agenda = [("Opening remarks", "opening", {}), ("Water and land in the south: a presentation", "presentation", {}),
              ("Questions from the floor", "discussion", {}), ("Tea", "break", {}),
              ("Open discussion: what each region needs", "discussion", {}), ("Closing", "closing", {})]
    seeded = data.published_session(live_server.app, f"Round table {data.new_tag()}", agenda=agenda)
    page = new_page(javascript=False)
    page.goto(f"/sessions/{seeded.session_id}")
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()
    pdf = page.pdf(format="A4", print_background=False)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages == 1, f"the agenda prints on {pages} A4 pages"
