"""Balance reports from the database: stage counting, the policy in force, query counts, warnings."""

from datetime import timedelta

import pytest

from forums.balance import policies
from forums.balance import queries as balance_queries
from forums.balance.rules import Quota
from models import (
    Participant,
    ParticipantCategory,
    Registration,
    RegistrationStatus,
    db,
)
from tests.conftest import category, dushanbe_time


@pytest.fixture
def enrol(create_registration):
    """Give a participant a registration with any status, as the registration pages would leave it."""
    return lambda forum_session, participant, status="registered": create_registration(forum_session, participant,
                                                                                       status)


def add_people(forum_session, count, status="registered", **categories):
    """Bulk-add ``count`` participants of the given categories with one status."""
    values = {"group": "civil_society", "region": "dushanbe", "gender": "woman", **categories}
    chosen = [category(dimension, key) for dimension, key in values.items()]
    for number in range(count):
        participant = Participant(name=f"Person {forum_session.id}-{status}-{number}", search_key="person")
        participant.categories = [ParticipantCategory(dimension_id=c.dimension_id, category_id=c.id) for c in chosen]
        db.session.add(Registration(forum_session=forum_session, participant=participant,
                                    status=RegistrationStatus(status)))
    db.session.commit()


def save(owner, *quotas):
    """Store a policy that must be valid."""
    assert policies.save_policy(owner, list(quotas), policies.load_catalogue()) == []
    db.session.commit()


def dimension(report, key):
    return next(d for d in report.dimensions if d.key == key)


def line(report, dimension_key, category_key):
    return next(c for c in dimension(report, dimension_key).categories if c.key == category_key)


def test_each_stage_counts_the_statuses_of_the_contract(create_session, create_participant, enrol):
    forum_session = create_session()
    for status, group in [("invited", "government"), ("registered", "uto"), ("confirmed", "minorities"),
                          ("attended", "media"), ("declined", "business"), ("waitlisted", "academia"),
                          ("cancelled", "military")]:
        enrol(forum_session, create_participant(f"P {status}", group=group), status)

    totals = {stage: balance_queries.session_balance(forum_session.id, stage).total
              for stage in ("invited", "registered", "confirmed", "attended")}
    assert totals == {"invited": 6, "registered": 3, "confirmed": 2, "attended": 1}
    invited = balance_queries.session_balance(forum_session.id, "invited")
    assert line(invited, "group", "military").count == 0  # cancelled is never counted
    assert line(invited, "group", "business").count == 1  # a declined invitation was still an invitation
    assert line(balance_queries.session_balance(forum_session.id, "confirmed"), "group", "uto").count == 0


def test_observers_are_listed_but_not_counted(create_session, create_participant, enrol):
    forum_session = create_session()
    enrol(forum_session, create_participant("Observer", group="international"))
    enrol(forum_session, create_participant("Official", group="government"))
    report = balance_queries.session_balance(forum_session.id)
    assert report.total == 2
    assert dimension(report, "group").counted == 1
    assert line(report, "group", "international").count == 1
    assert dimension(report, "gender").counted == 2
    assert [c.key for c in dimension(report, "region").categories][:2] == ["dushanbe", "leninabad"]


def test_a_sessions_own_policy_overrides_its_forums(create_session):
    forum_session = create_session(capacity=10)
    other = create_session(forum=forum_session.forum, title="Second")
    save(forum_session.forum, Quota("group", "government", max_count=3))
    save(forum_session, Quota("group", "uto", min_count=2))

    own = policies.session_policy(forum_session.id)
    inherited = policies.session_policy(other.id)
    assert own.source == "session" and own.quotas == (Quota("group", "uto", min_count=2),)
    assert inherited.source == "forum" and inherited.quotas == (Quota("group", "government", max_count=3),)
    report = balance_queries.session_balance(forum_session.id)
    assert line(report, "group", "uto").status == "under"
    assert line(report, "group", "uto").quota.min_count == 2


def test_saving_a_policy_replaces_it_and_audits(create_session):
    from models import AuditEntry

    forum_session = create_session()
    save(forum_session, Quota("group", "uto", min_count=2), Quota("gender", "woman", min_share=0.4))
    save(forum_session, Quota("group", "uto", min_count=1))
    assert policies.session_policy(forum_session.id).quotas == (Quota("group", "uto", min_count=1),)
    actions = db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.object_id == forum_session.id)).all()
    assert actions.count("policy.update") == 2


def test_an_impossible_policy_writes_nothing(create_session):
    forum_session = create_session(capacity=3)
    problems = policies.save_policy(forum_session, [Quota("group", "uto", min_count=2),
                                                    Quota("group", "government", min_count=2)],
                                    policies.load_catalogue())
    assert [problem.code for problem in problems] == ["min_counts_above_capacity"]
    db.session.commit()
    assert policies.session_policy(forum_session.id).source == "none"


@pytest.mark.parametrize("stage", ["invited", "registered"])
def test_the_report_costs_the_same_queries_for_10_or_200_registrations(create_session, count_queries, stage):
    small, large = create_session(title="Small"), create_session(title="Large", capacity=500)
    save(small.forum, Quota("group", "government", max_share=0.3))
    add_people(small, 10, group="government")
    add_people(large, 100, group="uto", region="kulyab")
    add_people(large, 100, status="invited", group="minorities", gender="man")

    small_id, large_id = small.id, large.id
    with count_queries() as small_queries:
        balance_queries.session_balance(small_id, stage)
    with count_queries() as large_queries:
        report = balance_queries.session_balance(large_id, stage)
    assert small_queries() == large_queries() <= 4
    assert report.total == (200 if stage == "invited" else 100)


def test_the_forum_overview_costs_the_same_queries_for_2_or_6_sessions(create_session, create_forum, count_queries):
    def forum_with(sessions):
        forum = create_forum(title=f"Forum of {sessions}")
        for number in range(sessions):
            forum_session = create_session(forum=forum, title=f"S{number}", starts_at=dushanbe_time(day=1 + number))
            add_people(forum_session, 3, status="attended", group="government")
        return forum

    few, many = forum_with(2).id, forum_with(6).id
    with count_queries() as few_queries:
        balance_queries.forum_balance_page(few, 1)
    with count_queries() as many_queries:
        overview = balance_queries.forum_balance_page(many, 1)
    assert few_queries() == many_queries() <= 8
    assert len(overview.page.items) == len(overview.trend.sessions) == 6


def test_the_forum_overview_shows_who_came_and_who_never_did(create_session, create_forum):
    forum = create_forum()
    first = create_session(forum=forum, title="First", starts_at=dushanbe_time(day=1))
    second = create_session(forum=forum, title="Second", starts_at=dushanbe_time(day=1) + timedelta(days=7))
    add_people(first, 3, status="attended", group="government")
    add_people(first, 1, status="attended", group="uto")
    add_people(second, 1, status="attended", group="government")
    add_people(second, 1, status="attended", group="minorities")
    add_people(second, 5, status="invited", group="media")
    save(forum, Quota("group", "government", max_share=0.5, target_share=0.25))

    overview = balance_queries.forum_balance_page(forum.id, 1)
    sessions = overview.page.items
    assert [s.title for s in sessions] == ["First", "Second"]
    first_group = dimension(sessions[0].reports["attended"], "group")
    assert not first_group.ok  # 3 of 4 is above half
    assert dimension(sessions[1].reports["attended"], "group").ok
    assert sessions[1].reports["invited"].total == 7

    trend = {t.category: t.shares for t in overview.trend.attendance_trend("group")}
    assert trend["government"] == (0.75, 0.5)
    assert trend["minorities"] == (0.0, 0.5)
    assert "international" not in trend  # observers do not count toward balance
    firsts = {entry.session_id: entry.categories for entry in overview.first_present}
    assert ("group", "minorities") in firsts[second.id] and ("group", "government") not in firsts[second.id]
    never = overview.never_present
    assert ("group", "media") in never  # invited, but nobody came
    assert ("group", "uto") not in never and ("group", "international") not in never


def test_additions_that_push_a_category_over_its_maximum_are_warned(create_session, create_participant, enrol):
    forum_session = create_session()
    save(forum_session, Quota("group", "government", max_count=2), Quota("gender", "man", max_share=0.2))
    for number in range(2):
        enrol(forum_session, create_participant(f"Official {number}", group="government", gender="woman"), "invited")
    newcomer = create_participant("Official 3", group="government", gender="man")
    already = create_participant("Already", group="government")
    enrol(forum_session, already, "invited")  # makes 3 government already: over before the addition

    warnings = balance_queries.warnings_for_additions(forum_session.id, [newcomer.id, already.id], locale="en")
    government = next(w for w in warnings if w.category == "government")
    assert (government.count_before, government.count_after) == (3, 4)  # ``already`` is not counted twice
    assert government.category_name == "Government" and government.status == "over"
    men = next(w for w in warnings if w.category == "man")
    assert (men.count_before, men.counted_before, men.count_after, men.counted_after) == (0, 3, 1, 4)
    assert balance_queries.warnings_for_additions(forum_session.id, [], locale="en") == []


def test_additions_within_limits_are_not_warned(create_session, create_participant):
    forum_session = create_session()
    save(forum_session, Quota("group", "government", max_count=2))
    person = create_participant("Minority", group="minorities")
    assert balance_queries.warnings_for_additions(forum_session.id, [person.id], locale="en") == []


def test_publish_warnings_list_the_invitation_lists_breaches(create_session, create_participant, enrol):
    forum_session = create_session()
    save(forum_session, Quota("group", "minorities", min_count=1), Quota("group", "government", max_count=1))
    for number in range(2):
        enrol(forum_session, create_participant(f"Official {number}", group="government"), "invited")

    warnings = balance_queries.publish_warnings(forum_session.id, locale="ru")
    assert [(w.category, w.status, w.count_after) for w in warnings] == [("government", "over", 2),
                                                                         ("minorities", "under", 0)]
    assert warnings[0].category_name == "Правительство" and not warnings[0].changes


def test_pools_for_the_proportional_preset(create_session, create_participant, enrol):
    forum_session = create_session()
    enrol(forum_session, create_participant("A", group="uto"), "invited")
    enrol(forum_session, create_participant("B", group="uto"), "cancelled")
    create_participant("C", group="media")
    assert balance_queries.invited_pool(forum_session.id)["group"]["uto"] == 1
    register = balance_queries.register_pool()
    assert register["group"]["uto"] == 2 and register["group"]["media"] == 1 and register["group"]["military"] == 0
