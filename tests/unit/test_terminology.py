"""One name per step in the Vietnamese interface: officials were confused by three names for the
same action. Each step has one term; the words it replaced appear nowhere in the catalogs."""
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

CATALOGS = sorted(Path(__file__).resolve().parents[2].glob("translations/*/vi/LC_MESSAGES/messages.po"))

# the replaced wording -> the one term used instead
RETIRED = {
    "báo cáo hoàn thành": "báo cáo kết quả",
    "trễ hạn": "quá hạn",
    "xin gia hạn": "đề nghị gia hạn",
    "đã từ chối đề nghị gia hạn": "không đồng ý gia hạn",
}


def translations():
    for path in CATALOGS:
        with open(path, "rb") as fh:
            for message in read_po(fh, locale="vi"):
                if not (message.id and message.string):
                    continue
                # a plural message has a tuple of ids and one string per form
                msgid = message.id[0] if isinstance(message.id, tuple) else message.id
                forms = message.string if isinstance(message.string, (list, tuple)) else [message.string]
                for text in forms:
                    if text:
                        yield path.parts[-4], msgid, text


@pytest.mark.parametrize("old,new", sorted(RETIRED.items()))
def test_retired_wording_is_gone(old, new):
    found = [(module, msgid) for module, msgid, text in translations() if old in text.lower()]
    assert found == [], f'"{old}" still used (say "{new}"): {found}'


def test_each_step_has_one_name():
    by_id = {msgid: text for _module, msgid, text in translations()}
    assert by_id["Submit result"] == "Báo cáo kết quả"
    assert by_id["Submitted the result"] == by_id["Submitted"] == "Đã báo cáo kết quả"
    assert by_id["Extension"] == by_id["Asked for an extension"] == "Đề nghị gia hạn"
    assert by_id["Done late"] == "Hoàn thành quá hạn"
