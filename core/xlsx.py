"""What every Excel export needs, so none of them writes a time as text or stamps a file in UTC.

Excel has no time zones: a time goes into a cell as a naive datetime in the display zone
(DISPLAY_TIMEZONE, Asia/Ho_Chi_Minh by default) with a date number format, and a duration as a
timedelta with the ``[h]:mm:ss`` format, so Excel sorts, filters and sums them. A file name carries
the local time of the export, as the person who downloads it reads their clock.
"""
from flask import Response

from core.dbtypes import utcnow
from core.validation import display_zone

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
DATETIME_SECONDS_FORMAT = "dd/mm/yyyy hh:mm:ss"
#: hours beyond 24 keep counting (a two-day total reads 48:00:00, not 00:00:00)
DURATION_FORMAT = "[h]:mm:ss"


def local_naive(value):
    """A UTC datetime as a naive datetime in the display zone, for a cell; None stays None."""
    if value is None:
        return None
    return value.astimezone(display_zone()).replace(tzinfo=None)


def stamped_filename(prefix, now=None, ext="xlsx"):
    """``<prefix>-YYYYmmdd-HHMM.<ext>`` with the display zone's date and time of ``now``."""
    local = (now or utcnow()).astimezone(display_zone())
    return f"{prefix}-{local:%Y%m%d-%H%M}.{ext}"


def xlsx_response(data, filename):
    """The .xlsx bytes as a download."""
    return Response(data, mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
