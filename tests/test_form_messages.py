"""Form messages in the reader's language, WTForms' and Flask-WTF's own included (forums.forms).

WTForms' catalogue has no Tajik, so before every form went through the app's catalogue a Tajik reader
saw "This field is required." and "Not a valid integer value." in English.
"""

import os
import re
from html import unescape
from pathlib import Path

import flask_wtf
import flask_wtf.csrf
import pytest
import wtforms
from babel.messages.extract import extract_from_dir
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf

from forums.forms import (
    CSRF_MESSAGES,
    WTFORMS_MESSAGES,
    WTFORMS_PLURAL_MESSAGES,
    ActionForm,
    AppForm,
    catalogue_translations,
)
from tests.conftest import TEST_YEAR, sign_in_without_password

#: what the reader must see, in each language
EXPECTED = {
    "tg": {
        "required": "Ин майдон ҳатмист.",
        "too long": "Матн набояд аз 200 аломат дарозтар бошад.",
        "not an integer": "Адади бутун ворид кунед.",
        "not a decimal": "Адад ворид кунед.",
        "bad choice": "Яке аз имконҳои пешниҳодшударо интихоб кунед.",
        "bad date": "Сана нодуруст аст.",
        "out of range": "Адад бояд аз 1 то 100000 бошад.",
        "bad choices": "«999999» барои ин майдон интихоби нодуруст аст.",
    },
    "ru": {
        "required": "Это поле обязательно.",
        "too long": "Значение должно быть не длиннее 200 символов.",
        "not an integer": "Введите целое число.",
        "not a decimal": "Введите число.",
        "bad choice": "Выберите один из предложенных вариантов.",
        "bad date": "Неверная дата.",
        "out of range": "Число должно быть от 1 до 100000.",
        "bad choices": "«999999» — недопустимый вариант для этого поля.",
    },
}
ENGLISH = {
    "required": "This field is required.",
    "too long": "Field cannot be longer than 200 characters.",
    "not an integer": "Not a valid integer value.",
    "not a decimal": "Not a valid decimal value.",
    "bad choice": "Not a valid choice.",
    "bad date": "Not a valid date value.",
    "out of range": "Number must be between 1 and 100000.",
    "bad choices": "&#39;999999&#39; is not a valid choice for this field.",
}


def session_data(forum_id, **overrides):
    """A valid session form."""
    data = {"forum_id": str(forum_id), "title": "Water and land", "starts_on": f"{TEST_YEAR}-12-03",
            "starts_time": "10:00", "ends_time": "13:00", "region": "kulyab", "capacity": "30", "visibility": "public"}
    data.update(overrides)
    return data


def errors_of(page):
    """The field errors shown on a page, unescaped, in one string (a field may show several)."""
    return " | ".join(unescape(text) for text in re.findall(r'<span class="error"[^>]*>(.*?)</span>', page))


def submit(client, create_user, create_forum, create_session, case, language):
    """Send a form with one bad value of ``case`` in ``language``; the page's field errors."""
    organiser = create_user("organiser")
    sign_in_without_password(client, organiser)
    forum = create_forum()
    lang = f"?lang={language}"
    if case == "required":
        response = client.post(f"/staff/forums/new{lang}", data={"title": "", "kind": "round_table"})
    elif case == "too long":
        response = client.post(f"/staff/forums/new{lang}", data={"title": "x" * 201, "kind": "round_table"})
    elif case == "bad choice":
        response = client.post(f"/staff/forums/new{lang}", data={"title": "Water", "kind": "tea_party"})
    elif case == "not an integer":
        response = client.post(f"/staff/sessions/new{lang}", data=session_data(forum.id, capacity="thirty"))
    elif case == "out of range":
        response = client.post(f"/staff/sessions/new{lang}", data=session_data(forum.id, capacity="0"))
    elif case == "bad date":
        response = client.post(f"/staff/sessions/new{lang}", data=session_data(forum.id, starts_on="soon"))
    elif case == "not a decimal":
        forum_session = create_session(forum=forum)
        response = client.post(f"/sessions/{forum_session.id}/policy{lang}",
                               data={"q-group-government-min_share": "a lot"})
    else:
        forum_session = create_session(forum=forum)
        response = client.post(f"/staff/sessions/{forum_session.id}/agenda{lang}",
                               data={"title": "Opening", "kind": "opening", "on": f"{TEST_YEAR}-12-03",
                                     "starts_time": "10:00", "ends_time": "10:30", "speaker_ids": ["999999"]})
    assert response.status_code == 422, response.status_code
    return errors_of(response.get_data(as_text=True)), response.get_data(as_text=True)


@pytest.mark.parametrize("language", ["tg", "ru"])
@pytest.mark.parametrize("case", list(ENGLISH))
def test_wtforms_messages_are_in_the_readers_language(client, create_user, create_forum, create_session,
                                                       case, language):
    errors, page = submit(client, create_user, create_forum, create_session, case, language)
    assert EXPECTED[language][case] in errors
    assert ENGLISH[case] not in page


def test_the_language_may_come_from_the_browser(client):
    response = client.post("/login", data={"email": "", "password": ""}, headers={"Accept-Language": "tg"})
    assert EXPECTED["tg"]["required"] in errors_of(response.get_data(as_text=True))


def test_the_sign_in_form_speaks_tajik_too(client):
    response = client.post("/login?lang=tg", data={"email": "x" * 250 + "@example.org", "password": "secret"})
    assert "Матн набояд аз 254 аломат дарозтар бошад." in errors_of(response.get_data(as_text=True))


def test_an_admin_form_refuses_a_bad_choice_in_tajik(client, create_user):
    sign_in_without_password(client, create_user("admin"))
    response = client.post("/admin/users/new?lang=tg", data={"email": "new@example.org", "role": "king",
                                                             "password": "a long enough passphrase 42"})
    assert EXPECTED["tg"]["bad choice"] in errors_of(response.get_data(as_text=True))


def test_query_string_forms_speak_tajik(client, create_user, create_session):
    forum_session = create_session()
    sign_in_without_password(client, create_user("organiser"))
    page = client.get(f"/staff/sessions/{forum_session.id}/selection?lang=tg&size=many").get_data(as_text=True)
    assert EXPECTED["tg"]["not an integer"] in errors_of(page)
    sign_in_without_password(client, create_user("admin"))
    page = client.get("/data/erase?lang=tg&participant_id=abc").get_data(as_text=True)
    # DataRequired replaces the parse error with its own message: still WTForms', still Tajik.
    assert errors_of(page) == EXPECTED["tg"]["required"]


# The form's own CSRF check (CSRFProtect refuses earlier in a real request; see the last test).

@pytest.mark.parametrize(("language", "missing"), [
    ("tg", "Токени CSRF нест. Саҳифаро навсозӣ кунед ва шаклро аз нав фиристед."),
    ("ru", "Нет токена CSRF. Обновите страницу и отправьте форму снова."),
])
def test_a_forms_csrf_refusal_is_translated(app, language, missing):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.test_request_context(f"/?lang={language}", method="POST", data={}):
        form = ActionForm()
        assert not form.validate()
        assert form.csrf_token.errors == [missing]


def test_a_forged_csrf_token_is_refused_in_tajik(app):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.test_request_context("/?lang=tg", method="POST", data={"csrf_token": "forged"}):
        generate_csrf()  # the session holds a real token
        form = ActionForm()
        assert not form.validate()
        assert form.csrf_token.errors == [
            "Токени CSRF беэътибор аст. Саҳифаро навсозӣ кунед ва шаклро аз нав фиристед."]


@pytest.mark.parametrize("language", ["en", "ru", "tg"])
def test_a_post_without_token_says_the_form_expired_and_nothing_was_saved(app, client, language):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/login?lang={language}", data={"email": "a@example.org", "password": "secret"})
    messages = ("This form has expired.", "Nothing was saved. Go back, reload the page and send the form again.")
    with app.test_request_context(f"/?lang={language}"):
        translated = [catalogue_translations.gettext(message) for message in messages]
    assert response.status_code == 400
    assert all(message in response.get_data(as_text=True) for message in translated)
    assert (translated == list(messages)) == (language == "en")


# Coverage: nothing WTForms or Flask-WTF can say is left out of the catalogue.

def library_messages():
    """Every message id WTForms and Flask-WTF ask their translations for, read from their sources."""
    singular, plural = set(), set()
    for package in (wtforms, flask_wtf):
        found = extract_from_dir(os.path.dirname(package.__file__), method_map=[("**.py", "python")],
                                 keywords={"gettext": None, "ngettext": (1, 2)})
        for _filename, _line, message, _comments, _context in found:
            (plural if isinstance(message, tuple) else singular).add(message)
    return singular, plural


def test_every_library_message_is_declared():
    singular, plural = library_messages()
    assert len(singular) > 30 and plural, "the extraction found too little: did WTForms move its sources?"
    assert singular - set(WTFORMS_MESSAGES) == set()
    assert plural - set(WTFORMS_PLURAL_MESSAGES) == set()


def test_flask_wtf_still_gives_the_csrf_reasons_we_translate():
    source = Path(flask_wtf.csrf.__file__).read_text(encoding="utf-8")
    raised = set(re.findall(r'raise ValidationError\("([^"]+)"\)', source))
    assert raised == set(CSRF_MESSAGES)


@pytest.mark.parametrize("language", ["tg", "ru"])
def test_every_declared_message_is_translated(app, language):
    with app.test_request_context(f"/?lang={language}"):
        untranslated = [message for message in (*WTFORMS_MESSAGES, *CSRF_MESSAGES)
                        if catalogue_translations.gettext(message) == message]
        untranslated += [pair for pair in WTFORMS_PLURAL_MESSAGES
                         if catalogue_translations.ngettext(*pair, 1) == pair[0]
                         or catalogue_translations.ngettext(*pair, 5) == pair[1]]
    assert untranslated == []


def subclasses(cls):
    """Every subclass of ``cls``, however deep."""
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


def test_every_form_of_the_app_uses_the_catalogue(app):
    forms = {cls for cls in subclasses(FlaskForm) if cls.__module__.startswith("forums.")}
    assert len(forms) > 20
    assert sorted(cls.__qualname__ for cls in forms if not issubclass(cls, AppForm)) == []
