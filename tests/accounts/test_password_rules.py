"""The password rules, without an app: long guessable passwords are refused, passphrases are not (ASVS 6.2)."""

import pytest

from forums.accounts import password_rules
from forums.accounts.password_rules import COMMON, FEW_CHARACTERS, PREDICTABLE, TOO_LONG, TOO_SHORT, weakness
from forums.accounts.passwords import COMMON_PASSWORDS


@pytest.mark.parametrize("password, reason", [
    ("aaaaaaaaaaaa", FEW_CHARACTERS),
    ("abababababababab", FEW_CHARACTERS),
    ("x" * 64, FEW_CHARACTERS),
    ("Password1234", PREDICTABLE),
    ("P@ssw0rd2024!", PREDICTABLE),
    ("iloveyou1234", PREDICTABLE),
    ("monkeymonkey", PREDICTABLE),
    ("qwertyuiopasdf", PREDICTABLE),
    ("1qaz2wsx3edc4rfv", PREDICTABLE),
    ("abcdefghijklm", PREDICTABLE),
    ("98765432109876", PREDICTABLE),
    ("Summer2024!!", PREDICTABLE),
    ("xqzjwxqzjwxqzjw", PREDICTABLE),
    ("йцукенгшщзхъ", PREDICTABLE),
    ("Q1w2e3r4t5y6", COMMON),
    ("1qaz2wsx3edc", COMMON),
    ("short1!", TOO_SHORT),
    ("p" * 10 + "ass phrase" * 30, TOO_LONG),
])
def test_guessable_passwords_are_refused_with_their_reason(password, reason):
    assert weakness(password, COMMON_PASSWORDS) == reason


@pytest.mark.parametrize("password", [
    "correct horse battery staple",
    "Ёлка-ҷӯй water by the Vakhsh river, seven bridges & two mountains!"[:64],
    "a long enough passphrase",
    "Dushanbe-Khorog by night",
    "x" * 40 + " a long one from a password manager",
    "k3J!9vQz#Lm2",
    "Мизи мудаввар дар Хоруғ",
    "7Gq2-rTe9-vXa4-pLm8",
])
def test_passphrases_and_random_passwords_are_accepted(password):
    assert weakness(password, COMMON_PASSWORDS) is None


def test_the_unpredictable_part_ignores_words_runs_and_repeats_wherever_they_stand():
    assert password_rules.unpredictable_characters("zzkaqmonkey12345", COMMON_PASSWORDS) == len("zzkaq") - 1
    assert password_rules.unpredictable_characters("river seven mountains", frozenset()) == 21


def test_the_rules_need_no_list_to_refuse_runs_and_repeats():
    assert weakness("aaaaaaaaaaaa", frozenset()) == FEW_CHARACTERS
    assert weakness("asdfghjkl;'qwerty", frozenset()) == PREDICTABLE
