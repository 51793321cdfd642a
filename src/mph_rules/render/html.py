"""HTML: a decision report with its timeline (``decision``), and the body parts the
playground reuses (``decision_body``). Self-contained: inline CSS and SVG, no script and no
web resource, so a report saved to disk reads the same offline.

Every citation is a link: by default to the "cited rules" appendix of the same page (article
and quote); the playground passes ``docs_href`` to link the pack's reference page instead.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable

from mph_rules.analysis import Comparison
from mph_rules.decision import CaseDecision, TraceEntry
from mph_rules.render import svg
from mph_rules.render.i18n import Messages, language
from mph_rules.render.text import Words, rule_sources
from mph_rules.schema import Pack

CSS = """
body{font-family:system-ui,'Segoe UI',Arial,sans-serif;margin:0;color:#1a202c;background:#f7fafc}
main{max-width:1080px;margin:0 auto;padding:1.2rem 1.5rem 3rem;background:#fff}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1.6rem 0 .5rem;
border-bottom:2px solid #e2e8f0;padding-bottom:.2rem}
.meta{color:#4a5568;font-size:.9rem}
.cards{display:flex;gap:.8rem;flex-wrap:wrap;margin:1rem 0}
.card{border:1px solid #e2e8f0;border-radius:8px;padding:.5rem .9rem;min-width:9rem}
.card b{display:block;font-size:1.3rem}.card.bad b{color:#c53030}
table{border-collapse:collapse;width:100%;font-size:.88rem}
th,td{text-align:left;vertical-align:top;padding:.3rem .45rem;border-bottom:1px solid #edf2f7}
th{background:#f7fafc}
.ok{color:#2f855a;font-weight:600}.denied,.overdue,.late{color:#c53030;font-weight:600}
.pending{color:#2b6cb0;font-weight:600}.waived{color:#718096;font-weight:600}
.done,.met{color:#2f855a;font-weight:600}
.timeline-box{overflow-x:auto;border:1px solid #e2e8f0;border-radius:8px}
.timeline-box svg{max-width:100%;height:auto}
a.cite{color:#2c5282;text-decoration:none;border-bottom:1px dotted #2c5282;white-space:nowrap}
details{margin:.2rem 0}summary{cursor:pointer}
.trace td:first-child{white-space:nowrap}
.quote{color:#4a5568;font-style:italic}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _moment(value: dt.date | dt.datetime) -> str:
    """A date, or a moment to the minute with its offset (summer and winter time differ)."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    return value.isoformat()


class _Report:
    def __init__(
        self,
        d: CaseDecision,
        pack: Pack,
        lang: str | None,
        docs_href: Callable[[str], str] | None,
    ) -> None:
        self.d = d
        self.pack = pack
        self.w = Words(pack, lang)
        self.m = self.w.m
        self.sources = rule_sources(pack)
        self.docs_href = docs_href
        self.cited: dict[str, None] = {}

    def cite(self, rule: str | None, fallback: str | None = None) -> str:
        """A rule id as a link to its article, with the article as the link text."""
        if not rule:
            return _e(fallback or "")
        source = self.sources.get(rule)
        text = source.cite() if source is not None else (fallback or rule)
        self.cited[rule] = None
        href = self.docs_href(rule) if self.docs_href else f"#rule-{rule}"
        title = f"{rule}: {source.quote}" if source is not None else rule
        return f'<a class="cite" href="{_e(href)}" title="{_e(title)}">{_e(text)}</a>'

    def status(self, status: str) -> str:
        return f'<span class="{_e(status)}">{_e(self.w.status(status))}</span>'

    def body(self) -> str:
        d, m = self.d, self.m
        parts = [
            "<h1>"
            + _e(m("decision.title", case=d.case_id, title=self.w.text(self.pack.pack.title)))
            + "</h1>",
            '<p class="meta">' + _e(self.w.pack_line(d).strip()) + "</p>",
            self.cards(),
            f"<h2>{_e(m('svg.timeline'))}</h2>",
            f'<div class="timeline-box">{svg.timeline(d, self.pack, lang=m.lang)}</div>',
            self.events(),
            self.notifications(),
            self.deadlines(),
            self.deletions(),
            self.v2_parts(),
            self.next_actions(),
            self.trace(),
        ]
        return "\n".join(p for p in parts if p)

    def cards(self) -> str:
        d, m = self.d, self.m
        denied = sum(not ev.allowed for ev in d.events)
        open_ = sum(n.status in ("pending", "overdue") for n in d.notifications)
        overdue = sum(n.status == "overdue" for n in d.notifications)
        late = sum(pd.status in ("late", "overdue") for pd in d.deadlines)
        dates = sorted(dl.date for dl in d.deletions if dl.date is not None)
        cards = [
            ("", m("html.card_phase"), self.w.phase(d.phase)),
            ("bad" if denied else "", m("html.card_events"), f"{len(d.events)} ({denied} ✗)"),
            ("bad" if overdue else "", m("html.card_open"), f"{open_} ({overdue} !)"),
            ("bad" if late else "", m("html.card_late"), str(late)),
            ("", m("html.card_deletion"), str(dates[0]) if dates else "-"),
        ]
        return (
            '<div class="cards">'
            + "".join(
                f'<div class="card {cls}"><span>{_e(k)}</span><b>{_e(v)}</b></div>'
                for cls, k, v in cards
            )
            + "</div>"
        )

    def events(self) -> str:
        m, w = self.m, self.w
        rows = []
        for ev in self.d.events:
            verdict = (
                f'<span class="ok">{_e(m("mark.ok"))}</span>'
                if ev.allowed
                else f'<span class="denied">{_e(m("mark.denied"))}</span>'
            )
            move = f"{_e(w.phase(ev.phase_after))}" if ev.phase_after != ev.phase_before else ""
            why = "<br>".join(_e(w.reason(r)) for r in ev.reasons) if not ev.allowed else ""
            rules = ", ".join(self.cite(r) for r in ev.rules) if not ev.allowed else ""
            rows.append(
                f'<tr class="ev" id="event-{ev.index}"><td>#{ev.index}</td>'
                f"<td>{_e(_moment(ev.at))}</td>"
                f"<td>{_e(w.event(ev.type))}</td><td>{verdict}</td><td>{move}</td>"
                f"<td>{why}{' ' + rules if rules else ''}</td></tr>"
            )
        head = "".join(
            f"<th>{_e(m(k))}</th>"
            for k in ("html.col_no", "html.col_when", "html.col_event", "html.col_verdict")
        )
        head += f"<th>{_e(m('html.col_phase'))}</th><th>{_e(m('html.col_why'))}</th>"
        return self.table("decision.events", head, rows, "events")

    def table(self, title: str, head: str, rows: list[str], cls: str) -> str:
        if not rows:
            return ""
        return (
            f"<h2>{_e(self.m(title, phase=self.w.phase(self.d.phase)))}</h2>"
            f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>'
            + "\n".join(rows)
            + "</tbody></table>"
        )

    def notifications(self) -> str:
        m, w = self.m, self.w
        rows = []
        for n in self.d.notifications:
            due = (
                n.due_at.isoformat(timespec="minutes")
                if n.due_at is not None and n.counting == "elapsed_hours"
                else n.due or (m("when.asap") if n.asap else m("when.none"))
            )
            extra = ""
            if n.status == "waived":
                extra = m(
                    "decision.waived", ground=w.ground(n.ground), reason=w.reason(n.reason or "")
                ).lstrip("; ")
            if n.status == "done":
                extra = m("decision.done", n=n.done_event).lstrip("; ") + (
                    m("decision.late") if n.late else ""
                )
            status = "late" if n.late else n.status
            rows.append(
                f"<tr><td>{self.status(status)}</td><td>{_e(w.role(n.recipient))}</td>"
                f"<td>{_e(w.notification_about(n))}</td><td>{_e(w.role(n.informer))}</td><td>{_e(due)}</td>"
                f"<td>{_e(extra)}</td><td>{self.cite(n.duty, n.source)}</td></tr>"
            )
        head = (
            "".join(
                f"<th>{_e(m('html.' + k))}</th>"
                for k in ("col_status", "col_whom", "col_about", "col_by", "col_due", "col_note")
            )
            + f"<th>{_e(m('html.col_source'))}</th>"
        )
        return self.table("decision.notifications", head, rows, "notifications")

    def deadlines(self) -> str:
        m = self.m
        rows = [
            f"<tr><td>{self.status(pd.status)}</td><td>{_e(self.w.text(pd.label))}</td>"
            f"<td>{_e(pd.due or m('word.unspecified'))}</td>"
            f"<td>{self.cite(pd.rule, pd.source)}</td></tr>"
            for pd in self.d.deadlines
        ]
        head = (
            "".join(f"<th>{_e(m('html.' + k))}</th>" for k in ("col_status", "col_what", "col_due"))
            + f"<th>{_e(m('html.col_source'))}</th>"
        )
        return self.table("decision.deadlines", head, rows, "deadlines")

    def deletions(self) -> str:
        m, w = self.m, self.w
        rows = []
        for dl in self.d.deletions:
            notes = [w.reason(dl.reason)]
            if dl.anchor:
                notes.append(m("decision.counted_from", date=dl.anchor))
            if dl.alert_on:
                notes.append(m("decision.alert_on", date=dl.alert_on))
            notes += [m("decision.exception", text=w.reason(x)) for x in dl.exceptions]
            rows.append(
                f"<tr><td>{_e(w.scope(dl.scope))}</td><td>{_e(dl.date or '-')}</td>"
                f"<td>{'<br>'.join(_e(n) for n in notes)}</td>"
                f"<td>{self.cite(dl.rule, dl.source)}</td></tr>"
            )
        head = "".join(
            f"<th>{_e(m('html.' + k))}</th>"
            for k in ("col_scope", "col_date", "col_why", "col_source")
        )
        return self.table("decision.deletions", head, rows, "deletions")

    def v2_parts(self) -> str:
        """Records to write down, findings and open points (absent parts leave no trace)."""
        m, w = self.m, self.w
        parts = []
        rows = [
            f"<tr><td>{self.status(r.status)}</td><td>{_e(w.text(r.what))}</td>"
            f"<td>{_e(w.role(r.by) if r.by else '')}</td><td>{_e(r.due or '')}</td>"
            f"<td>{self.cite(r.rule, r.source)}</td></tr>"
            for r in self.d.records
        ]
        head = "".join(
            f"<th>{_e(m('html.' + k))}</th>"
            for k in ("col_status", "col_what", "col_by", "col_due", "col_source")
        )
        parts.append(self.table("decision.records", head, rows, "records"))
        rows = [
            f"<tr><td>{_e(w.finding(f.code))}</td>"
            f"<td>{'#' + str(f.event) if f.event is not None else ''}</td>"
            f"<td>{_e(w.reason(f.message))}</td><td>{self.cite(f.rule, f.source)}</td></tr>"
            for f in self.d.findings
        ]
        head = "".join(
            f"<th>{_e(m('html.' + k))}</th>"
            for k in ("col_what", "col_no", "col_why", "col_source")
        )
        parts.append(self.table("decision.findings", head, rows, "findings"))
        rows = [
            f"<tr><td>{_e(m('open.' + p.kind) if m.has('open.' + p.kind) else p.kind)}</td>"
            f"<td>{_e(w.reason(p.note))}</td><td>{_e(w.setting(p.setting or ''))}</td>"
            f"<td>{_e(w.setting_reading(p.setting or '', p.reading) if p.reading else '')}</td>"
            f"<td>{self.cite(p.rule, p.source)}</td></tr>"
            for p in self.d.open_points
        ]
        head = "".join(
            f"<th>{_e(m('html.' + k))}</th>"
            for k in ("col_status", "col_note", "col_setting", "col_reading", "col_source")
        )
        parts.append(self.table("decision.open_points", head, rows, "open-points"))
        return "\n".join(p for p in parts if p)

    def next_actions(self) -> str:
        m, w = self.m, self.w
        rows = []
        for a in self.d.allowed_actions:
            who = w.actors(a.roles)
            mark = (
                f'<span class="ok">{_e(m("mark.may"))}</span>'
                if a.allowed
                else f'<span class="denied">{_e(m("mark.blocked"))}</span>'
            )
            rows.append(
                f"<tr><td>{mark}</td><td>{_e(w.event(a.event))}</td><td>{_e(who)}</td>"
                f"<td>{_e(w.reason(a.reason))}</td><td>{self.cite(a.rule)}</td></tr>"
            )
        head = "".join(
            f"<th>{_e(m('html.' + k))}</th>"
            for k in ("col_verdict", "col_event", "col_by", "col_why", "col_source")
        )
        return self.table("decision.next", head, rows, "next")

    def outcome(self, outcome: str) -> str:
        key = f"outcome.{outcome}"
        return self.m(key) if self.m.has(key) else outcome

    def trace(self) -> str:
        m, w = self.m, self.w
        by_event: dict[int | None, list[TraceEntry]] = {}
        for entry in self.d.trace:
            by_event.setdefault(entry.event, []).append(entry)
        blocks = []
        for ev in self.d.events:
            entries = by_event.get(ev.index, [])
            rows = "".join(
                f"<tr><td>{_e(self.outcome(e.outcome))}</td><td>{_e(w.rule(e.rule))}</td>"
                f"<td>{self.cite(e.rule, e.source)}</td>"
                f"<td>{_e(w.reason(e.reason))}</td></tr>"
                for e in entries
            )
            verdict = m("trace.allowed" if ev.allowed else "trace.denied")
            blocks.append(
                f'<details class="trace-event"><summary>#{ev.index} {_e(_moment(ev.at))} '
                f"{_e(w.event(ev.type))} ({_e(verdict)}; {_e(w.phase(ev.phase_before))} → "
                f"{_e(w.phase(ev.phase_after))})</summary>"
                + (f'<table class="trace"><tbody>{rows}</tbody></table>' if rows else "")
                + "</details>"
            )
        return f"<h2>{_e(m('html.trace'))}</h2>" + "\n".join(blocks)

    def appendix(self) -> str:
        """The rules this page cites, each with its article and quote: the link targets."""
        m = self.m
        rows = []
        for rule in sorted(self.cited):
            source = self.sources.get(rule)
            if source is None:
                continue
            rows.append(
                f'<tr id="rule-{_e(rule)}"><td><code>{_e(rule)}</code></td>'
                f"<td>{_e(source.cite())}</td>"
                f'<td class="quote">“{_e(source.quote)}”</td></tr>'
            )
        if not rows:
            return ""
        head = "".join(
            f"<th>{_e(m('html.' + k))}</th>" for k in ("col_rule", "col_source", "col_quote")
        )
        return (
            f"<h2>{_e(m('html.cited'))}</h2>"
            f'<table class="cited"><thead><tr>{head}</tr></thead><tbody>'
            + "\n".join(rows)
            + "</tbody></table>"
        )


def decision_body(
    d: CaseDecision,
    pack: Pack,
    *,
    lang: str | None = None,
    docs_href: Callable[[str], str] | None = None,
) -> str:
    """The report without the page around it (for the playground)."""
    report = _Report(d, pack, lang, docs_href)
    body = report.body()
    if docs_href is None:
        body += report.appendix()
    return body


def page(title: str, body: str, *, lang: str, extra_head: str = "") -> str:
    """A complete HTML document around ``body`` with the report's style."""
    return (
        f'<!DOCTYPE html>\n<html lang="{_e(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style>{extra_head}</head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def decision(
    d: CaseDecision,
    pack: Pack,
    *,
    lang: str | None = None,
    docs_href: Callable[[str], str] | None = None,
) -> str:
    """A complete, self-contained HTML decision report."""
    w = Words(pack, lang)
    title = w.m("decision.title", case=d.case_id, title=w.text(pack.pack.title))
    return page(title, decision_body(d, pack, lang=w.m.lang, docs_href=docs_href), lang=w.m.lang)


def compare(c: Comparison, *, show_all: bool = False, lang: str | None = None) -> str:
    """Packs side by side as an HTML page, a table per topic; by default only what differs."""
    from mph_rules.render.text import topic_name, topics

    m = Messages(language(lang))
    parts = [
        f"<h1>{_e(m('compare.title'))}</h1>",
        "<ul>"
        + "".join(
            f"<li><code>{_e(p)}</code>: {_e(t)}</li>"
            for p, t in zip(c.packs, c.titles, strict=True)
        )
        + "</ul>",
        '<p class="meta">'
        + _e(
            m(
                "compare.summary",
                differ=sum(r.differs for r in c.rows),
                total=len(c.rows),
                packs=", ".join(c.packs),
            )
        )
        + "</p>",
    ]
    for aspect, rows in topics(c, show_all):
        head = f"<th>{_e(topic_name(aspect, m))}</th>" + "".join(
            f"<th><code>{_e(p)}</code></th>" for p in c.packs
        )
        body = "".join(
            f'<tr class="{"differs" if r.differs else "same"}"><td>{_e(r.item)}'
            + ("" if r.differs else f" {_e(m('compare.same'))}")
            + "</td>"
            + "".join(f"<td>{'<br>'.join(_e(x) for x in v.split(chr(10)))}</td>" for v in r.values)
            + "</tr>"
            for r in rows
        )
        parts.append(
            f'<h2>{_e(topic_name(aspect, m))}</h2><table class="compare">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )
    if not show_all:
        parts.append(f'<p class="meta">{_e(m("compare.left_out"))}</p>')
    return page(m("compare.title"), "\n".join(parts), lang=m.lang)
