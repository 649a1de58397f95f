"""Forum titles and descriptions, and session venues, in Russian and Tajik (issue 20, item 7)."""

from forums.sessions import operations
from models import Forum, ForumSession, db
from tests.conftest import sign_in_without_password


def test_a_forum_is_translated_and_shown_in_the_readers_language(client, create_user, create_session) -> None:
    forum_session = create_session(title="Water and land")
    sign_in_without_password(client, create_user("organiser"))
    forum = forum_session.forum
    response = client.post(f"/staff/forums/{forum.id}/edit", data={
        "title": "Discussion Club", "title_ru": "Дискуссионный клуб", "title_tg": "Клуби баҳс",
        "kind": "discussion_club", "description": "", "version": str(forum.version)})
    assert response.status_code == 302
    assert db.session.get(Forum, forum.id).translations == {"ru": {"title": "Дискуссионный клуб"},
                                                            "tg": {"title": "Клуби баҳс"}}
    assert "Клуби баҳс" in client.get(f"/sessions/{forum_session.id}?lang=tg").get_data(as_text=True)
    assert "Клуби баҳс" in client.get(f"/staff/forums/{forum.id}/edit").get_data(as_text=True)


def test_a_session_venue_is_translated(client, create_user, create_session) -> None:
    forum_session = create_session(title="Water and land")
    sign_in_without_password(client, create_user("organiser"))
    page = client.get(f"/staff/sessions/{forum_session.id}/edit").get_data(as_text=True)
    assert 'name="venue_ru"' in page and 'name="venue_tg"' in page
    operations.update_session(forum_session, {"translations": {"ru": {"venue": "Гостиница Таджикистан"}}})
    db.session.commit()
    assert db.session.get(ForumSession, forum_session.id).localized("venue", "ru") == "Гостиница Таджикистан"
    assert "Гостиница Таджикистан" in client.get(f"/sessions/{forum_session.id}?lang=ru").get_data(as_text=True)
