"""The whole pack document."""

from __future__ import annotations

from typing import Any

from pydantic import Field, PrivateAttr

from mph_rules.schema.common import V2, Model, Source
from mph_rules.schema.labels import FieldLabel
from mph_rules.schema.lifecycle import Lifecycle, Precondition
from mph_rules.schema.metadata import PackMeta
from mph_rules.schema.organisation import CustomEvent, DataCategory, ExceptionGround, Party, Role
from mph_rules.schema.rules import (
    AccessRule,
    InformationDuty,
    Intake,
    LegalBasis,
    RecordDuty,
    RetentionClock,
    Right,
    Setting,
    SharingRule,
)

# The list sections of a pack, in file order, and those among them that hold rules a
# decision can cite (legal bases included). One definition for the loader, the reference
# checks, lint and coverage.
LIST_SECTIONS = (
    "settings",
    "parties",
    "roles",
    "data_categories",
    "exception_grounds",
    "events",
    "legal_bases",
    "information_duties",
    "preconditions",
    "access",
    "sharing",
    "retention",
    "rights",
    "records",
)
RULE_SECTIONS = LIST_SECTIONS[LIST_SECTIONS.index("legal_bases") :]


class DefaultDeny(Model):
    """Where the covenant says that what it does not allow is not allowed."""

    source: Source
    note: str | None = None


class Defaults(Model):
    access: DefaultDeny | None = None
    sharing: DefaultDeny | None = None


class Pack(Model):
    """A policy pack as written; `loading` resolves `extends` and checks references."""

    pack: PackMeta
    defaults: Defaults | None = Field(
        default=None, description="the citation for default deny of access and sharing"
    )
    settings: tuple[Setting, ...] = Field(
        default=(), description="values left to the user, with justified defaults"
    )
    parties: tuple[Party, ...] = ()
    roles: tuple[Role, ...] = ()
    data_categories: tuple[DataCategory, ...] = ()
    exception_grounds: tuple[ExceptionGround, ...] = ()
    events: tuple[CustomEvent, ...] = Field(default=(), description="pack-specific event types")
    lifecycle: Lifecycle | None = None
    intake: Intake | None = None
    legal_bases: tuple[LegalBasis, ...] = ()
    information_duties: tuple[InformationDuty, ...] = ()
    preconditions: tuple[Precondition, ...] = ()
    access: tuple[AccessRule, ...] = ()
    sharing: tuple[SharingRule, ...] = ()
    retention: tuple[RetentionClock, ...] = ()
    rights: tuple[Right, ...] = ()
    records: tuple[RecordDuty, ...] = Field(
        default=(),
        description="v2: what must be written down, by whom and when (required / done / missing)",
        json_schema_extra=V2,
    )
    labels: tuple[FieldLabel, ...] = Field(
        default=(),
        description="words for the fields conditions test, in Dutch and English",
        examples=[
            [
                {
                    "field": "payload.unavoidable",
                    "true": {
                        "nl": "de gegevens onvermijdelijk zijn",
                        "en": "the data are unavoidable",
                    },
                }
            ]
        ],
    )

    _provenance: Any = PrivateAttr(default=None)

    @property
    def provenance(self) -> Any:
        """Where the resolved pack came from (a ``loading.Provenance``); set by the loader."""
        if self._provenance is None:
            raise ValueError("this Pack was not produced by load_pack(); load it first")
        return self._provenance
