"""The results page: GET /search (the navbar's box), grouped by kind, with filters."""
from flask import render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from auth import queries as auth_queries
from core.errors import Invalid
from search import bp, queries
from search.models import SearchType

#: the groups of the results page, in order, with their headings and icons
GROUPS = (
    (SearchType.DIRECTIVE, _l("Directives and reports"), "journal-text"),
    (SearchType.MEETING, _l("Meetings and agendas"), "calendar-event"),
    (SearchType.MINUTES, _l("Minutes and conclusions"), "file-earmark-text"),
    (SearchType.MESSAGE, _l("Chat messages"), "chat-left-text"),
    (SearchType.DOCUMENT, _l("Meeting documents"), "paperclip"),
)
#: what one result is, shown beside it
PART_LABELS = {
    "directive": _l("Directive"), "report": _l("Progress report"), "meeting": _l("Meeting"),
    "agenda": _l("Agenda item"), "minutes": _l("Minutes"), "conclusion": _l("Conclusion"),
    "message": _l("Chat message"), "document": _l("Document"),
}
FILTER_KEYS = ("q", "type", "agency_id", "from", "to")


@bp.route("/search")
@login_required
def index():
    raw = {k: request.args.get(k, "").strip() for k in FILTER_KEYS if request.args.get(k, "").strip()}
    try:
        filters, errors = queries.parse(raw), {}
    except Invalid as exc:
        errors = exc.fields
        filters = queries.parse({k: v for k, v in raw.items() if k not in errors})
    filters["page"] = _page()
    found = queries.search(current_user, filters)
    groups = [{"type": t, "label": label, "icon": icon, "items": [r for r in found["items"] if r["type"] == t]}
              for t, label, icon in GROUPS]
    return render_template(
        "search/results.html", raw=raw, errors=errors, filters=filters, groups=[g for g in groups if g["items"]],
        count=len(found["items"]), more=found["more"], types=GROUPS, part_labels=PART_LABELS,
        tree=auth_queries.agency_tree(include_inactive=False),
        page_url=lambda n: url_for("search.index", page=n, **raw),
    )


def _page():
    try:
        return min(max(int(request.args.get("page", "1")), 1), 1000)
    except ValueError:
        return 1
