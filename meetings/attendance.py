"""Attendance over the invitation list, computed from attendance spans.

Pure functions (no database), so the rules are easy to test:

- a user is *present* when at least one of their spans overlaps the meeting's
  window (from the actual start, or from the first join when it never started,
  to the end, or ``now`` while it runs);
- ``present_seconds`` merges overlapping spans (several tabs, several devices)
  so time is never counted twice; open spans count up to ``now``;
- ``late_seconds`` is how long after the start the user first joined: the start
  is the planned time, or the actual start when the chair opened the room later;
  joining within ``grace_seconds`` is not late.
"""
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Optional


@dataclass(frozen=True)
class Span:
    user_id: int
    joined_at: datetime
    left_at: Optional[datetime]  # None while still connected


def merge(intervals):
    """Merge (start, end) pairs that overlap or touch; returns them sorted."""
    out = []
    for start, end in sorted(intervals):
        if end < start:
            continue
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def reference_start(starts_at, started_at):
    """When lateness is counted from: the planned start, or the real one if later."""
    if started_at is None:
        return starts_at
    return max(starts_at, started_at)


def compute(invitee_ids: Iterable[int], spans: Iterable[Span], *, starts_at, started_at=None, ended_at=None,
            now, grace_seconds=60):
    """One row per invited user (then any uninvited user who joined), in the given order.

    Each row: user_id, invited, status ("present"/"absent"), online, first_joined_at,
    last_left_at (None while online), present_seconds, late_seconds (None if absent), late.
    """
    window_start = started_at
    window_end = ended_at or now
    by_user = {}
    for span in spans:
        by_user.setdefault(span.user_id, []).append(span)

    order = list(dict.fromkeys(invitee_ids))
    invited = set(order)
    order += [uid for uid in sorted(by_user) if uid not in invited]
    ref = reference_start(starts_at, started_at)

    rows = []
    for uid in order:
        user_spans = by_user.get(uid, [])
        clipped = []
        for span in user_spans:
            start = span.joined_at if window_start is None else max(span.joined_at, window_start)
            end = min(span.left_at or window_end, window_end)
            if end >= start:
                clipped.append((start, end))
        merged = merge(clipped)
        seconds = int(sum((end - start).total_seconds() for start, end in merged))
        present = bool(merged)
        online = any(span.left_at is None for span in user_spans) and ended_at is None
        first = min((s.joined_at for s in user_spans), default=None) if present else None
        last_left = None
        if present and not online:
            last_left = max((s.left_at for s in user_spans if s.left_at is not None), default=None)
            if ended_at is not None and (last_left is None or last_left > ended_at):
                last_left = ended_at
        late_seconds = None
        if present:
            late_seconds = max(0, int((first - ref).total_seconds()))
        rows.append(
            {
                "user_id": uid,
                "invited": uid in invited,
                "status": "present" if present else "absent",
                "online": online,
                "first_joined_at": first,
                "last_left_at": last_left,
                "present_seconds": seconds,
                "late_seconds": late_seconds,
                "late": late_seconds is not None and late_seconds > grace_seconds,
            }
        )
    return rows


def format_duration(seconds):
    """h:mm:ss for tables and exports."""
    if seconds is None:
        return ""
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
