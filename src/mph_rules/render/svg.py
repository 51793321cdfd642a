"""Pictures as SVG, written directly (no JavaScript, no web resources): a case timeline, a
pack's lifecycle and its access matrix.

Deterministic output (fixed sizes, no clock, no random ids), so generated docs can be
checked for currency like the Markdown. Every drawn item carries a class (``tl-item``,
``tl-late``, ...) and a ``<title>`` (a tooltip in a browser), which the browser tests use.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from xml.sax.saxutils import escape

from mph_rules.analysis import AccessMatrix, CellVerdict
from mph_rules.decision import CaseDecision
from mph_rules.render.i18n import Messages, language, pack_names
from mph_rules.schema import Pack
from mph_rules.schema.text import dutch_of

FONT = "font-family:system-ui,'Segoe UI',Arial,sans-serif"
COLOURS = {
    "event": "#2b6cb0",
    "denied": "#c53030",
    "done": "#2f855a",
    "met": "#2f855a",
    "pending": "#2b6cb0",
    "overdue": "#c53030",
    "late": "#dd6b20",
    "waived": "#718096",
    "deletion": "#553c9a",
    "as_of": "#1a202c",
}


def _attr(text: object) -> str:
    return escape(str(text), {'"': "&quot;"})


def _day(value: dt.date | dt.datetime) -> float:
    """A moment as a day number (ordinal with the fraction of the day)."""
    if isinstance(value, dt.datetime):
        return value.toordinal() + (value.hour * 60 + value.minute) / 1440
    return float(value.toordinal())


def _date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


@dataclass(frozen=True)
class _Item:
    lane: int
    when: dt.date | dt.datetime
    label: str
    title: str
    kind: str  # a COLOURS key
    shape: str  # circle | diamond | square | cross
    late: bool = False


def _items(d: CaseDecision, m: Messages) -> list[_Item]:
    out: list[_Item] = []
    at = {ev.index: ev.at for ev in d.events}
    for ev in d.events:
        what = m.event(ev.type)
        out.append(
            _Item(
                0,
                ev.at,
                f"#{ev.index}",
                f"#{ev.index} {ev.at} {what}"
                + (
                    ""
                    if ev.allowed
                    else " — " + m("svg.denied") + ": " + "; ".join(m.reason(r) for r in ev.reasons)
                ),
                "event" if ev.allowed else "denied",
                "circle" if ev.allowed else "cross",
            )
        )
    for n in d.notifications:
        when: dt.date | dt.datetime | None = n.due_at or n.due
        if when is None:
            when = at.get(n.done_event) if n.done_event is not None else at.get(n.trigger_event)
        if when is None:
            continue
        late = n.late or n.status == "overdue"
        status = "late" if n.late else n.status
        out.append(
            _Item(
                1,
                when,
                m.name(n.about),
                m(
                    "svg.notification",
                    about=m.name(n.about),
                    who=m.name(n.recipient),
                    status=m(f"status.{status}"),
                )
                + (f" — {m('svg.due')} {n.due_at or n.due}" if n.due else ""),
                status if status in COLOURS else "pending",
                "diamond",
                late,
            )
        )
    for pd in d.deadlines:
        if pd.due is None:
            continue
        late = pd.status in ("late", "overdue")
        out.append(
            _Item(
                2,
                pd.due_at or pd.due,
                pd.rule,
                f"{m.text(pd.label)}: {m('svg.due')} {pd.due} ({m('status.' + pd.status)})",
                pd.status if pd.status in COLOURS else "pending",
                "diamond",
                late,
            )
        )
    for dl in d.deletions:
        if dl.date is not None:
            out.append(
                _Item(
                    3,
                    dl.date,
                    dl.scope,
                    m(
                        "svg.deletion",
                        scope=m.names.get(f"retention.{dl.scope}", m.name(dl.scope)),
                        date=dl.date,
                    )
                    + f" ({dl.rule})",
                    "deletion",
                    "square",
                )
            )
    return out


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}"/>'
    if shape == "square":
        return f'<rect x="{x - 6:.1f}" y="{y - 6:.1f}" width="12" height="12" fill="{colour}"/>'
    if shape == "diamond":
        pts = f"{x:.1f},{y - 7:.1f} {x + 7:.1f},{y:.1f} {x:.1f},{y + 7:.1f} {x - 7:.1f},{y:.1f}"
        return f'<polygon points="{pts}" fill="{colour}"/>'
    return (
        f'<path d="M{x - 6:.1f},{y - 6:.1f} L{x + 6:.1f},{y + 6:.1f} M{x - 6:.1f},{y + 6:.1f} '
        f'L{x + 6:.1f},{y - 6:.1f}" stroke="{colour}" stroke-width="3"/>'
    )


def timeline(d: CaseDecision, pack: Pack | None = None, *, lang: str | None = None) -> str:
    """The case on a time axis: events (denied ones crossed), notifications and process
    deadlines at their due dates (late ones ringed in red), deletion dates, and the as-of
    line. Deletion dates far beyond the case sit in a compressed "later" zone on the right."""
    lang = language(lang, pack)
    m = Messages(lang, dutch_of(pack) if pack is not None else None, pack_names(pack, lang))
    items = _items(d, m)
    lanes = [m("svg.lane_events"), m("svg.lane_notifications"), m("svg.lane_deadlines")]
    lanes.append(m("svg.lane_deletions"))
    width, left, right_main, top, lane_h = 1000, 150, 800, 40, 70
    right = width - 20
    moments = [_day(i.when) for i in items if i.lane < 3] + [_day(d.as_of)]
    start, end = min(moments), max(moments)
    span = max(end - start, 1.0)
    start, end = start - span * 0.03, end + span * 0.03
    later = sorted({_date(i.when) for i in items if i.lane == 3 and _day(i.when) > end})
    main_right = right_main if later else right

    def x_of(when: dt.date | dt.datetime) -> float:
        day = _day(when)
        if day > end and later:
            rank = later.index(_date(when))
            return right_main + 40 + (right - right_main - 60) * (rank + 0.5) / len(later)
        return left + (main_right - left) * (day - start) / (end - start)

    height = top + lane_h * len(lanes) + 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_attr(m("svg.timeline"))}" '
        f'style="{FONT};font-size:12px">',
        f"<title>{escape(m('svg.timeline_title', case=d.case_id, as_of=d.as_of))}</title>",
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
    ]
    for i, name in enumerate(lanes):
        y = top + lane_h * i + lane_h / 2
        fill = "#f7fafc" if i % 2 == 0 else "#edf2f7"
        out.append(
            f'<rect x="0" y="{top + lane_h * i}" width="{width}" height="{lane_h}" fill="{fill}"/>'
        )
        out.append(f'<text x="10" y="{y + 4:.1f}" font-weight="600">{escape(name)}</text>')
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#a0aec0"/>')
    axis_y = top + lane_h * len(lanes) + 5
    out.append(
        f'<line x1="{left}" y1="{axis_y}" x2="{main_right}" y2="{axis_y}" stroke="#4a5568"/>'
    )
    for tick in _ticks(start, end):
        x = left + (main_right - left) * (tick.toordinal() - start) / (end - start)
        out.append(
            f'<line x1="{x:.1f}" y1="{axis_y}" x2="{x:.1f}" y2="{axis_y + 5}" stroke="#4a5568"/>'
            f'<text x="{x:.1f}" y="{axis_y + 18}" text-anchor="middle" fill="#4a5568">'
            f"{tick.isoformat()}</text>"
        )
    if later:
        out.append(
            f'<text x="{right_main + 10}" y="{axis_y + 18}" fill="#4a5568">≫ '
            f"{escape(m('svg.later'))}</text>"
            f'<line x1="{right_main + 20}" y1="{top}" x2="{right_main + 20}" y2="{axis_y}" '
            'stroke="#a0aec0" stroke-dasharray="2,3"/>'
        )
    x = x_of(d.as_of)
    out.append(
        f'<g class="tl-as-of"><line x1="{x:.1f}" y1="{top - 10}" x2="{x:.1f}" y2="{axis_y}" '
        f'stroke="{COLOURS["as_of"]}" stroke-dasharray="5,3"/>'
        f'<text x="{x:.1f}" y="{top - 14}" text-anchor="middle" font-weight="600">'
        f"{escape(m('svg.as_of', as_of=_date(d.as_of)))}</text></g>"
    )
    placed: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for item in sorted(items, key=lambda i: (i.lane, _day(i.when))):
        x = x_of(item.when)
        y = top + lane_h * item.lane + lane_h / 2
        level = _free_level(placed[item.lane], x)
        colour = COLOURS[item.kind]
        ty = (
            0.0
            if level is None
            else y - 11 - 12 * level
            if level < 2
            else y + 20 + 12 * (level - 2)
        )
        cls = "tl-item tl-" + item.kind + (" tl-is-late" if item.late else "")
        out.append(f'<g class="{cls}" data-lane="{item.lane}"><title>{escape(item.title)}</title>')
        if item.late:
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="11" fill="none" '
                f'stroke="{COLOURS["overdue"]}" stroke-width="2"/>'
            )
        out.append(_marker(item.shape, x, y, colour))
        if level is not None:
            out.append(
                f'<text x="{x:.1f}" y="{ty:.1f}" text-anchor="middle" fill="{colour}">'
                f"{escape(_short(item.label, 18))}</text>"
            )
        out.append("</g>")
    out.append(_legend(m, width, height))
    out.append("</svg>")
    return "\n".join(out)


def _free_level(placed: list[tuple[float, int]], x: float) -> int | None:
    """The first label level (0, 1 above the lane; 2, 3 below) no nearby label uses."""
    used = {level for p, level in placed if abs(p - x) < 46}
    level = next((lvl for lvl in range(4) if lvl not in used), None)
    if level is None:
        return None  # crowded: the marker's tooltip carries the text
    placed.append((x, level))
    return level


def _legend(m: Messages, width: int, height: int) -> str:
    entries = [
        ("circle", "event", m("svg.key_event")),
        ("cross", "denied", m("svg.key_denied")),
        ("diamond", "done", m("svg.key_done")),
        ("diamond", "pending", m("svg.key_pending")),
        ("diamond", "late", m("svg.key_late")),
        ("square", "deletion", m("svg.key_deletion")),
    ]
    out = ['<g class="tl-legend">']
    x = 150.0
    for shape, kind, text in entries:
        out.append(_marker(shape, x, 20, COLOURS[kind]))
        out.append(f'<text x="{x + 10:.1f}" y="24">{escape(text)}</text>')
        x += 24 + 6.5 * len(text)
    out.append("</g>")
    return "".join(out)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _ticks(start: float, end: float) -> list[dt.date]:
    """About six round dates on the axis: months, or days for a short case."""
    first = dt.date.fromordinal(int(start) + 1)
    last = dt.date.fromordinal(int(end))
    days = (last - first).days
    if days <= 62:
        step = max(1, days // 6)
        return [first + dt.timedelta(days=k) for k in range(0, days + 1, step)]
    months = (last.year - first.year) * 12 + last.month - first.month
    step = max(1, months // 6)
    out = []
    year, month = first.year, first.month + 1
    while (year, month) <= (last.year, last.month):
        out.append(dt.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1))
        month += step
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return out


# --- a pack's pictures --------------------------------------------------------------------------


def lifecycle(pack: Pack, *, lang: str | None = None) -> str:
    """Phases as boxes in columns by their distance from the initial phase; transitions as
    arrows labelled with their event."""
    m = Messages(language(lang, pack))
    lc = pack.lifecycle
    if lc is None:
        return ""
    depth = {lc.initial: 0}
    frontier = [lc.initial]
    while frontier:
        nxt = []
        for here in frontier:
            for t in lc.transitions:
                if here in t.from_ and t.to not in depth:
                    depth[t.to] = depth[here] + 1
                    nxt.append(t.to)
        frontier = nxt
    cols: dict[int, list[str]] = defaultdict(list)
    for phase in lc.phases:
        cols[depth.get(phase.id, max(depth.values(), default=0) + 1)].append(phase.id)
    box_w, box_h, gap_x, gap_y = 136, 44, 64, 36
    pos: dict[str, tuple[float, float]] = {}
    for c, (_, phases) in enumerate(sorted(cols.items())):
        for r, ph in enumerate(phases):
            pos[ph] = (20 + c * (box_w + gap_x), 40 + r * (box_h + gap_y))
    width = int(max(x for x, _ in pos.values()) + box_w + 30)
    height = int(max(y for _, y in pos.values()) + box_h + 60)
    labels = {p.id: p for p in lc.phases}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lifecycle" viewBox="0 0 {width} '
        f'{height}" width="{width}" height="{height}" role="img" style="{FONT};font-size:11px">',
        f"<title>{escape(m('svg.lifecycle_title', pack=pack.pack.id))}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#4a5568"/></marker></defs>',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
    ]
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for t in lc.transitions:
        for src in t.from_:
            edges[(src, t.to)].append(m.event(t.on))
    for (src, dst), events in sorted(edges.items()):
        (x1, y1), (x2, y2) = pos[src], pos[dst]
        text = _short(", ".join(dict.fromkeys(events)), 30)
        if x2 > x1:
            a = (x1 + box_w, y1 + box_h / 2)
            b = (x2, y2 + box_h / 2)
            mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2 - 4)
            path = f"M{a[0]:.0f},{a[1]:.0f} L{b[0]:.0f},{b[1]:.0f}"
        else:  # backwards or within a column: an arc below the boxes
            a = (x1 + box_w / 2, y1 + box_h)
            b = (x2 + box_w / 2 + 8, y2 + box_h)
            low = max(y1, y2) + box_h + 28
            mid = ((a[0] + b[0]) / 2, low + 2)
            path = (
                f"M{a[0]:.0f},{a[1]:.0f} C{a[0]:.0f},{low:.0f} "
                f"{b[0]:.0f},{low:.0f} {b[0]:.0f},{b[1]:.0f}"
            )
        out.append(
            f'<g class="lc-transition"><title>{escape(src)} → {escape(dst)}: '
            f"{escape(', '.join(events))}</title>"
            f'<path d="{path}" fill="none" stroke="#4a5568" marker-end="url(#arrow)"/>'
            f'<text x="{mid[0]:.0f}" y="{mid[1]:.0f}" text-anchor="middle" fill="#2d3748" '
            f'font-size="10">{escape(text)}</text></g>'
        )
    for ph, (x, y) in pos.items():
        phase = labels[ph]
        fill = "#ebf8ff" if ph == lc.initial else "#f0fff4" if phase.terminal else "#fff"
        stroke = "#2b6cb0" if ph == lc.initial else "#2f855a" if phase.terminal else "#4a5568"
        width_px = 3 if phase.terminal else 1.5
        out.append(
            f'<g class="lc-phase"><title>{escape(ph)}: {escape(m.text(phase.label))}</title>'
            f'<rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="8" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{width_px}"/>'
            f'<text x="{x + box_w / 2}" y="{y + 18}" text-anchor="middle" font-weight="600">'
            f"{escape(_short(ph, 22))}</text>"
            f'<text x="{x + box_w / 2}" y="{y + 33}" text-anchor="middle" fill="#4a5568">'
            f"{escape(_short(m.text(phase.label), 26))}</text></g>"
        )
    out.append("</svg>")
    return "\n".join(out)


def access_matrix(pack: Pack, matrix: AccessMatrix, *, lang: str | None = None) -> str:
    """Categories down, roles across; per cell R and W, coloured by how far they reach:
    every phase, some phases, only under a condition, or not at all."""
    m = Messages(language(lang, pack))
    roles = [
        r
        for r in matrix.roles
        if any(
            _reach(matrix, r, c, a)[0] != "none"
            for c in matrix.categories
            for a in ("read", "write")
        )
    ]
    closed = [r for r in matrix.roles if r not in roles]
    cats = list(matrix.categories)
    cell_w, cell_h, left, top = 46, 20, 210, 150
    width = max(left + cell_w * len(roles) + 20, 720)
    height = top + cell_h * len(cats) + (80 if closed else 60)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="access-matrix" viewBox="0 0 {width} '
        f'{height}" width="{width}" height="{height}" role="img" style="{FONT};font-size:11px">',
        f"<title>{escape(m('svg.matrix_title', pack=pack.pack.id))}</title>",
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
    ]
    for c, role in enumerate(roles):
        x = left + c * cell_w + cell_w / 2
        out.append(
            f'<text transform="translate({x:.0f},{top - 6}) rotate(-50)">'
            f"{escape(_short(role, 24))}</text>"
        )
    for r, cat in enumerate(cats):
        y = top + r * cell_h
        out.append(
            f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{escape(_short(cat, 30))}</text>'
        )
        for c, role in enumerate(roles):
            x = left + c * cell_w
            for k, action in enumerate(("read", "write")):
                reach, text = _reach(matrix, role, cat, action)
                colour = {
                    "all": "#38a169",
                    "some": "#9ae6b4",
                    "cond": "#f6e05e",
                    "none": "#edf2f7",
                }[reach]
                letter = "RW"[k] if reach != "none" else ""
                out.append(
                    f'<g class="am-cell am-{reach}"><title>{escape(role)} · {escape(cat)} · '
                    f"{escape(m('svg.' + action))}: {escape(text)}</title>"
                    f'<rect x="{x + k * cell_w / 2:.0f}" y="{y}" width="{cell_w / 2 - 1:.0f}" '
                    f'height="{cell_h - 1}" fill="{colour}"/>'
                    f'<text x="{x + k * cell_w / 2 + cell_w / 4:.0f}" y="{y + 14}" '
                    f'text-anchor="middle">{letter}</text></g>'
                )
    y = top + cell_h * len(cats) + 22
    x = float(left)
    for reach, colour in (("all", "#38a169"), ("some", "#9ae6b4"), ("cond", "#f6e05e")):
        label = m(f"svg.reach_{reach}")
        out.append(
            f'<rect x="{x:.0f}" y="{y - 11}" width="14" height="14" fill="{colour}"/>'
            f'<text x="{x + 18:.0f}" y="{y}">{escape(label)}</text>'
        )
        x += 30 + 6.2 * len(label)
    if closed:
        text = m("svg.no_access", roles=", ".join(closed))
        out.append(
            f'<text x="{left}" y="{y + 24}" fill="#4a5568">{escape(_short(text, 160))}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def _reach(matrix: AccessMatrix, role: str, cat: str, action: str) -> tuple[str, str]:
    verdicts = [(ph, matrix.cell(role, cat, ph, action).verdict) for ph in matrix.phases]
    yes = [ph for ph, v in verdicts if v in (CellVerdict.ALLOW, CellVerdict.CONDITIONAL)]
    if not yes:
        return "none", "-"
    if any(v is CellVerdict.CONDITIONAL for _, v in verdicts):
        return "cond", ", ".join(yes)
    return ("all" if len(yes) == len(verdicts) else "some"), ", ".join(yes)
