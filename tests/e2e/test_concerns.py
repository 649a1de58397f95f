"""Concerns at an economic forum: a participant sends one and supports another on a phone with JavaScript off,
through their personal link; staff moderate, group them into one issue, put it on the agenda and record the
official's answer, which the participant then reads on the same page."""

import sqlalchemy as sa
from playwright.sync_api import expect

from forums.concerns import operations
from models import Concern, ForumSession, Participant, db
from models.concerns import Channel, ConcernStage
from tests.e2e import data
from tests.e2e.conftest import assert_accessible, assert_no_sideways_scroll, sign_in

PHONE = {"width": 360, "height": 740}


def _concern_of(app, text: str) -> tuple[int, ConcernStage, int | None]:
    with data.database(app):
        concern = db.session.scalar(sa.select(Concern).where(Concern.text == text))
        return concern.id, concern.stage, concern.issue_id


def test_a_concern_sent_from_a_phone_is_moderated_grouped_heard_and_answered(new_page, live_server):
    app = live_server.app
    tag = data.new_tag()
    farmer = data.Person(f"Rahimov Daler {tag}", "business", region="kulyab")
    trader = data.Person(f"Sharipova Zarina {tag}", "business", gender="woman")
    seeded = data.published_session(app, f"Business day {tag}", forum=f"Economic forum {tag}", days=9,
                                    agenda=[("Hearing with officials", "discussion", {})], people=[farmer, trader])
    farmer_link = data.personal_link(app, seeded.participant_ids[farmer.name])
    trader_link = data.personal_link(app, seeded.participant_ids[trader.name])
    # The trader's own concern came in on paper before the day.
    with data.database(app):
        operations.submit(db.session.get(ForumSession, seeded.session_id),
                          db.session.get(Participant, seeded.participant_ids[trader.name]),
                          channel=Channel.paper, language="en", text=f"Customs hold trucks for a week {tag}")

    # The farmer writes from his phone, JavaScript off, through his personal link.
    phone = new_page(javascript=False, locale="ru-RU", **PHONE)
    phone.goto(f"/p/{farmer_link}")
    phone.get_by_role("link", name=data.translated(app, "Your concerns", "ru")).click()
    text = f"Налоговая проверка каждый месяц {tag}"
    phone.get_by_label(data.translated(app, "Your concern, complaint or demand", "ru")).fill(text)
    phone.get_by_role("button", name=data.translated(app, "Send", "ru")).click()
    expect(phone.get_by_text(text)).to_be_visible()
    assert_no_sideways_scroll(phone)
    farmer_concern, stage, _issue = _concern_of(app, text)
    assert stage is ConcernStage.submitted

    # Staff accept both concerns and group them into one issue; nothing is deleted.
    staff = new_page()
    sign_in(staff, "organiser@example.org")
    staff.goto(f"/sessions/{seeded.session_id}/concerns")
    assert_accessible(staff)
    for _each in range(2):
        staff.get_by_role("button", name="Accept").first.click()
    staff.get_by_label(f"Group concern {farmer_concern}").check()
    staff.locator("input[name=concern_ids]").last.check()
    staff.get_by_label("New issue").fill(f"Inspections and customs {tag}")
    staff.get_by_role("button", name="Group", exact=True).click()
    expect(staff.get_by_text(f"Inspections and customs {tag}").first).to_be_visible()
    assert _concern_of(app, text)[1] is ConcernStage.grouped

    # The trader supports the farmer's concern from her phone, once.
    other_phone = new_page(javascript=False, **PHONE)
    other_phone.goto(f"/p/{trader_link}/concerns")
    other_phone.get_by_role("button", name="I support this").click()
    expect(other_phone.get_by_text("You support this concern.")).to_be_visible()
    expect(other_phone.get_by_role("button", name="I support this")).to_have_count(0)
    assert_no_sideways_scroll(other_phone)

    # Staff put the issue on the agenda and record the official's answer, then publish it.
    staff.goto(f"/sessions/{seeded.session_id}/concerns/issues")
    assert_accessible(staff)
    staff.get_by_label("Stage").select_option(label="On the agenda")
    staff.get_by_label("Agenda item").select_option(label="Hearing with officials")
    staff.get_by_role("button", name="Move").click()
    staff.get_by_text("Record an answer").click()
    staff.get_by_label("Official", exact=True).fill("Deputy Minister of Finance")
    staff.get_by_label("Authority").fill("Ministry of Finance")
    staff.get_by_label("Answer", exact=True).select_option(label="Under study")
    staff.get_by_label("What the official said").fill(f"Inspections will be planned once a year {tag}")
    staff.get_by_role("button", name="Save as a draft").click()
    staff.get_by_role("button", name="Publish the answer").click()
    expect(staff.get_by_text("The answer is published.")).to_be_visible()
    assert _concern_of(app, text)[1] is ConcernStage.answered

    # The farmer reads the answer on his page; the officials' brief did not name him (staff only by default).
    phone.goto(f"/p/{farmer_link}/concerns")
    expect(phone.get_by_text(f"Inspections will be planned once a year {tag}")).to_be_visible()
    checked = new_page(**PHONE)  # the same page with scripts, which axe needs
    checked.goto(f"/p/{farmer_link}/concerns")
    assert_accessible(checked)
    staff.goto(f"/sessions/{seeded.session_id}/concerns/brief")
    expect(staff.get_by_text(text)).to_be_visible()
    expect(staff.get_by_text(farmer.name)).to_have_count(0)
    assert_accessible(staff)

    # Who was heard at each stage, the forum's commitments and the paper form are readable by everyone too.
    for path in (f"/sessions/{seeded.session_id}/concerns/balance", f"/sessions/{seeded.session_id}/concerns/new",
                 f"/sessions/{seeded.session_id}/concerns/form"):
        staff.goto(path)
        assert_accessible(staff)
    staff.goto(f"/sessions/{seeded.session_id}/concerns")
    staff.get_by_role("link", name="Forum settings").click()
    assert_accessible(staff)
    staff.get_by_role("link", name="Open and overdue commitments").click()
    assert_accessible(staff)
