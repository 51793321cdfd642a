"""Evaluate a case against a compiled pack: pure, deterministic, no clock.

One module per rule family (``lifecycle``, ``access``, ``sharing``, ``duties``, ``rights``,
``retention``, and ``case`` for facts and consents); ``core`` combines their verdicts,
``session`` replays and posts, ``plan`` holds the per-event-type steps, ``state`` the case state.
"""

from __future__ import annotations

from mph_rules.engine.core import Engine
from mph_rules.engine.family import RuleFamily
from mph_rules.engine.plan import Plan, Step
from mph_rules.engine.session import CaseSession

__all__ = ["CaseSession", "Engine", "Plan", "RuleFamily", "Step"]
