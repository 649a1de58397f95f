"""The audit log in plain words (issue 20, item 9): objects by name with a link, a search by the words of
the descriptions, and which fields a change changed, never their values."""

from forums.people import operations
from models import AuditEntry, db
from tests.conftest import sign_in_without_password


def test_entries_name_their_objects_and_link_to_them(client, create_user, create_session, create_participant) -> None:
    forum_session = create_session(title="Water and land")
    person = create_participant("Rahimova Nigora")
    db.session.add_all([
        AuditEntry(actor="cli", action="session.cancel", object_type="session", object_id=forum_session.id),
        AuditEntry(actor="cli", action="participant.read", object_type="participant", object_id=person.id),
        AuditEntry(actor="cli", action="forum.update", object_type="forum", object_id=999999),
    ])
    db.session.commit()
    sign_in_without_password(client, create_user("admin"))
    page = client.get("/admin/audit").get_data(as_text=True)
    assert f'<a href="/staff/sessions/{forum_session.id}">Water and land</a>' in page
    # A person by number, linked to their (audited) record: the log copies no name out of the register.
    assert f'<a href="/staff/participants/{person.id}">Person {person.id}</a>' in page
    assert "Rahimova" not in page
    assert "Forum 999999" in page  # gone: named by type and number, no link


def test_the_log_is_searched_by_the_words_of_its_descriptions(client, create_user) -> None:
    db.session.add_all([AuditEntry(actor="cli", action="session.cancel", object_type="session", object_id=1),
                        AuditEntry(actor="cli", action="auth.login")])
    db.session.commit()
    sign_in_without_password(client, create_user("admin"))
    found = client.get("/admin/audit?words=cancelled+session").get_data(as_text=True)
    assert "<code>session.cancel</code>" in found and "<code>auth.login</code>" not in found
    russian = client.get("/admin/audit?lang=ru&words=отмена").get_data(as_text=True)
    assert "<code>session.cancel</code>" in russian and "<code>auth.login</code>" not in russian
    assert "No entries match" in client.get("/admin/audit?lang=en&words=zzz").get_data(as_text=True)


def test_a_change_says_which_fields_it_changed_and_not_their_values(client, create_user, create_participant) -> None:
    person = create_participant("Rahimova Nigora", organisation="Union")
    operations.update_participant(person, operations.ParticipantInput("Rahimova Nigora", organisation="Academy",
                                                                      phone="+992900000111",
                                                                      categories={"group": "media"}))
    db.session.commit()
    sign_in_without_password(client, create_user("admin"))
    page = client.get("/admin/audit?object=participant").get_data(as_text=True)
    assert "Changed: organisation, phone, categories" in page
    assert "Academy" not in page and "900000111" not in page
