"""The interface in English, Russian and Tajik: complete catalogues, the reader's choice, local formats."""

from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from models import AgendaItem, AgendaKind, db
from tests.conftest import TEST_YEAR

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
LANGUAGES = ("ru", "tg")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory):
    """Every message in the code and templates now, extracted as the translators' command does."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l",
                                "-o", str(pot), str(ROOT)])
    with pot.open("rb") as handle:
        return read_po(handle)


def catalogue(language: str):
    """The .po catalogue of ``language``."""
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def hashable(value):
    """Plural ids and strings come as lists from .mo files and tuples from .po files."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def is_translated(message) -> bool:
    """A message counts once every form has text and no translator flagged it as a guess."""
    forms = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return not message.fuzzy and all(forms)


def test_extraction_finds_the_interface(extracted):
    ids = {message.id if isinstance(message.id, str) else message.id[0] for message in extracted if message.id}
    assert {"Upcoming sessions", "Your sessions", "Accept", "Decline"} <= ids


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_has_a_translation(extracted, language):
    translations = catalogue(language)
    missing = [message.id for message in extracted
               if message.id and not (translations.get(message.id) and is_translated(translations.get(message.id)))]
    assert missing == [], (
        f"{len(missing)} messages lack a {language} translation: run the commands in babel.cfg's "
        f"header, then `pybabel update -i translations/messages.pot -d translations`, translate, compile")


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder(language):
    problems = [(message.id, [str(error) for error in errors]) for message, errors in catalogue(language).check()]
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_the_po_file(language):
    expected = {hashable(message.id): hashable(message.string) for message in catalogue(language)
                if message.id and is_translated(message)}
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        compiled = {hashable(message.id): hashable(message.string) for message in read_mo(handle) if message.id}
    assert compiled == expected, f"run `pybabel compile -d translations` after editing the {language} catalogue"


def test_language_from_the_browser(client):
    page = client.get("/login", headers={"Accept-Language": "tg, ru;q=0.8"}).get_data(as_text=True)
    assert '<html lang="tg">' in page


def test_chosen_language_is_remembered(client):
    client.get("/?lang=ru")
    page = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ru">' in page


@pytest.mark.parametrize(("language", "translated"),
                         [("ru", "Предстоящие заседания"), ("tg", "Ҷаласаҳои дарпешистода")])
def test_interface_text_is_translated(client, language, translated):
    assert translated in client.get(f"/?lang={language}").get_data(as_text=True)


def test_dates_are_written_for_the_reader(client, create_session):
    forum_session = create_session()
    russian = client.get(f"/sessions/{forum_session.id}?lang=ru").get_data(as_text=True)
    english = client.get(f"/sessions/{forum_session.id}?lang=en").get_data(as_text=True)
    assert f"3 дек. {TEST_YEAR}" in russian and "10:00" in russian
    assert f"Dec 3, {TEST_YEAR}" in english


def test_session_texts_follow_the_reader_with_a_fallback(client, create_session):
    forum_session = create_session(
        title="Water and land", description="Irrigation in the valleys",
        translations={"ru": {"title": "Вода и земля", "description": "Орошение в долинах"}},
    )
    db.session.add(AgendaItem(forum_session=forum_session, title="Opening", kind=AgendaKind.opening,
                              translations={"tg": {"title": "Кушоиш"}},
                              starts_at=forum_session.starts_at, ends_at=forum_session.ends_at))
    db.session.commit()

    russian = client.get(f"/sessions/{forum_session.id}?lang=ru").get_data(as_text=True)
    tajik = client.get(f"/sessions/{forum_session.id}?lang=tg").get_data(as_text=True)

    assert "Вода и земля" in russian and "Орошение в долинах" in russian and "Opening" in russian
    assert "Water and land" in tajik and "Irrigation in the valleys" in tajik and "Кушоиш" in tajik
