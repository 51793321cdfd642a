"""The records family (design.md v2): what the covenant says must be written down.

Every allowed event may breach a record's `before`, discharge records (`data_recorded` with
`payload.record`, or a `discharged_by` event) and require new ones; the decision lists each
record as required / done / missing, and a missing one is a finding, never a refusal.
The bookkeeping itself is `mph_rules.casebook.CaseBook`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from mph_rules.engine.family import RuleFamily
from mph_rules.engine.plan import Step
from mph_rules.engine.state import CaseState, Context, field_of
from mph_rules.events import Event
from mph_rules.schema import EventRef


class Records(RuleFamily):
    name = "records"

    def reaches(self, step: Step) -> bool:
        kind = step.event_type
        return kind == "data_recorded" or kind in self.engine.casemodel.record_events

    def apply(self, i: int, event: Event, state: CaseState, ctx: Context, step: Step) -> None:
        book = state.book
        if book is None:
            return
        kind = event.type
        p = ctx.payload
        record = field_of(p, "record") if kind == "data_recorded" else None
        if record is None and kind not in book.index.record_events:
            return  # nothing this event can breach, discharge or require
        nodes = self.cp.nodes
        holds = self.holds

        def matches(ref: EventRef) -> bool:
            when = ref.when
            if when is None:
                return True
            found = nodes.get(id(when))  # CompiledPack.node, without its calls
            if found is not None and found[0] is when:
                return found[1].holds(ctx)
            return holds(when, ctx)

        def due(rule: Any) -> tuple[dt.date | None, dt.datetime | None]:
            if rule.deadline is None:
                return None, None
            when, when_at, _ = self.engine.due(rule.deadline, event.at, p)
            return when, when_at

        book.on_allowed(i, kind, record, event.subjects, matches, due)


__all__ = ["Records"]
