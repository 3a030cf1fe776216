"""The invitation reply on the meeting page (a plain form: it works without script)."""
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core.forms import call_service
from core.i18n import register_js_strings
from meetings import bp, queries, replies
from meetings.models import Reply

register_js_strings({
    "reply_attend": _l("Attending"),
    "reply_decline": _l("Declined"),
    "reply_substitute": _l("Sends a substitute"),
    "reply_none": _l("No answer yet"),
})

DONE = {
    Reply.ATTEND: lambda: _("You will attend. The chair can see your answer."),
    Reply.DECLINE: lambda: _("You declined. The chair can see your answer and reason."),
    Reply.SUBSTITUTE: lambda: _("Your substitute is invited in your place and has been told."),
}


@bp.route("/meetings/<int:meeting_id>/reply", methods=["POST"])
@login_required
def reply(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    data = {key: request.form.get(key) or None for key in ("response", "reason", "substitute_id")}
    result, errors = call_service(replies.reply, current_user, meeting, data, field="response")
    if errors:
        flash("; ".join(errors.values()), "error")
    else:
        flash(DONE[result["response"]](), "success")
    return redirect(url_for("meetings.detail", meeting_id=meeting_id) + "#my-reply")
