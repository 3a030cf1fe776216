"""Vietnamese as people type it: the one folding used when indexing and when querying.

"Chuyển đổi số", "chuyen doi so" and "CHUYỂN ĐỔI SỐ" all become "chuyen doi so": lower case, the
combining marks of the NFD form dropped, đ/Đ turned into d (NFD does not decompose đ).
"""
import re
import unicodedata
from functools import lru_cache

#: a word: letters and digits (the underscore separates, as it does for both engines)
WORD = re.compile(r"[^\W_]+")
#: most characters kept in the index per entry (PostgreSQL's tsvector stops at 1 MB)
MAX_INDEXED = 200_000


@lru_cache(maxsize=4096)
def fold_char(ch):
    """One character folded: "Ế" -> "e", "Đ" -> "d"; may be empty (a lone combining mark)."""
    if ch in "đĐ":
        return "d"
    decomposed = unicodedata.normalize("NFD", ch.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text):
    """The folded text (same length as the input for Vietnamese)."""
    return "".join(fold_char(ch) for ch in text or "")


def fold_with_map(text):
    """(folded text, origin) where origin[i] is the index in ``text`` of folded character i."""
    out, origin = [], []
    for i, ch in enumerate(text or ""):
        folded = fold_char(ch)
        out.append(folded)
        origin.extend([i] * len(folded))
    return "".join(out), origin


def words(text):
    """The folded words of ``text``, in order."""
    return WORD.findall(fold(text))


def index_text(*parts):
    """What the engines index: the folded words of every part, separated by single spaces."""
    return " ".join(w for part in parts if part for w in words(part))[:MAX_INDEXED]
