"""Find UI text in the wrong language on a rendered page, using the catalogs themselves.

Each ``msgid`` (English) and its Vietnamese ``msgstr`` becomes a pattern (placeholders such as
``%(name)s`` match anything). A visible text node, or a placeholder/title/aria-label, that *is*
one of these strings in the other language is a string that was not translated (Vietnamese mode)
or Vietnamese chrome left hard-coded (English mode). Whole-node matching keeps user data (names,
titles, agency names, which are Vietnamese in both modes) from giving false alarms. On top of that,
the chrome a user reads as labels (buttons, table headers, form labels, nav links, badges) must not
carry Vietnamese letters in English mode, nor common English UI words in Vietnamese mode.
"""
import re
from functools import lru_cache

from babel.messages.pofile import read_po

from tests.conftest import ROOT

PLACEHOLDER = re.compile(r"%\([a-zA-Z_]+\)[sdif]|%[sdif]|\{[a-zA-Z_]*\}")
VI_LETTERS = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.I)
# Common English words of the UI chrome; none of them may label a control in Vietnamese mode.
EN_CHROME_WORDS = re.compile(
    r"\b(Acknowledge|Acknowledged|Save|Cancel|Submit|Send|Delete|Edit|Search|Filter|Status|Deadline|Agency|"
    r"Agencies|Directive|Directives|Meeting|Meetings|Minutes|Vote|Votes|Chat|Sign in|Sign out|Password|Username|"
    r"Notifications|Home|Users|Progress|Extension|Approve|Reject|Report|Reports|Attendance|Join|Leave|Close|"
    r"Download|Finalize|Overdue|Pending|Completed|Priority|Title|Dashboard|Inbox|Raise hand|Speaker|Present|"
    r"Absent|Agenda|Conclusions?|Chair|Secretary|Participants?|Loading|No directives|No meetings)\b"
)
# Text that is the same in both languages or is data rather than UI text.
NEUTRAL = {"English", "Tiếng Việt", "API", "Email", "E-mail", "OK", "ID", "UBND", "PDF", "Word", "Excel", "Markdown"}
# Names of the demo province's agencies and people are data, even when one equals a UI label
# (the agency "Văn phòng UBND tỉnh" is also the Vietnamese for the agency kind "Provincial office").
try:
    from auth.demo import AGENCIES, OFFICER_NAMES

    NEUTRAL |= {name for _code, name, _kind, _parent in AGENCIES} | set(OFFICER_NAMES)
except ImportError:  # pragma: no cover
    pass
# The chrome: elements whose text is a label rather than data. Checked for the other language's letters/words.
CHROME = (
    "button, .btn, label:not(.form-check-label), th, .nav-link, .dropdown-item, legend, .form-text, .badge, "
    ".breadcrumb-item, .nav-tabs a"
)
# Elements that show user data even inside the chrome (names, agencies, the language switch).
DATA = "#user-menu, .lang-switch, #lang-en, #lang-vi, .dropdown-header, [data-user-text], .user-name"

COLLECT_JS = """([chrome, data]) => {
  const out = [];
  const visible = el => !!el && (el.offsetParent !== null || getComputedStyle(el).position === "fixed")
                        && getComputedStyle(el).visibility !== "hidden";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const el = node.parentElement;
    if (!el || el.closest("script, style, noscript, template")) continue;
    const text = node.textContent.replace(/\\s+/g, " ").trim();
    if (!text || !visible(el)) continue;
    const chromeEl = el.closest(chrome);
    if (el.closest("[data-user-text]")) continue;  // what a user wrote, in whatever language
    out.push({text, chrome: !!chromeEl && !el.closest(data), where: el.tagName.toLowerCase() +
              (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ?
              "." + el.className.trim().split(/\\s+/).slice(0, 2).join(".") : "")});
  }
  for (const el of document.querySelectorAll("[placeholder], [title], [aria-label]")) {
    if (!visible(el) || el.closest(data)) continue;
    for (const attr of ["placeholder", "title", "aria-label"]) {
      const v = (el.getAttribute(attr) || "").replace(/\\s+/g, " ").trim();
      if (v) out.push({text: v, chrome: true, where: el.tagName.toLowerCase() + "[" + attr + "]"});
    }
  }
  out.push({text: document.title, chrome: false, where: "title"});
  return out;
}"""


def _pattern(text):
    parts = PLACEHOLDER.split(text)
    literal = "".join(parts)
    if sum(ch.isalpha() for ch in literal) < 3:
        return None
    return re.compile(".+?".join(re.escape(p) for p in parts), re.S)


def _texts(value):
    return value if isinstance(value, (tuple, list)) else (value,)


@lru_cache(maxsize=1)
def catalog_patterns():
    """(english patterns, vietnamese patterns).

    English: every msgid the sources use today (extracted as ``translations update`` does), unless
    its Vietnamese is the same text; so a string nobody translated yet is caught too.
    Vietnamese: every msgstr of the vi catalogs that differs from its msgid.
    """
    from core.i18n import CATALOG_SOURCES, extract

    translated = {}
    for po in sorted((ROOT / "translations").glob("*/vi/LC_MESSAGES/messages.po")):
        with po.open("rb") as fh:
            for message in read_po(fh, locale="vi"):
                if message.id and message.string:
                    # not strict: a plural msgid (singular, plural) has one Vietnamese form (nplurals=1)
                    for msgid, msgstr in zip(_texts(message.id), _texts(message.string), strict=False):
                        translated.setdefault(msgid, set()).add(msgstr)
    msgids = set(translated)
    for module in CATALOG_SOURCES:
        msgids |= {mid for message in extract(module) if message.id for mid in _texts(message.id)}

    english, vietnamese = [], []
    for msgid in sorted(msgids):
        if msgid in NEUTRAL or "\n" in msgid or len(msgid) > 200:
            continue  # long help texts are not worth a whole-node match
        if translated.get(msgid) == {msgid}:
            continue  # the same in both languages
        pat = _pattern(msgid)
        if pat:
            english.append((msgid, pat))
        for msgstr in translated.get(msgid, ()):
            if msgstr and msgstr.strip() != msgid.strip():
                pat = _pattern(msgstr)
                if pat:
                    vietnamese.append((msgstr, pat))
    return english, vietnamese


def collect(page):
    return page.evaluate(COLLECT_JS, [CHROME, DATA])


def wrong_language(page, lang, data=()):
    """Strings on the page that belong to the other language; [] when the page is clean.

    ``data``: texts that are user data (names, titles, stored notification texts), never UI strings.
    """
    english, vietnamese = catalog_patterns()
    others = english if lang == "vi" else vietnamese
    problems = []
    for item in collect(page):
        text = item["text"]
        if text in NEUTRAL or text in data:
            continue
        hit = next((src for src, pat in others if pat.fullmatch(text)), None)
        if hit:
            problems.append(f"{item['where']}: {text!r} (catalog: {hit!r})")
            continue
        if item["chrome"]:
            if lang == "en" and VI_LETTERS.search(text):
                problems.append(f"{item['where']}: {text!r} has Vietnamese text in English mode")
            elif lang == "vi" and not VI_LETTERS.search(text) and EN_CHROME_WORDS.search(text):
                problems.append(f"{item['where']}: {text!r} is English in Vietnamese mode")
    return problems
