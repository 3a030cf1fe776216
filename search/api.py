"""GET /api/v1/search (API.md): {items: [{type, id, title, snippet, url}]} of what the caller may see."""
from flask import jsonify, request
from flask_login import current_user

from search import api_bp as api
from search import queries
from search.models import SearchType


@api.get("/search")
def search():
    filters = queries.parse(request.args)
    found = queries.search(current_user, filters)
    items = [{"type": r["type"], "id": _api_id(r), "title": r["title"], "snippet": str(r["snippet"]),
              "url": r["url"], "part": r["part"]} for r in found["items"]]
    return jsonify({"items": items, "more": found["more"]})


def _api_id(result):
    """The id of the thing of that type: a report is found as its directive, minutes and conclusions as
    their meeting's outcomes, an agenda item as its meeting."""
    entry = result["entry"]
    if result["part"] == "report":
        return entry.directive_id
    if result["part"] in ("agenda", "minutes", "conclusion"):
        return entry.meeting_id
    return entry.object_id


def _document():
    from core import openapi as oa

    oa.path("/search", get=oa._op(
        "Search what the caller may see, Vietnamese with or without diacritics, best match first. Query: q (words; "
        "a directive number such as 15/UBND-TH is found exactly), type? (directive | meeting | minutes | message | "
        "document), agency_id?, from?, to? (YYYY-MM-DD), page?. Answer: {items: [{type, id, title, snippet, url, "
        "part}], more}; snippet is HTML (the text escaped, the matched words in <mark>); part says what was found "
        "(a progress report is type directive with its directive's id; an agenda item type meeting; a conclusion "
        "type minutes with its meeting's id)", "any user", errors=(401,),
        params=(("q", "string", "the words"),
                ("type", {"type": "string", "enum": [str(t) for t in SearchType]}, "kind"),
                ("agency_id", "integer", "an agency the directive is assigned to or a participant belongs to"),
                ("from", {"type": "string", "format": "date"}, "from this day"),
                ("to", {"type": "string", "format": "date"}, "to this day, included"),
                ("page", {"type": "integer", "minimum": 1, "maximum": 1000}, "page of 20")),
        ok_schema=oa._obj(["items", "more"], more={"type": "boolean"}, items={"type": "array", "items": oa._obj(
            ["type", "id", "title", "snippet", "url"], type={"type": "string", "enum": [str(t) for t in SearchType]},
            id={"type": "integer"}, title=oa.S, snippet=oa.S, url=oa.S, part=oa.S)})))


_document()
