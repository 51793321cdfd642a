"""The `pack:` section: identity, source documents, effective period, baseline."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import Field, StrictBool, model_validator

from mph_rules.schema.common import ID_PATTERN, V2, Model, Unspecified
from mph_rules.schema.labels import Language

PACK_SCHEMA_VERSION = 2
"""The newest pack vocabulary (`pack.schema_version`); packs without it are version 1."""


class DocumentKind(StrEnum):
    COVENANT = "covenant"
    DECLARATION_OF_INTENT = "declaration_of_intent"
    PRIVACY_PROTOCOL = "privacy_protocol"
    PRIVACY_REGULATION = "privacy_regulation"
    DPIA = "dpia"
    STATUTE = "statute"
    REGULATION = "regulation"
    OTHER = "other"


class SourceDocument(Model):
    id: str = Field(pattern=ID_PATTERN, examples=["pr"])
    title: str
    kind: DocumentKind
    version: str | None = None
    date: dt.date | Unspecified | None = None
    note: str | None = None


class EffectivePeriod(Model):
    valid_from: dt.date | Unspecified
    valid_until: dt.date | Unspecified | None = Field(default=None, description="null: open-ended")
    note: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> EffectivePeriod:
        start, end = self.valid_from, self.valid_until
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
            raise ValueError(f"valid_until {end} lies before valid_from {start}")
        return self


class PackMeta(Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", examples=["hilversum"])
    title: str
    version: str = Field(description="version of the pack itself", examples=["1.0.0"])
    municipality: str | None = None
    region: str | None = None
    controller: str | Unspecified | None = None
    sources: tuple[SourceDocument, ...] = Field(min_length=1)
    effective: EffectivePeriod
    extends: tuple[str, ...] = Field(
        default=(), description="baseline packs whose rules apply where this pack is silent"
    )
    baseline: StrictBool = Field(default=False, description="true for a statutory baseline pack")
    schema_version: Literal[1, 2] = Field(
        default=1,
        description="version of the pack vocabulary: 1 (the default, every v1 pack) or 2 "
        "(uses the v2 rule vocabulary: records, findings, per-subject rules)",
        examples=[2],
        json_schema_extra=V2,
    )
    language: Language = Field(
        default="nl",
        description="language of the text for case workers when none is asked for (nl or en)",
        examples=["nl"],
    )
    note: str | None = None
