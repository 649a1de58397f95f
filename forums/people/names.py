"""Fold people's names into one search key across Russian, Tajik and Latin spellings.

Facilitators type whatever their keyboard offers: ``rahimova`` must find ``Раҳимова``,
``Шарипов`` must find ``Sharipov``. Names are therefore reduced to a lossy, phonetic,
lowercase ASCII key that is stored beside each name and searched with SQL ``LIKE``.

Rules of :func:`search_key`, applied in this order:

1. Unicode NFKC, then case folding (``Ё`` -> ``ё``, ``ß`` -> ``ss``, ``№`` -> ``no``).
2. Cyrillic letters are transliterated to a simple Latin:
   а a, б b, в v, г g, ғ gh, д d, е e, ё yo, ж zh, з z, и i, ӣ i, й y, к k, қ q, л l, м m,
   н n, о o, п p, р r, с s, т t, у u, ӯ u, ф f, х kh, ҳ h, ц ts, ч ch, ҷ j, ш sh,
   щ shch, ъ and ь dropped, ы y, э e, ю yu, я ya (plus і ї є ў ң ә ө ү һ of neighbouring
   alphabets). Latin letters whose diacritic changes the sound are spelled out the
   same way: ş ș š -> sh, ç č -> ch, ž -> zh; ı ł ø đ æ œ get their plain letters.
3. NFKD, then every combining mark is dropped (``Rahimová`` -> ``rahimova``).
4. Apostrophes and hyphens are removed without a gap (``Sha'bon``, ``G'ulomov``,
   ``Tursun-zoda``); any other character that is not a-z or 0-9 becomes a space.
5. Each word is folded, one rule after the other, so that common romanisations collide:
   ``shch``/``sch`` -> ``sh``; ``q`` -> ``k`` (Қодиров = Qodirov = Kodirov);
   ``x`` -> ``ks`` (Alexeev = Алексеев); ``j``, ``zh``, ``dj``, ``dzh`` -> ``dj``
   (Ҷураев = Juraev = Dzhuraev = Djuraev = Джураев; spelling the sound ``dj`` rather
   than ``j`` keeps the ``d`` of Muhammad in Muhammadjon); ``kh`` -> ``h``
   (Хуҷаев = Khujaev = Hujaev); ``gh`` -> ``g`` (Ғафуров = Ghafurov = Gafurov);
   ``ye`` -> ``e`` (Yevgeniy = Евгений, Mirzoyev = Mirzoev); then ``y`` -> ``i``
   (Sergey = Sergei = Сергей, Ziyoev = Зиёев); finally doubled letters become one
   (Muhammad = Muhamad, Vasilii = Vasily).
6. Words are joined by single spaces.

The key holds only ``a-z``, ``0-9`` and single spaces, so it needs no escaping inside a
``LIKE`` pattern. It is deterministic but not idempotent (``Маликхон`` gives ``malikhon``,
which folds again to ``malihon``), so always fold the original name, never a key.
Letters of other scripts are dropped. A query
typed half-way through a digraph (``rak`` on the way to ``rakhimova``) may match less
until the digraph is complete.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher

_LETTERS_TO_LATIN = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "ғ": "gh", "д": "d", "е": "e", "ё": "yo",
        "ж": "zh", "з": "z", "и": "i", "ӣ": "i", "й": "y", "к": "k", "қ": "q", "л": "l",
        "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
        "ӯ": "u", "ф": "f", "х": "kh", "ҳ": "h", "ц": "ts", "ч": "ch", "ҷ": "j", "ш": "sh",
        "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
        # Neighbouring Cyrillic alphabets, met in names of minorities and of the region.
        "і": "i", "ї": "yi", "є": "ye", "ў": "u", "ң": "ng", "ә": "a", "ө": "o",
        "ү": "u", "һ": "h",
        # Latin letters whose diacritic is a different sound, not an accent.
        "ş": "sh", "ș": "sh", "š": "sh", "ç": "ch", "č": "ch", "ž": "zh",
        # Latin letters that NFKD does not decompose into a base letter.
        "ı": "i", "ł": "l", "ø": "o", "đ": "d", "æ": "ae", "œ": "oe",
        # Apostrophes (Sha'bon, G'ulomov, O'Brien) and hyphens join, they do not split.
        "'": "", "’": "", "ʻ": "", "ʼ": "", "`": "", "‘": "", "-": "", "‐": "", "‑": "",
    }
)

_NOT_KEY_CHARACTER = re.compile(r"[^a-z0-9]+")

# Each rule runs once, in this order, over the output of the previous one.
_ROMANISATION_FOLDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        ("shch", "sh"),
        ("sch", "sh"),
        ("q", "k"),
        ("x", "ks"),
        ("d*(?:zh|j)", "dj"),
        ("kh", "h"),
        ("gh", "g"),
        ("ye", "e"),
        ("y", "i"),
        (r"([a-z])\1+", r"\1"),
    )
)


def _fold_word(word: str) -> str:
    """Apply the romanisation folds to one ASCII word."""
    for pattern, replacement in _ROMANISATION_FOLDS:
        word = pattern.sub(replacement, word)
    return word


def search_key(text: str) -> str:
    """Return the script-independent search key of a name (rules in the module docstring)."""
    latin = unicodedata.normalize("NFKC", text).casefold().translate(_LETTERS_TO_LATIN)
    without_marks = "".join(
        char for char in unicodedata.normalize("NFKD", latin) if not unicodedata.combining(char)
    )
    words = _NOT_KEY_CHARACTER.sub(" ", without_marks).split()
    return " ".join(_fold_word(word) for word in words)


def matches(query: str, text_key: str) -> bool:
    """Tell whether every word of the query occurs somewhere in a stored key.

    Substring matching lets a partly typed word narrow the list; an empty query matches
    everything.
    """
    return all(word in text_key for word in search_key(query).split())


def _word_ratio(first: str, second: str) -> float:
    """Similarity of two folded words, 0..1."""
    return SequenceMatcher(None, first, second, autojunk=False).ratio()


# Words that resemble each other less than this are not treated as the same word.
_MIN_WORD_RATIO = 0.5
# A word only one name has (a patronymic, a second given name) weighs half as much as a
# paired word, so "Rahimova Nigora" still resembles "Rahimova Nigora Saidovna".
_UNPAIRED_WEIGHT = 0.5


def similarity(a: str, b: str) -> float:
    """Score how alike two names are, 0..1, ignoring script, case and word order.

    Words of the two search keys are paired greedily, most similar first. Each pair adds
    its difflib ratio weighted by the pair's length; each word left without a partner
    adds nothing but still counts, at half its length, in the total.
    """
    words_a, words_b = search_key(a).split(), search_key(b).split()
    if not words_a or not words_b:
        return 0.0
    candidate_pairs = sorted(
        (
            (_word_ratio(word_a, word_b), index_a, index_b)
            for index_a, word_a in enumerate(words_a)
            for index_b, word_b in enumerate(words_b)
        ),
        reverse=True,
    )
    paired_a: set[int] = set()
    paired_b: set[int] = set()
    matched_weight = 0.0
    paired_length = 0
    for ratio, index_a, index_b in candidate_pairs:
        if ratio < _MIN_WORD_RATIO:
            break
        if index_a in paired_a or index_b in paired_b:
            continue
        paired_a.add(index_a)
        paired_b.add(index_b)
        pair_length = len(words_a[index_a]) + len(words_b[index_b])
        matched_weight += ratio * pair_length
        paired_length += pair_length
    unpaired_length = sum(
        len(word) for index, word in enumerate(words_a) if index not in paired_a
    ) + sum(len(word) for index, word in enumerate(words_b) if index not in paired_b)
    return matched_weight / (paired_length + _UNPAIRED_WEIGHT * unpaired_length)


def likely_duplicates(
    name: str, candidates: Iterable[tuple[int, str]], threshold: float = 0.85
) -> list[tuple[int, float]]:
    """Return ``(id, score)`` of candidates whose name resembles ``name``, best first.

    Candidates are ``(id, name)`` pairs with the original names, not their keys.
    """
    scored = ((candidate_id, similarity(name, candidate)) for candidate_id, candidate in candidates)
    return sorted(
        ((candidate_id, score) for candidate_id, score in scored if score >= threshold),
        key=lambda item: (-item[1], item[0]),
    )


#: a query word shorter than this must match as typed: one slip in a short word would match too many names
SLIP_MIN_LENGTH = 5


def within_one_edit(first: str, second: str) -> bool:
    """Whether two words differ by at most one letter added, dropped or replaced (edit distance at most 1)."""
    if abs(len(first) - len(second)) > 1:
        return False
    if len(first) > len(second):
        first, second = second, first
    same = 0
    while same < len(first) and first[same] == second[same]:
        same += 1
    if len(first) == len(second):
        return first[same + 1:] == second[same + 1:]
    return first[same:] == second[same + 1:]


def matches_with_one_slip(query: str, text_key: str) -> bool:
    """Like :func:`matches`, but forgiving one slipped letter per word of the query.

    A query word that occurs in the key matches as in :func:`matches`. Otherwise a word of at least
    ``SLIP_MIN_LENGTH`` letters matches a word of the key within one edit of it, or the beginning of one
    (a half-typed word): ``gaibnazarov`` finds Ғоибназаров (``goibnazarov``). Shorter words get no slip.
    """
    key_words = text_key.split()
    for word in search_key(query).split():
        if word in text_key:
            continue
        if len(word) < SLIP_MIN_LENGTH:
            return False
        starts = (len(word) - 1, len(word), len(word) + 1)
        if not any(within_one_edit(word, key_word[:length]) for key_word in key_words for length in starts):
            return False
    return True


def folding_tables() -> dict[str, object]:
    """The tables of :func:`search_key`, for the check-in page's offline search (``static/checkin-offline.js``).

    The browser folds a typed query with exactly these letters and folds, in this order, so that
    ``rahimova`` finds Раҳимова without the server. Replacements use JavaScript's ``$1`` for ``\\1``.
    """
    return {
        "letters": {chr(code): latin for code, latin in _LETTERS_TO_LATIN.items()},
        "folds": [[pattern.pattern, replacement.replace("\\1", "$1")]
                  for pattern, replacement in _ROMANISATION_FOLDS],
    }
