"""Pydantic models of a policy pack, one module per group of sections."""

from mph_rules.schema.common import (
    CoreKind,
    Deadline,
    EventRef,
    PartyType,
    Rule,
    Source,
    Unspecified,
)
from mph_rules.schema.lifecycle import Lifecycle, Phase, Precondition, ProcessDeadline, Transition
from mph_rules.schema.metadata import EffectivePeriod, PackMeta, SourceDocument
from mph_rules.schema.organisation import CustomEvent, DataCategory, ExceptionGround, Party, Role
from mph_rules.schema.pack import Pack
from mph_rules.schema.rules import (
    AccessRule,
    Action,
    Effect,
    Ground,
    InformationDuty,
    Intake,
    IntakeCriterion,
    LegalBasis,
    Representation,
    RetentionClock,
    RetentionException,
    Right,
    RightKind,
    SharingRule,
)

__all__ = [
    "AccessRule",
    "Action",
    "CoreKind",
    "CustomEvent",
    "DataCategory",
    "Deadline",
    "Effect",
    "EffectivePeriod",
    "EventRef",
    "ExceptionGround",
    "Ground",
    "InformationDuty",
    "Intake",
    "IntakeCriterion",
    "LegalBasis",
    "Lifecycle",
    "Pack",
    "PackMeta",
    "Party",
    "PartyType",
    "Phase",
    "Precondition",
    "ProcessDeadline",
    "Representation",
    "RetentionClock",
    "RetentionException",
    "Right",
    "RightKind",
    "Role",
    "Rule",
    "SharingRule",
    "Source",
    "SourceDocument",
    "Transition",
    "Unspecified",
]
