"""Renaming, reordering and retiring dimensions and categories (issue 20, item 7)."""

import pytest
import sqlalchemy as sa

from forums import validation
from forums.balance.queries import session_balance
from forums.people import operations
from models import AuditEntry, Dimension, db
from tests.conftest import category, sign_in_without_password


def test_rename_keeps_the_key_and_is_audited(client, create_user) -> None:
    sign_in_without_password(client, create_user("organiser"))
    response = client.post("/staff/dimensions/group/edit?category=uto",
                           data={"name_en": "Opposition", "name_ru": "Оппозиция", "name_tg": "Мухолифат"})
    assert response.status_code == 302
    renamed = category("group", "uto")
    assert (renamed.name_en, renamed.name_ru, renamed.name_tg) == ("Opposition", "Оппозиция", "Мухолифат")
    assert db.session.scalar(sa.select(AuditEntry.detail).where(AuditEntry.action == "category.update")) \
        == "name_en,name_ru,name_tg"
    refused = client.post("/staff/dimensions/group/edit?category=uto", data={"name_en": ""})
    assert refused.status_code == 422 and category("group", "uto").name_en == "Opposition"


def test_reorder_swaps_neighbours_and_stops_at_the_ends(client, create_user) -> None:
    keys = lambda: [d.key for d in db.session.scalars(sa.select(Dimension).order_by(Dimension.position))]  # noqa: E731
    first, second = keys()[:2]
    sign_in_without_password(client, create_user("organiser"))
    assert client.post(f"/staff/dimensions/{second}/move/up").status_code == 302
    assert keys()[:2] == [second, first]
    client.post(f"/staff/dimensions/{second}/move/up")  # already first: nothing changes
    assert keys()[:2] == [second, first]


def test_a_retired_category_stays_on_records_and_reports_but_is_given_to_nobody_new(
        client, create_user, create_session, create_participant, create_registration) -> None:
    forum_session = create_session()
    holder = create_participant("Held Person", group="uto")
    create_registration(forum_session, holder, "invited")
    sign_in_without_password(client, create_user("organiser"))
    uto = category("group", "uto")
    client.post("/staff/dimensions/group/edit?category=uto", data={"name_en": uto.name_en, "is_retired": "y"})
    assert category("group", "uto").is_retired
    group = next(d for d in session_balance(forum_session.id, "invited").dimensions if d.key == "group")
    assert next(line.count for line in group.categories if line.key == "uto") == 1
    with pytest.raises(validation.ValidationFailed) as refused:
        operations.create_participant(operations.ParticipantInput("New Person", categories={"group": "uto"}))
    assert "categories.group" in refused.value.fields
    db.session.rollback()
    # The person who has it keeps it when their record is saved again.
    operations.update_participant(holder, operations.ParticipantInput("Held Person Renamed",
                                                                      categories={"group": "uto"}))
    db.session.commit()
    assert "(retired)" in client.get(f"/staff/participants/{holder.id}/edit").get_data(as_text=True)
