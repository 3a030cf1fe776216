"""Every setting the code reads from the environment has a row in README.md's settings table."""
import re

from tests.unit.test_structure import APP_FILES, ROOT

#: the ways code reads a setting: os.environ / getenv, core/config.py's helpers, the modules' setting() lookups
READS = re.compile(
    r"""(?:os\.environ\.get|os\.environ\[|os\.getenv|\b_optional|\b_bool|\b_list|\bsetting|\b_setting|\b_config_int)"""
    r"""\(?\s*["']([A-Z][A-Z0-9_]+)["']"""
)
#: read from the environment but not settings of the app
NOT_SETTINGS = {"HOME"}


def settings_read_in_code():
    found = {}
    for path in APP_FILES:
        for name in READS.findall(path.read_text(encoding="utf-8")):
            found.setdefault(name, str(path.relative_to(ROOT)))
    return {name: where for name, where in found.items() if name not in NOT_SETTINGS}


def settings_in_readme():
    """The names in the first column of the table under '## Configuration'."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Configuration", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names


def test_the_reader_finds_the_settings_of_each_kind():
    found = settings_read_in_code()
    # one of each way of reading, so a change in how code reads settings cannot empty this test
    for name in ("MAX_UPLOAD_MB", "REDIS_URL", "MAIL_USE_TLS", "MEDIA_TURN_URLS", "HOST", "METRICS_TOKEN",
                 "DIRECTIVE_ATTACHMENT_MAX_MB", "REMIND_UNACKNOWLEDGED_HOURS", "DOCUMENT_ISSUER"):
        assert name in found, name
    assert len(found) >= 60


def test_every_setting_read_in_code_is_in_the_readme_table():
    documented = settings_in_readme()
    missing = {name: where for name, where in settings_read_in_code().items() if name not in documented}
    assert missing == {}, "add a row (default, meaning) to README.md's Configuration table"


def test_the_readme_table_documents_no_setting_the_code_does_not_read():
    stale = settings_in_readme() - set(settings_read_in_code())
    assert stale == set()
