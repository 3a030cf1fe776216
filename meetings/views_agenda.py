"""The strings of agenda control in the live room, of the meeting form's agenda editor and of the meeting
page's live attendance table (static/js/meeting/agenda.js, speakers.js, meeting_agenda_form.js,
meeting_attendance.js)."""
from flask_babel import lazy_gettext as _l

from core.i18n import register_js_strings

register_js_strings({
    # the live room: the item under discussion and the timers
    "agenda_none_open": _l("No item is open."),
    "agenda_move_to": _l("Move to item %(n)s"),
    "agenda_timer": _l("Time spent on this item"),
    "agenda_timer_planned": _l("Time spent on this item, against the %(n)s minutes planned"),
    "oc_speaking_for": _l("How long they have had the floor"),
    # the form's agenda editor
    "agenda_move_up": _l("Move item %(n)s up"),
    "agenda_move_down": _l("Move item %(n)s down"),
    "agenda_remove": _l("Remove item %(n)s"),
    "agenda_added": _l("Item %(n)s added."),
    "agenda_moved": _l("Moved to position %(n)s."),
    "agenda_removed": _l("Item removed."),
    # the meeting page's attendance table
    "att_updated": _l("Updated at %(time)s"),
    "att_update_failed": _l("Could not update: the table is as of %(time)s"),
    "att_present": _l("Present"),
    "att_absent": _l("Absent"),
    "att_online": _l("online"),
    "att_still_here": _l("still here"),
    "att_on_time": _l("On time"),
    "att_min_late": _l("%(n)s min late"),
    "att_not_invited": _l("not invited"),
    "att_n_present": _l("%(n)s present"),
    "att_n_absent": _l("%(n)s absent"),
    "att_first_joined_call": _l("First joined the call"),
})
