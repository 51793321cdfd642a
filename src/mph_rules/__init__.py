"""mph-rules: Dutch multi-problem-household data-sharing covenants as executable policy.

The public API::

    from mph_rules import load_pack, Engine
    engine = Engine(load_pack("hilversum"))
    decision = engine.evaluate(case, as_of=date(2024, 6, 1))
    print(decision.to_json())
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mph-rules")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

from mph_rules.decision import (
    AllowedAction,
    CaseDecision,
    Consequences,
    Deletion,
    DueItems,
    EventVerdict,
    IntakeVerdict,
    Notification,
    ProcessDeadlineStatus,
    TraceEntry,
    Verdict,
)
from mph_rules.engine import CaseSession, Engine
from mph_rules.errors import EventError, MphRulesError, PackError, Problem
from mph_rules.events import Case, Event
from mph_rules.loading import bundled_names, load_case, load_pack, load_pack_text
from mph_rules.schema import Pack

__all__ = [
    "AllowedAction",
    "Case",
    "CaseDecision",
    "CaseSession",
    "Consequences",
    "Deletion",
    "DueItems",
    "Engine",
    "Event",
    "EventError",
    "EventVerdict",
    "IntakeVerdict",
    "MphRulesError",
    "Notification",
    "Pack",
    "PackError",
    "Problem",
    "ProcessDeadlineStatus",
    "TraceEntry",
    "Verdict",
    "__version__",
    "bundled_names",
    "load_case",
    "load_pack",
    "load_pack_text",
]
