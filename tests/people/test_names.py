"""Name folding: one search key for Russian, Tajik and Latin spellings of a name."""

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forums.people.names import likely_duplicates, matches, search_key, similarity

# Fictional names, each written as staff would type it in Cyrillic and in Latin.
NAME_PAIRS = [
    ("Раҳимова", "Rahimova"),
    ("Шарипов", "Sharipov"),
    ("Ҷураев", "Juraev"),
    ("Қодирова", "Qodirova"),
    ("Ғафуров", "Gafurov"),
    ("Хуҷаев", "Khujaev"),
    ("Зиёев", "Ziyoev"),
    ("Юсупова", "Yusupova"),
    ("Ёқубов", "Yoqubov"),
    ("Иброҳимов", "Ibrohimov"),
    ("Шоҳиён", "Shohiyon"),
    ("Ҳакимова", "Hakimova"),
    ("Назаров", "Nazarov"),
    ("Саидова", "Saidova"),
    ("Мирзоев", "Mirzoev"),
    ("Турсунзода", "Tursunzoda"),
    ("Чоршанбиев", "Chorshanbiev"),
    ("Нигора", "Nigora"),
    ("Фирӯза", "Firuza"),
    ("Зулфия", "Zulfiya"),
    ("Муҳаммадҷон", "Muhammadjon"),
    ("Бахтиёр", "Bakhtiyor"),
    ("Ҷамшед", "Jamshed"),
    ("Сӯҳроб", "Suhrob"),
    ("Маҳмадалӣ", "Mahmadali"),
    ("Ғуломова", "Ghulomova"),
    ("Исмоилова", "Ismoilova"),
    ("Қурбонов", "Qurbonov"),
    ("Ҳайдаров", "Haydarov"),
    ("Ашӯров", "Ashurov"),
    ("Шамсиддинова", "Shamsiddinova"),
    ("Эшонов", "Eshonov"),
    ("Ятимова", "Yatimova"),
    ("Ҳусейнов", "Huseynov"),
    ("Шаъбонов", "Sha'bonov"),
    ("Давлатова Мавҷуда", "Davlatova Mavjuda"),
]


@pytest.mark.parametrize(("cyrillic", "latin"), NAME_PAIRS)
def test_cyrillic_and_latin_spellings_share_a_key(cyrillic, latin):
    assert search_key(cyrillic) == search_key(latin)


@pytest.mark.parametrize(
    "spellings",
    [
        # Case and accents do not matter.
        ("Раҳимова", "Rahimova", "RAHIMOVA", "rahimová", "Rakhimova", "Рахимова"),
        ("Шарипов", "Sharipov", "SHARIPOV", "Şaripov", "Šaripov"),
        # Tajik ҷ, Russian дж and their romanisations.
        ("Ҷураев", "Juraev", "Dzhuraev", "Djuraev", "Джураев", "Jurayev"),
        ("Қодирова", "Qodirova", "Kodirova", "Кодирова"),
        ("Ғафуров", "Gafurov", "Ghafurov", "G'afurov", "Гафуров"),
        ("Хуҷаев", "Khujaev", "Hujaev", "Худжаев"),
        ("Ёқубов", "Yoqubov", "Yokubov", "Ёкубов"),
        ("Ҳакимова", "Hakimova", "Khakimova", "Хакимова"),
        ("Мирзоев", "Mirzoev", "Mirzoyev"),
        ("Сергей", "Sergey", "Sergei", "СЕРГЕЙ"),
        ("Евгений", "Yevgeniy", "Evgeny", "Evgenii"),
        ("Алексеев", "Alekseev", "Alexeev", "Alekseyev"),
        ("Щукин", "Shchukin", "Schukin", "Shukin"),
        ("Цой", "Tsoy", "Tsoi"),
        ("Жуков", "Zhukov", "Jukov"),
        ("Ильич", "Ilyich", "Ilich"),
        ("Мухаммаджон", "Муҳаммадҷон", "Muhammadjon", "Mukhammadzhon"),
        ("Турсунзода", "Tursun-zoda", "Tursunzoda"),
    ],
)
def test_common_romanisations_collide(spellings):
    keys = {search_key(spelling) for spelling in spellings}
    assert len(keys) == 1, keys


def test_different_names_keep_different_keys():
    names = ["Раҳимова", "Раҳмонов", "Шарипов", "Шарифов", "Саидова", "Содиқова", "Назаров"]
    assert len({search_key(name) for name in names}) == len(names)


def test_key_is_lowercase_ascii_words_separated_by_single_spaces():
    key = search_key("  Раҳимова,\tНигора  (Саидовна)\n№ 2; O'Brien-Smith ")
    assert key == "rahimova nigora saidovna no 2 obriensmith"


@given(st.text())
def test_any_text_gives_a_like_safe_key(text):
    key = search_key(text)
    assert re.fullmatch(r"([a-z0-9]+( [a-z0-9]+)*)?", key)
    assert search_key(text) == key


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("rahimova", "Раҳимова Нигора"),
        ("Шарипов", "Sharipov Daler"),
        ("rah", "Раҳимова Нигора"),
        ("nig rah", "Раҳимова Нигора"),
        ("Нигора", "Rahimova Nigora"),
        ("muhammad", "Муҳаммадҷон Ғафуров"),
        ("jur", "Dzhuraev Said"),
        ("", "Anyone"),
    ],
)
def test_query_words_found_in_the_key(query, name):
    assert matches(query, search_key(name))


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("rahimova", "Раҳмонов Саид"),
        ("nigora said", "Раҳимова Нигора"),
        ("sharipova", "Sharipov Daler"),
    ],
)
def test_query_with_a_missing_word_does_not_match(query, name):
    assert not matches(query, search_key(name))


def test_similarity_ignores_script_case_and_word_order():
    assert similarity("Rahimova Nigora", "Раҳимова Нигора") == 1.0
    assert similarity("Rahimova Nigora", "NIGORA RAHIMOVA") == 1.0
    assert similarity("", "Rahimova") == 0.0


def test_similarity_is_symmetric_and_higher_for_closer_names():
    close = similarity("Rahimova Nigora", "Rahimva Nigora")
    far = similarity("Rahimova Nigora", "Rahmonov Said")
    assert close == similarity("Rahimva Nigora", "Rahimova Nigora")
    assert 0.0 <= far < close < 1.0


REGISTER = [
    (1, "Раҳимова Нигора"),
    (2, "Nigora Rahimova"),
    (3, "Rahmonov Said"),
    (4, "Шарипов Далер"),
    (5, "Раҳимова Нигора Саидовна"),
    (6, "Nigora"),
]


def test_walk_in_finds_the_same_person_in_either_script_and_order():
    found = dict(likely_duplicates("Rahimova Nigora", REGISTER))
    assert found.keys() == {1, 2, 5}
    assert found[1] == found[2] == 1.0


def test_duplicates_are_sorted_best_first():
    found = likely_duplicates("Rahimova Nigora", REGISTER)
    scores = [score for _, score in found]
    assert scores == sorted(scores, reverse=True)
    assert found[-1][0] == 5


def test_tajik_and_russian_forms_of_a_surname_are_duplicates():
    assert [found_id for found_id, _ in likely_duplicates("Rakhmanov Said", REGISTER)] == [3]


def test_threshold_controls_how_close_a_hint_must_be():
    assert likely_duplicates("Rahimova Nigora", REGISTER, threshold=1.0) == [(1, 1.0), (2, 1.0)]
    assert likely_duplicates("Sharipov Daler", REGISTER) == [(4, 1.0)]
    assert likely_duplicates("Qodirova Mavjuda", REGISTER) == []


@pytest.mark.parametrize("name", ["Ҳусейнов", "Ёқубов", "Маҳмадалӣ", "Ашӯров", "Rahimová"])
def test_decomposed_input_gives_the_same_key(name):
    assert search_key(unicodedata.normalize("NFD", name)) == search_key(name)
