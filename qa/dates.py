"""Publication dates: read in the forms news files carry, stored and filtered as ISO days.

Every date the library stores is ``YYYY-MM-DD`` (a real day), so that the store's and the
engine's filters compare days, never free text. :func:`iso_date` reads what pages, feeds,
PDFs and JSON Lines hold; :func:`filter_range` checks the ``since``/``until`` arguments.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from email.utils import parsedate_to_datetime

from .errors import FilterError

__all__ = ["MONTHS", "WEEKDAYS", "filter_day", "filter_range", "iso_date"]

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # fmt: skip
"""The English month names, January first (written the same whatever the process's locale)."""
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
"""The English day names, Monday first."""

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:$|[T ]\d)")
_PDF = re.compile(r"D:(\d{4})(\d{2})(\d{2})")
_ORDINAL = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b", re.I)
_FORMS = ("%B %d, %Y", "%b %d, %Y", "%b. %d, %Y", "%B %d %Y", "%d %B %Y", "%d %b %Y", "%d %b. %Y", "%Y/%m/%d",
          "%d.%m.%Y", "%A, %B %d, %Y")  # fmt: skip


def iso_date(value: object) -> str | None:
    """``value`` as an ISO day (``2024-06-21``), or None when it is empty or not a date.

    Takes ``date``/``datetime`` objects, ``time.struct_time`` (feedparser), ISO strings
    (with or without a time), PDF dates (``D:20240621...``), RFC 2822 (``Fri, 21 Jun 2024
    09:00:00 +0000``) and written forms ("June 21, 2024", "June 21st, 2024", "21 June 2024").
    """
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "tm_year"):
        return _day(value.tm_year, value.tm_mon, value.tm_mday)
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    m = _ISO.match(text) or _PDF.match(text)
    if m:
        return _day(*map(int, m.groups()))
    plain = _ORDINAL.sub(r"\1", text)
    for form in _FORMS:
        try:
            return datetime.strptime(plain, form).date().isoformat()
        except ValueError:
            continue
    try:
        return parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def _day(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def filter_day(value: object, field: str, label: str | None = None) -> str | None:
    """A ``since``/``until`` filter as an ISO day (None or "" for no limit). Raises
    :class:`FilterError` naming ``label`` (the caller's word for the field, default
    ``field``) for anything that is not a day."""
    if value is None or value == "":
        return None
    day = iso_date(value)
    if day is None:
        raise FilterError(field, f"{label or field} must be a date like 2024-06-20, not {value!r}")
    return day


def filter_range(since: object, until: object) -> tuple[str | None, str | None]:
    """``since`` and ``until`` as ISO days (:func:`filter_day`); :class:`FilterError` too
    when the range is reversed (it would hold no day)."""
    since, until = filter_day(since, "since"), filter_day(until, "until")
    if since and until and since > until:
        raise FilterError("until", f"until ({until}) is before since ({since}): the range holds no day")
    return since, until
