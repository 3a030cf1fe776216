"""The meeting form's agenda editor: the rows the page posts (title, presenter, planned minutes, in order,
with the id of an existing item) as the agenda list the services take, and what the editor shows again.
Validation stays in meetings.services (errors on ``agenda.<row>.<field>``)."""
from core.validation import parse_id

#: the editor's repeated fields, one value per row, in the rows' order
FIELDS = ("agenda_id", "agenda_title", "agenda_presenter_id", "agenda_minutes")


def from_form(form):
    """The agenda of a posted meeting form: the editor's rows (a row left wholly empty is dropped), or the
    older one-title-per-line text when the editor's fields are absent."""
    if "agenda_title" not in form:
        return form.get("agenda", "")
    columns = [form.getlist(name) for name in FIELDS]
    rows = []
    for n in range(len(columns[1])):
        item_id, title, presenter, minutes = (col[n] if n < len(col) else "" for col in columns)
        if not (title.strip() or presenter.strip() or minutes.strip()):
            continue
        rows.append({"id": item_id or None, "title": title, "presenter_id": presenter or None,
                     "planned_minutes": minutes or None})
    return rows


def rows_for(agenda):
    """The editor's rows from the form's agenda (a list of items, or the older text)."""
    if isinstance(agenda, str):
        return [{"title": line.strip()} for line in agenda.splitlines() if line.strip()]
    return [dict(item) for item in agenda or () if isinstance(item, dict)]


def invited_ids(form, users, chair_id):
    """Who the form invites now (the presenter picker offers them): the chosen people, the secretary, the chair
    and everyone of the chosen agencies."""
    people = {parse_id(v) for v in form.get("participant_ids") or ()}
    agencies = {parse_id(v) for v in form.get("agency_ids") or ()}
    people |= {u.id for u in users if u.agency_id in agencies}
    people |= {parse_id(form.get("secretary_id")), parse_id(chair_id)}
    return people - {None}


def context(form, errors, users, chair_id):
    """What the editor template needs: its rows, the people it offers, and the agenda's errors by row."""
    invited = invited_ids(form, users, chair_id)
    return {
        "agenda_rows": rows_for(form.get("agenda")),
        "agenda_people": [{"id": u.id, "name": u.full_name, "agency_id": u.agency_id,
                           "agency": u.agency.name if u.agency else ""} for u in users],
        "agenda_invited": invited,
        "agenda_chair_id": parse_id(chair_id),
        "agenda_errors": {key: message for key, message in (errors or {}).items() if key.startswith("agenda.")},
    }
