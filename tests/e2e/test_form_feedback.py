"""Form errors leave as the user fixes the field, not only after the next submit."""
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e
INVALID = re.compile(r"\bis-invalid\b")


def test_a_field_error_clears_when_the_field_is_changed(server, actors):
    leader = actors("chutich")
    leader.allow(r"status of 422")  # the form comes back with its errors, as it should
    page = leader.goto("/directives/new")
    page.locator("#directive-form button[type=submit]").last.click()  # everything empty
    title = page.locator("#f-title")
    expect(title).to_have_class(INVALID)
    feedback = page.locator("#f-title ~ .invalid-feedback")
    expect(feedback).to_have_count(1)
    invalid_before = page.locator(".is-invalid").count()
    assert invalid_before >= 2  # the subject and at least one other required field
    title.fill("Tăng cường phòng chống lụt bão")
    expect(title).not_to_have_class(INVALID)
    expect(feedback).to_have_count(0)
    assert page.locator(".is-invalid").count() == invalid_before - 1  # the others still say what is wrong
