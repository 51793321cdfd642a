"""Periods and deadlines in words, in Dutch or English ("4 weken", "5 working days").

``analysis.humanize_duration`` / ``deadline_text`` stay the English, language-free forms the
lint and JSON outputs use; these are the ones people read, with every word from the catalogue.
"""

from __future__ import annotations

import re
from typing import Any

from mph_rules.render.i18n import Messages
from mph_rules.schema import Unspecified

_ISO = re.compile(
    r"^P(?:(?P<Y>\d+)Y)?(?:(?P<M>\d+)M)?(?:(?P<W>\d+)W)?(?:(?P<D>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?)?$"
)
_UNITS = {"Y": "year", "M": "month", "W": "week", "D": "day", "h": "hour", "m": "minute"}
_WORKING = ("working_days", "working_days_statutory")


def duration(text: str, counting: str | None, m: Messages) -> str:
    """``P4W`` -> "4 weeks" / "4 weken"; ``P5D`` in working days -> "5 werkdagen"."""
    match = _ISO.match(text)
    if match is None:
        return text
    parts = []
    for key, unit in _UNITS.items():
        value = match.group(key)
        if value is None:
            continue
        n = int(value)
        name = "working_day" if unit == "day" and counting in _WORKING else unit
        parts.append(m(f"unit.{name}.{'one' if n == 1 else 'many'}", n=n))
    if not parts or all(p.startswith("0 ") for p in parts):
        return m("period.immediately")
    return " ".join(parts)


def anchor(value: str, m: Messages) -> str:
    """How the count starts: "" for the event's own date, else " from the next day" etc."""
    return "" if value == "event_date" else " " + m(f"anchor.{value}")


def counting(value: str, m: Messages) -> str:
    key = f"counting.{value}"
    return m(key) if m.has(key) else value


def deadline(d: Any, m: Messages) -> str:
    """A deadline (or an open one) as a person reads it, with how it is counted."""
    if isinstance(d, Unspecified):
        return m("period.open")
    source: Any = getattr(d, "duration_from", None)
    if d.duration is None and source is None:
        return m("period.asap_no_date")
    if d.duration is not None:
        text = duration(d.duration, d.counting.value, m)
    elif source.setting is not None:
        text = m("period.from_setting", setting=source.setting)
    else:
        text = m("period.from_field", field=source.field)
    text += anchor(d.anchor.value, m)
    if d.counting.value not in ("calendar", "working_days"):
        text += f" ({counting(d.counting.value, m)})"
    return m("period.asap_at_latest", text=text) if d.asap else text
