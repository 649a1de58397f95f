"""How guessable a password is, judged without an app: the rules behind ``forums.accounts.passwords``.

A list of common passwords alone says little about passwords of 12 characters or more: almost every
entry of the 3,000 in ``common-passwords.txt`` is shorter, so ``Password1234`` or ``aaaaaaaaaaaa`` pass
it. What makes such a password guessable is that it is built from predictable pieces, the pieces
cracking tools try first (as zxcvbn estimates them, in a much smaller form). Here every character of
the password that belongs to one of these pieces is marked:

- a common password or word of 4 or more letters from the list, also when written with digits or
  symbols for letters (``P@ssw0rd``);
- a run of 3 or more keys along a keyboard row, down its columns or zigzagging between two rows
  (``qwerty``, ``1qaz2wsx``, ``q1w2e3``), or along the alphabet or the digits (``abcd``, ``9876``), either way;
- a repeat of the characters just before it (``aaaa``, ``abcabc``, ``2024 2024``).

A password is refused when it is in the list outright (``COMMON``), when it uses fewer than
``MIN_DISTINCT`` different characters (``FEW_CHARACTERS``), or when fewer than ``MIN_UNPREDICTABLE`` of
its characters are left unmarked (``PREDICTABLE``): a year, a ``!`` and a common word are not a password.
A passphrase of a few unrelated words keeps most of its characters and passes.
"""

from collections.abc import Iterable

MIN_LENGTH = 12
MAX_LENGTH = 256
#: fewer different characters than this is a refusal whatever the length (``aaaaaaaaaaaa``, ``abababab...``)
MIN_DISTINCT = 5
#: characters that must be left once common words, runs and repeats are marked
MIN_UNPREDICTABLE = 8
#: list entries shorter than this are not looked for inside a password: "123" or "abc" are runs anyway,
#: and two- or three-letter words would mark half of any passphrase
MIN_WORD_LENGTH = 4

TOO_SHORT, TOO_LONG, COMMON, FEW_CHARACTERS, PREDICTABLE = "too_short", "too_long", "common", "few_characters", \
    "predictable"

#: the lines a run may follow, each also read backwards
RUNS = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/",
    "q1w2e3r4t5y6u7i8o9p0", "1q2w3e4r5t6y7u8i9o0p",
    "qazwsxedcrfvtgbyhnujmik,ol.p;/", "zaqxswcdevfrbgtnhymju,ki.lo/;p",
    "йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю",
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
)
RUN_LINES = RUNS + tuple(line[::-1] for line in RUNS)
#: what people type for a letter; read back as the letter before words are looked for
LOOKALIKES = str.maketrans({"@": "a", "4": "a", "3": "e", "1": "i", "!": "i", "0": "o", "5": "s", "$": "s",
                            "7": "t"})


def _mark_words(text: str, words: Iterable[str], marked: list[bool]) -> None:
    for word in words:
        start = text.find(word)
        while start != -1:
            marked[start:start + len(word)] = [True] * len(word)
            start = text.find(word, start + 1)


def _mark_runs(text: str, marked: list[bool]) -> None:
    for start in range(len(text) - 2):
        end = start + 3
        if not any(text[start:end] in line for line in RUN_LINES):
            continue
        while end < len(text) and any(text[start:end + 1] in line for line in RUN_LINES):
            end += 1
        marked[start:end] = [True] * (end - start)


def _mark_repeats(text: str, marked: list[bool]) -> None:
    """Mark every chunk that repeats the chunk just before it (the first copy stays unmarked)."""
    for start in range(1, len(text)):
        for size in range(1, min(start, len(text) - start) + 1):
            if text[start:start + size] == text[start - size:start]:
                marked[start:start + size] = [True] * size


def unpredictable_characters(password: str, common: Iterable[str]) -> int:
    """How many characters of ``password`` belong to no common word, keyboard or alphabet run, or repeat."""
    text = password.lower()
    marked = [False] * len(text)
    words = [word for word in common if len(word) >= MIN_WORD_LENGTH]
    _mark_words(text, words, marked)
    _mark_words(text.translate(LOOKALIKES), words, marked)
    _mark_runs(text, marked)
    _mark_repeats(text, marked)
    return marked.count(False)


def weakness(password: str, common: frozenset[str]) -> str | None:
    """Why ``password`` is refused (one of the codes above), or None when it is acceptable.

    ``common`` holds the common passwords in lower case.
    """
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    if password.lower() in common:
        return COMMON
    if len(set(password.lower())) < MIN_DISTINCT:
        return FEW_CHARACTERS
    if unpredictable_characters(password, common) < MIN_UNPREDICTABLE:
        return PREDICTABLE
    return None
