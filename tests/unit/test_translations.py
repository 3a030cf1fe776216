"""Vietnamese is the default language: every UI string must have a Vietnamese translation."""
import pytest

from core import i18n


@pytest.mark.parametrize("module", sorted(i18n.CATALOG_SOURCES))
def test_every_string_has_a_vietnamese_translation(app, module):
    missing = i18n.missing_translations(module)
    assert missing == [], f"untranslated in translations/{module}/vi: {missing[:20]}"


def test_pages_render_in_vietnamese_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="vi"' in html
    assert "Đăng nhập" in html
