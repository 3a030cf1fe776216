"""The one owner of text safety: Markdown to HTML, and the allow-list every shown HTML passes.

Directives and minutes render here; the browser shows the HTML the server made (the
minutes preview too), so there is one allow-list to review, not one per module.
"""
import markdown as md
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s", "del",
    "blockquote", "ul", "ol", "li", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "a",
    "sup", "sub", "dl", "dt", "dd",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitize(html):
    """HTML that is safe to show: only harmless tags, attributes and URLs; links open no window.opener."""
    return Markup(nh3.clean(html or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                            url_schemes=URL_SCHEMES, link_rel="noopener noreferrer nofollow"))


def render_markdown(text, hard_breaks=False):
    """Markdown to safe HTML. ``hard_breaks``: every newline is a line break (a directive's content,
    typed as plain lines); minutes use Markdown's own paragraphs."""
    extensions = ["extra", "sane_lists"] + (["nl2br"] if hard_breaks else [])
    return sanitize(md.markdown(text or "", extensions=extensions, output_format="html"))
