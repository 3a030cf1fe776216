"""Vietnamese alphabetical order, as in a dictionary or a list of delegates.

Code-point order puts "Đặng" and "Âu" after "Trần". The Vietnamese alphabet is
a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y (f j w z for foreign
words, in their Latin places); letters compare first, then tones in the order
ngang, huyền, hỏi, ngã, sắc, nặng, then case. Pure Python, so it works the same
on SQLite and PostgreSQL, whatever collations the database was built with.
"""
import unicodedata

_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_RANK = {letter: i for i, letter in enumerate(_ALPHABET)}
# vowel marks that make a new letter, and the letter they make
_LETTER_MARKS = {
    ("a", "\u0306"): "ă", ("a", "\u0302"): "â", ("e", "\u0302"): "ê", ("o", "\u0302"): "ô",
    ("o", "\u031b"): "ơ", ("u", "\u031b"): "ư",
}
# tone marks in dictionary order (no mark sorts first)
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def _letters(text):
    """(letter, tone, is_upper) for each letter of ``text``, other characters as themselves."""
    out = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch):
            if not out:
                continue
            letter, tone, upper = out[-1]
            made = _LETTER_MARKS.get((letter, ch))
            if made:
                out[-1] = (made, tone, upper)
            elif ch in _TONES:
                out[-1] = (letter, _TONES[ch], upper)
            continue
        lower = ch.lower()
        out.append((lower, 0, ch != lower))
    return out


def _word_key(word):
    letters = _letters(word)
    # punctuation and digits before letters; letters of other scripts after ours
    primary = tuple((0, _RANK[c]) if c in _RANK else (1 if c.isalpha() else -1, ord(c)) for c, _t, _u in letters)
    tones = tuple(t for _c, t, _u in letters)
    case = tuple(u for _c, _t, u in letters)
    return primary, tones, case


def sort_key(text):
    """A key for ``sorted`` that orders Vietnamese text as a reader expects: syllable by
    syllable, as dictionaries do, so every "Lê ..." comes before "Lệ ..."."""
    return tuple(_word_key(word) for word in (text or "").split())


def sorted_vi(items, key=lambda item: item):
    """``items`` sorted by ``key(item)`` in Vietnamese order."""
    return sorted(items, key=lambda item: sort_key(key(item)))
