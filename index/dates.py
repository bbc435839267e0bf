"""Dates of articles and of questions: ``since``/``before`` windows and plain recency rules.

News is dated: a figure from last week may be wrong today, and "latest" means the newest report.
Every article has a date to show: its published date when the source gave one, else the day it
was added, marked as such (``date_is_added``). Questions are restricted to a window of dates in
two ways: explicitly (``since``/``before`` options: ISO dates or spans such as "7d") and by plain
rules on the question's words ("today", "this week", "latest"), without any language model.

Pure functions, no I/O. Dates are days (``YYYY-MM-DD``) without a time zone, because that is what
sources state; rules that look back from "today" allow one day of slack for it.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from .errors import BadInput

_SPAN = re.compile(r"^(\d{1,4})\s*(d|w|m|y)$", re.IGNORECASE)
_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_UNITS = {"d": "day", "w": "week", "m": "month", "y": "year"}


def utc_today() -> date:
    """Today in UTC: the clock ``added_at`` uses, so "today" and "added today" agree."""
    return datetime.now(UTC).date()


def article_date(published: str | None, added_at: str | None) -> tuple[str | None, bool]:
    """The day to show for an article and whether it is only the day it was added.

    Returns:
        ``(YYYY-MM-DD or None, date_is_added)``.
    """
    if published:
        return published[:10], False
    if added_at:
        return added_at[:10], True
    return None, False


def format_day(iso: str | None) -> str:
    """ "2019-12-31" -> "31 Dec 2019" (unambiguous in every locale); other text as it is."""
    if not iso:
        return ""
    try:
        day = date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    return f"{day.day} {calendar.month_abbr[day.month]} {day.year}"


def months_before(day: date, months: int) -> date:
    """The same day of the month ``months`` earlier, clamped to the month's last day."""
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    if year < 1:
        raise OverflowError("before year 1")
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def parse_when(value: str | date | None, name: str, today: date | None = None) -> date | None:
    """A ``since``/``before`` value as a day.

    Accepts an ISO date (``2019-12-31``, also ``2019-12`` or ``2019`` for the first day of that
    month or year) or a span back from today: ``7d``, ``2w``, ``1m``, ``1y``.

    Raises:
        BadInput: One sentence naming the option and the forms it accepts.
    """
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    today = today or utc_today()
    problem = (
        f"{name} must be a date like 2019-12-31 or a span back from today like 7d, 2w, 1m "
        f"or 1y, not {text[:40]!r}."
    )
    span = _SPAN.match(text)
    iso = _ISO.match(text)
    try:
        if span:
            count, unit = int(span.group(1)), span.group(2).lower()
            if unit == "d":
                return today - timedelta(days=count)
            if unit == "w":
                return today - timedelta(weeks=count)
            return months_before(today, count * (12 if unit == "y" else 1))
        if iso:
            year, month, day = iso.group(1), iso.group(2) or "01", iso.group(3) or "01"
            return date(int(year), int(month), int(day))
    except (ValueError, OverflowError):
        raise BadInput(problem) from None
    raise BadInput(problem)


@dataclass(frozen=True)
class Window:
    """Which article dates a question may quote, and whether newer reports go first.

    ``since`` is inclusive, ``before`` exclusive. ``strict`` windows come from the asker's
    options and are never widened; a window read from the question's words is a preference
    that falls back to "newest first" when no article is dated inside it.
    """

    since: date | None = None
    before: date | None = None
    strict: bool = False
    newest_first: bool = False
    rule: str | None = None  # the question's words that set it ("today", "latest")

    @property
    def filters(self) -> bool:
        return self.since is not None or self.before is not None

    def note(self) -> str | None:
        """What the window did, in a sentence for the reader; None when nothing was applied."""
        if self.filters and not self.strict:
            return f'Only articles dated {self.describe()} ("{self.rule}").'
        if self.newest_first and self.rule:
            return f'Newest reports first ("{self.rule}").'
        return None

    def describe(self) -> str:
        return describe_days(iso(self.since), iso(self.before))


def describe_days(since: str | None, before: str | None) -> str:
    """ "from 1 Jan 2020 and before 1 Feb 2020" for ISO days (either may be None)."""
    parts = []
    if since:
        parts.append(f"from {format_day(since)}")
    if before:
        parts.append(f"before {format_day(before)}")
    return " and ".join(parts)


def window_sentence(since: str | None, before: str | None, recency: str | None) -> str:
    """What a reader is told about the dates an answer was limited to; "" when none."""
    limited = describe_days(since, before)
    note = f"Only articles dated {limited}." if limited else ""
    return f"{note} {recency or ''}".strip()


# Recency rules, read from the question's words (first match wins). Why each makes sense for
# news (stored dates are days without a time zone, hence the slack of one day):
#   "today", "tonight", "this morning": the reports of today, or of yesterday where the reader's
#       "today" has already begun (1 day of slack).
#   "yesterday", "last night": the event was yesterday; its reports are dated yesterday or today,
#       plus the day of slack.
#   "this week": a rolling seven days, not the calendar week (on a Monday "this week" still
#       means the last few days of news).
#   "this month": a rolling month, for the same reason.
#   "latest", "newest", "most recent", "recent(ly)", "now", "currently", "so far", "still",
#       "up to date": no cut-off (an archive's latest report may be old) but among passages that
#       answer about as well, the newer report goes first, because later reports correct
#       earlier counts ("the death toll rose to 26").
_DAY_RULES: tuple[tuple[re.Pattern[str], str, int], ...] = (
    (re.compile(r"\b(today|tonight|this (?:morning|afternoon|evening))\b", re.I), "today", 1),
    (re.compile(r"\b(yesterday|last night)\b", re.I), "yesterday", 2),
    (re.compile(r"\bthis week\b", re.I), "this week", 7),
    (re.compile(r"\bthis month\b", re.I), "this month", 31),
)
_NEWEST = re.compile(
    r"\b(latest|newest|most recent|recent(?:ly)?|now|currently|so far|still|up to date)\b", re.I
)


def window_for(
    question: str,
    since: str | date | None = None,
    before: str | date | None = None,
    today: date | None = None,
) -> Window:
    """The window a question is answered in: the asker's options, else the question's words.

    Raises:
        BadInput: ``since`` or ``before`` is not a date or span, or ``since`` is not before
            ``before``.
    """
    today = today or utc_today()
    start = parse_when(since, "since", today)
    end = parse_when(before, "before", today)
    newest = _NEWEST.search(question)
    newest_rule = newest.group(1).lower() if newest else None
    if start is not None or end is not None:
        if start is not None and end is not None and start >= end:
            raise BadInput("since must be earlier than before.")
        return Window(start, end, strict=True, newest_first=bool(newest), rule=newest_rule)
    for pattern, rule, days in _DAY_RULES:
        if pattern.search(question):
            return Window(today - timedelta(days=days), None, newest_first=True, rule=rule)
    if newest_rule:
        return Window(newest_first=True, rule=newest_rule)
    return Window()


def iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None
