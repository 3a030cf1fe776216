"""Pages of the calendar (week and month), the private feed's settings and the feed itself, and the
recurring meetings' pages: the series' .ics and "cancel this and the following"."""
from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from core import ui
from core.forms import call_service
from meetings import (
    bp,
    permissions,
    queries,
    reminders,  # noqa: F401  (registers the reminders job and `flask meetings remind`)
    series,
)
from meetings import calendar as cal
from meetings.ics_series import build_series

ui.add_nav(ui.NavItem("meetings.calendar", _l("Calendar"), "calendar3", lambda u: u.is_authenticated, order=32))

ENTRY_ICONS = {"meeting": "camera-video", "deadline": "flag"}
WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
            _l("Sunday"))
WEEKDAYS_SHORT = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))


@bp.app_context_processor
def series_helpers():
    return {"meeting_series": _series_for_page}


def _series_for_page(meeting):
    """The series info of a meeting for its page and form, with the rule in words; None outside a series."""
    info = series.series_info(meeting)
    if info is not None:
        info["label"] = series.rule_label(series.occurrence_of(meeting).series)
    return info


def _anchor():
    """The day asked for (?date=YYYY-MM-DD, within the years the calendar shows), else today."""
    try:
        anchor = date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return cal.today()
    return anchor if cal.FIRST_YEAR <= anchor.year <= cal.LAST_YEAR else cal.today()


@bp.route("/calendar")
@login_required
def calendar():
    view = request.args.get("view", "week")
    if view not in cal.VIEWS:
        view = "week"
    anchor = _anchor()
    first, last, previous, following = cal.period(view, anchor)
    return render_template(
        "meetings/calendar.html", view=view, anchor=anchor, first=first, last=last, previous=previous,
        following=following, weeks=cal.weeks(first, last), entries=cal.entries(current_user, first, last),
        today=cal.today(), icons=ENTRY_ICONS, weekdays=WEEKDAYS, weekdays_short=WEEKDAYS_SHORT,
    )


@bp.route("/calendar/feed")
@login_required
def calendar_feed():
    feed = cal.feed_of(current_user)
    url = url_for("meetings.calendar_ics", token=feed.token, _external=True)
    return render_template("meetings/calendar_feed.html", feed=feed, feed_url=url)


@bp.route("/calendar/feed/renew", methods=["POST"])
@login_required
def calendar_feed_renew():
    cal.renew_feed(current_user)
    flash(_("A new link was made. The old one no longer works: subscribe again with the new one."), "success")
    return redirect(url_for("meetings.calendar_feed"))


@bp.route("/calendar/<token>.ics")
def calendar_ics(token):
    """The private feed: no sign-in, the token is the key (404 when unknown or replaced)."""
    user = cal.user_for_token(token)
    if user is None:
        abort(404)
    return Response(cal.build_feed(user), mimetype="text/calendar",
                    headers={"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"})


@bp.route("/meetings/<int:meeting_id>/series.ics")
@login_required
def series_ics(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    occ = series.occurrence_of(meeting)
    if occ is None:
        abort(404)
    return Response(build_series(occ.series), mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="hop-dinh-ky-{occ.series_id}.ics"'})


@bp.route("/meetings/<int:meeting_id>/series/cancel", methods=["POST"])
@login_required
def series_cancel(meeting_id):
    meeting = queries.get_meeting(current_user, meeting_id)
    if not permissions.can_manage(current_user, meeting):
        abort(403)
    cancelled, errors = call_service(series.cancel_following, current_user, meeting, request.form.get("reason", ""))
    if errors:
        flash("; ".join(errors.values()), "error")
    else:
        flash(_("%(n)d meetings of the series were cancelled and the invitees were told.", n=len(cancelled)), "info")
    return redirect(url_for("meetings.detail", meeting_id=meeting.id))

