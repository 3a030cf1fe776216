"""The minutes' Markdown as Word paragraphs: headings, lists, quotes, **bold** and *italic* runs.
Word gets text only: raw HTML and link targets are dropped."""
import html
import re

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

_INLINE = re.compile(r"(\*\*[^*]+\*\*|__[^_]+__|\*[^*\s][^*]*\*|_[^_\s][^_]*_)")
_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
_TAG = re.compile(r"<[^>]*>")


def _plain(text):
    """Text of a Markdown line without HTML tags or link targets (Word shows text only)."""
    text = _LINK.sub(lambda m: m.group(1), text)
    return html.unescape(_TAG.sub("", text))


def _add_inline(p, text):
    for part in _INLINE.split(_plain(text)):
        if not part:
            continue
        if (part.startswith("**") and part.endswith("**")) or (part.startswith("__") and part.endswith("__")):
            p.add_run(part[2:-2]).bold = True
        elif len(part) > 2 and part[0] in "*_" and part[-1] == part[0]:
            p.add_run(part[1:-1]).italic = True
        else:
            p.add_run(part)


_SCRIPT_BLOCK = re.compile(r"(?is)<(script|style|iframe|object)\b.*?</\1\s*>")


_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^(\d+)[.)]\s+(.*)$")
_RULE = re.compile(r"^(-{3,}|\*{3,}|_{3,})$")


def markdown_to_docx(doc, text, body_size):
    """Paragraphs, headings (bold), bullet and numbered lists, **bold** and *italic* runs.
    Raw HTML is dropped (script and style blocks with their content): Word gets text only.
    ``body_size``: the document's body text size in points (headings below level 1 keep it)."""
    paragraph_lines = []
    for raw in _SCRIPT_BLOCK.sub("", text or "").replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        block = _block_writer(line, body_size) if line else None
        if not line or _RULE.match(line) or block:
            _add_paragraph(doc, paragraph_lines)
            paragraph_lines = []
            if block:
                block(doc)
        else:
            paragraph_lines.append(line)
    _add_paragraph(doc, paragraph_lines)


def _add_paragraph(doc, lines):
    """Running text: the lines of one Markdown paragraph, justified with a first-line indent."""
    if lines:
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        p.paragraph_format.first_line_indent = Mm(10)
        _add_inline(p, " ".join(lines))


def _block_writer(line, body_size):
    """What writes a heading, a list item or a quote; None for a line of running text."""
    heading, bullet, numbered = _HEADING.match(line), _BULLET.match(line), _NUMBERED.match(line)
    if heading:
        return lambda doc: _add_heading(doc, len(heading.group(1)), heading.group(2), body_size)
    if bullet:
        return lambda doc: _add_inline(doc.add_paragraph(style="List Bullet"), bullet.group(1))
    if numbered:
        return lambda doc: _add_indented(doc, f"{numbered.group(1)}. {numbered.group(2)}")
    if line.startswith(">"):
        return lambda doc: _add_indented(doc, line.lstrip("> "), italic=True)
    return None


def _add_heading(doc, level, text, body_size):
    p = doc.add_paragraph()
    p.paragraph_format.space_before = Pt(6)
    run = p.add_run(_plain(text).replace("**", ""))
    run.bold = True
    run.font.size = Pt(14 if level == 1 else body_size)


def _add_indented(doc, text, italic=False):
    p = doc.add_paragraph()
    p.paragraph_format.left_indent = Mm(10)
    _add_inline(p, text)
    for run in p.runs if italic else ():
        run.italic = True
