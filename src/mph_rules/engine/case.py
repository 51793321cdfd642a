"""The case family: what an event says about the case itself (its facts, its consents)."""

from __future__ import annotations

from mph_rules.engine.family import RuleFamily
from mph_rules.engine.plan import Step
from mph_rules.engine.state import CaseState, Context
from mph_rules.events import Event


class CaseFacts(RuleFamily):
    name = "case"
    reacts_to = frozenset(
        {
            "case_registered",
            "case_reregistered",
            "consent_given",
            "consent_refused",
            "consent_withdrawn",
        }
    )

    def reaches(self, step: Step) -> bool:
        return step.event_type in self.reacts_to

    def apply(self, i: int, event: Event, state: CaseState, ctx: Context, step: Step) -> None:
        kind = event.type
        if kind in ("case_registered", "case_reregistered"):
            state.facts.update(event.parsed.facts)
        elif kind == "consent_given":
            state.consents[event.parsed.scope] = True
        elif kind in ("consent_withdrawn", "consent_refused"):
            state.consents[event.parsed.scope] = False
        if state.book is not None and kind.startswith("consent_"):
            # v2: consent per subject, scoped by category, recipient and purpose
            state.book.consent.record(i, kind, event.parsed)


__all__ = ["CaseFacts"]
