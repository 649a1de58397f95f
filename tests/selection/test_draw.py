"""Balanced invitations from the database: the pool, kept and closed people, quotas, audit, confirming."""

from collections import Counter

import pytest
import sqlalchemy as sa

from forums.balance import policies
from forums.balance.rules import Quota
from forums.people.names import search_key
from forums.selection.draw import (
    PanelChanged,
    PanelSpec,
    PoolError,
    confirm_panel,
    draw_panel,
    panel_balance,
)
from forums.selection.rules import WAITLIST, count_quotas
from forums.selection.solver import CountQuota, InfeasibleSelection
from models import (
    AuditEntry,
    Category,
    Participant,
    ParticipantCategory,
    Registration,
    RegistrationStatus,
    db,
)
from tests.conftest import category

GROUPS = ("government", "uto", "minorities", "business")


def add_person(number: int, status: str | None = None, forum_session=None, organisation: str = "",
               **categories: str) -> Participant:
    """One participant (optionally registered for ``forum_session`` with ``status``); not committed."""
    values = {"group": GROUPS[number % len(GROUPS)], "region": "dushanbe",
              "gender": ("woman", "man")[number % 2], **categories}
    name = f"Pool person {number}"
    participant = Participant(name=name, search_key=search_key(name), organisation=organisation)
    for dimension_key, category_key in values.items():
        chosen = category(dimension_key, category_key)
        participant.categories.append(ParticipantCategory(dimension_id=chosen.dimension_id, category_id=chosen.id))
    db.session.add(participant)
    if status is not None:
        db.session.add(Registration(forum_session=forum_session, participant=participant,
                                    status=RegistrationStatus(status)))
    return participant


@pytest.fixture
def pool_of(app):
    """``pool_of(count, status=None, forum_session=None, **categories)``: committed people, their ids."""
    counter = iter(range(10_000))

    def _pool(count: int, status: str | None = None, forum_session=None, **categories: str) -> list[int]:
        people = [add_person(next(counter), status, forum_session, **categories) for _ in range(count)]
        db.session.commit()
        return [person.id for person in people]

    return _pool


def save_policy(owner, *quotas: Quota) -> None:
    """Store a policy that must be valid."""
    assert policies.save_policy(owner, list(quotas), policies.load_catalogue()) == []
    db.session.commit()


def group_counts(ids) -> Counter:
    """People per group key among ``ids``."""
    return Counter(db.session.scalars(
        sa.select(Category.key).join(ParticipantCategory, ParticipantCategory.category_id == Category.id)
        .where(ParticipantCategory.participant_id.in_(list(ids)),
               Category.dimension_id == category("group", "uto").dimension_id)))


def statuses(forum_session) -> dict[int, RegistrationStatus]:
    db.session.expire_all()
    return dict(db.session.execute(sa.select(Registration.participant_id, Registration.status)
                                   .where(Registration.session_id == forum_session.id)).all())


def test_shares_become_counts_rounded_inwards_and_counts_pass_through():
    quotas = [
        Quota("group", "uto", min_share=0.25, max_share=0.3),     # 40: at least 10, at most 12 (0.3 is exactly 3/10)
        Quota("group", "government", min_count=3, min_share=0.05, max_count=20, max_share=0.45),
        Quota("region", "kulyab", target_share=0.1),               # limits nothing
        Quota("gender", "woman", min_share=1 / 3),                 # ceil(40/3) = 14
    ]
    assert count_quotas(quotas, 40) == (
        CountQuota("group", "uto", 10, 12),
        CountQuota("group", "government", 3, 18),
        CountQuota("gender", "woman", 14, None),
    )
    assert count_quotas([Quota("group", "uto", min_share=0.3)], 30) == (CountQuota("group", "uto", 9, None),)


def test_a_waitlist_draw_meets_the_policy_and_records_its_seed(create_session, pool_of):
    forum_session = create_session(capacity=30)
    waitlist = pool_of(24, "waitlisted", forum_session)
    pool_of(5)  # in the register, not on the waitlist
    save_policy(forum_session, Quota("group", "uto", min_count=2, max_count=2),
                Quota("gender", "woman", min_share=0.5))

    draw = draw_panel(PanelSpec(forum_session.id, WAITLIST, size=8, seed=41))
    db.session.commit()

    assert len(draw.result.selected) == 8 and set(draw.result.selected) <= set(waitlist)
    assert set(draw.result.probabilities) == set(waitlist)
    assert group_counts(draw.result.selected)["uto"] == 2
    report = panel_balance(draw)
    assert report.ok and report.total == 8
    assert draw_panel(PanelSpec(forum_session.id, WAITLIST, size=8, seed=41)).result.selected == draw.result.selected
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "selection.run")).first()
    assert entry.object_type == "session" and entry.object_id == forum_session.id
    assert "seed=41 size=8 algorithm=maximin pool=24" in entry.detail


def test_people_holding_an_invitation_sit_on_every_panel_and_count_toward_the_size(create_session, pool_of):
    forum_session = create_session()
    invited = pool_of(2, "invited", forum_session) + pool_of(1, "confirmed", forum_session)
    candidates = pool_of(10)
    draw = draw_panel(PanelSpec(forum_session.id, tuple(candidates), size=6, seed=3))
    assert set(invited) <= set(draw.result.selected) and len(draw.result.selected) == 6
    assert all(draw.result.probabilities[pid] == 1.0 for pid in invited)
    assert set(draw.newcomers) == set(draw.result.selected) - set(invited)
    assert draw.result.min_probability == pytest.approx(3 / 10)


def test_people_who_declined_or_were_excluded_are_never_drawn(create_session, pool_of):
    forum_session = create_session()
    declined = pool_of(2, "declined", forum_session)
    cancelled = pool_of(1, "cancelled", forum_session)
    others = pool_of(6)
    excluded = others[0]
    pool = tuple(declined + cancelled + others)
    draw = draw_panel(PanelSpec(forum_session.id, pool, size=5, seed=1, exclude=frozenset({excluded})))
    assert set(draw.result.selected) == set(others) - {excluded}
    assert all(draw.result.probabilities[pid] == 0.0 for pid in [*declined, *cancelled, excluded])
    assert draw.closed == set(declined + cancelled)


def test_bad_pools_and_exclusions_are_refused_with_the_field_at_fault(create_session, pool_of):
    forum_session = create_session()
    invited = pool_of(1, "invited", forum_session)[0]
    people = pool_of(3)
    with pytest.raises(PoolError) as unknown:
        draw_panel(PanelSpec(forum_session.id, (*people, 999_999), size=2, seed=0))
    assert (unknown.value.field, unknown.value.code, unknown.value.ids) == ("pool", "unknown_people", (999_999,))
    with pytest.raises(PoolError) as outside:
        draw_panel(PanelSpec(forum_session.id, tuple(people[:2]), size=2, seed=0, exclude=frozenset({people[2]})))
    assert (outside.value.field, outside.value.code) == ("exclude", "exclude_outside_pool")
    with pytest.raises(PoolError) as kept:
        draw_panel(PanelSpec(forum_session.id, tuple(people), size=2, seed=0, exclude=frozenset({invited})))
    assert kept.value.code == "exclude_kept"


def test_the_organisation_cap_ignores_case_and_spacing(create_session):
    forum_session = create_session()
    same = [add_person(n, organisation=name) for n, name in
            enumerate(["Academy of Sciences", "academy of  sciences", " ACADEMY OF SCIENCES"])]
    other = [add_person(10 + n, organisation=f"Union {n}") for n in range(3)]
    db.session.commit()
    pool = tuple(person.id for person in same + other)
    draw = draw_panel(PanelSpec(forum_session.id, pool, size=4, seed=5, max_per_organisation=1))
    assert len(set(draw.result.selected) & {person.id for person in same}) == 1


def test_quotas_the_pool_cannot_meet_are_reported_with_a_relaxation(create_session, pool_of):
    forum_session = create_session()
    pool = pool_of(1, group="uto") + pool_of(8, group="government")
    save_policy(forum_session, Quota("group", "uto", min_count=3))
    with pytest.raises(InfeasibleSelection) as refused:
        draw_panel(PanelSpec(forum_session.id, tuple(pool), size=6, seed=0))
    assert refused.value.reason == "quotas_conflict"
    assert [(r.quota.category, r.lower_min_by) for r in refused.value.relaxation] == [("uto", 2)]


def test_confirming_invites_the_newcomers_in_one_go_and_is_audited(create_session, pool_of):
    forum_session = create_session(capacity=4)
    kept = pool_of(1, "registered", forum_session)
    waitlisted = pool_of(3, "waitlisted", forum_session)
    fresh = pool_of(4)
    spec = PanelSpec(forum_session.id, tuple(waitlisted + fresh), size=5, seed=11)
    shown = draw_panel(spec).result.selected
    db.session.commit()

    draw = confirm_panel(spec, shown)
    db.session.commit()

    after = statuses(forum_session)
    assert set(shown) == set(draw.result.selected) and set(kept) <= set(shown)
    assert {pid for pid, status in after.items() if status is RegistrationStatus.invited} == set(shown) - set(kept)
    assert after[kept[0]] is RegistrationStatus.registered
    unchosen = set(waitlisted) - set(shown)
    assert all(after[pid] is RegistrationStatus.waitlisted for pid in unchosen)
    assert all(pid not in after for pid in set(fresh) - set(shown))
    confirmed = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "selection.confirm")).one()
    assert "seed=11" in confirmed.detail and f"invited={len(shown) - 1}" in confirmed.detail


def test_confirming_a_panel_other_than_the_one_drawn_changes_nothing(create_session, pool_of):
    forum_session = create_session()
    pool = tuple(pool_of(8))
    spec = PanelSpec(forum_session.id, pool, size=3, seed=2)
    shown = set(draw_panel(spec).result.selected)
    db.session.commit()
    with pytest.raises(PanelChanged):
        confirm_panel(spec, sorted(set(pool) - shown)[:3])
    db.session.rollback()
    assert statuses(forum_session) == {}
