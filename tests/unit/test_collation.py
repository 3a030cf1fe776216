"""Vietnamese order for names and agencies, not code-point order."""
from core.collation import sort_key, sorted_vi


def test_letters_with_marks_sort_in_their_place_in_the_alphabet():
    names = ["Trần Văn Tú", "Đặng Thị Hoa", "Âu Văn Cơ", "Bùi Lan", "Dương Hà", "Ánh Nguyệt", "An Bình"]
    assert sorted_vi(names) == ["An Bình", "Ánh Nguyệt", "Âu Văn Cơ", "Bùi Lan", "Dương Hà", "Đặng Thị Hoa",
                                "Trần Văn Tú"]


def test_alphabet_order_of_the_vowels_with_marks():
    assert sorted_vi(["ơ", "ô", "o", "ư", "u", "ê", "e", "â", "ă", "a", "đ", "d"]) == [
        "a", "ă", "â", "d", "đ", "e", "ê", "o", "ô", "ơ", "u", "ư"]


def test_tones_compare_after_letters_in_dictionary_order():
    assert sorted_vi(["mạ", "má", "mã", "mả", "mà", "ma"]) == ["ma", "mà", "mả", "mã", "má", "mạ"]
    # syllable by syllable, as in a dictionary: every "Lê ..." before "Lệ ..."
    assert sorted_vi(["Lệ A", "Lê Văn B"]) == ["Lê Văn B", "Lệ A"]


def test_case_is_ignored_before_anything_else_and_composed_forms_equal_decomposed():
    import unicodedata

    assert sorted_vi(["bình", "An", "Ân"]) == ["An", "Ân", "bình"]
    word = "Nguyễn"
    assert sort_key(unicodedata.normalize("NFD", word)) == sort_key(unicodedata.normalize("NFC", word))


def test_shorter_word_first_and_digits_before_letters():
    assert sorted_vi(["Anh", "An", "An Khê", "3 Tháng 2"]) == ["3 Tháng 2", "An", "An Khê", "Anh"]
