"""The `pack:` section: identity, source documents, effective period, baseline."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import Field, StrictBool, model_validator

from mph_rules.schema.common import ID_PATTERN, V2, Model, TextOrOpen, Unspecified
from mph_rules.schema.labels import Language
from mph_rules.schema.text import PackText

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
    id: str = Field(
        pattern=ID_PATTERN, examples=["pr"], description="Document id, cited as `source.document`."
    )
    title: PackText = Field(
        description="Full title of the document.",
        examples=["Bijlage 1 Privacyreglement Aanpak multi probleem huishoudens"],
    )
    kind: DocumentKind = Field(
        description="What sort of document it is.", examples=["covenant", "privacy_regulation"]
    )
    version: str | None = Field(
        default=None,
        description="Version as the document states it.",
        examples=["Versie: 6 september 2016"],
    )
    date: dt.date | Unspecified | None = Field(
        default=None,
        description=("Date of the document (YYYY-MM-DD), or {unspecified: true, note}."),
        examples=["2016-09-06"],
    )
    note: PackText | None = Field(
        default=None,
        description=("Free text: how an unclear source is read, or what the source leaves open."),
        examples=[("'zo spoedig mogelijk': the seed gives no number of days; none is invented.")],
    )


class EffectivePeriod(Model):
    valid_from: dt.date | Unspecified = Field(
        description=("First day in force (YYYY-MM-DD), or {unspecified: true, note}."),
        examples=["2016-09-06"],
    )
    valid_until: dt.date | Unspecified | None = Field(
        default=None, description="null: open-ended", examples=["2030-12-31", None]
    )
    note: PackText | None = Field(
        default=None,
        description=("Free text: how an unclear source is read, or what the source leaves open."),
        examples=[("'zo spoedig mogelijk': the seed gives no number of days; none is invented.")],
    )

    @model_validator(mode="after")
    def _ordered(self) -> EffectivePeriod:
        start, end = self.valid_from, self.valid_until
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
            raise ValueError(f"valid_until {end} lies before valid_from {start}")
        return self


class PackMeta(Model):
    id: str = Field(
        pattern=r"^[a-z][a-z0-9_]*$",
        examples=["hilversum"],
        description="Pack id, lower_snake_case; pack events are prefixed with it.",
    )
    title: PackText = Field(
        description="Title of the covenant as a reader knows it.",
        examples=["Hilversum: Intentieverklaring MPH-aanpak en Privacyreglement"],
    )
    version: str = Field(description="version of the pack itself", examples=["1.0.0"])
    municipality: PackText | None = Field(
        default=None, description="The municipality whose covenant this is.", examples=["Hilversum"]
    )
    region: PackText | None = Field(
        default=None,
        description="The region, where the covenant is regional.",
        examples=["Gooi en Vechtstreek"],
    )
    controller: TextOrOpen | None = Field(
        default=None,
        description=(
            "The controller (verwerkingsverantwoordelijke), or {unspecified: true, note}."
        ),
        examples=[("college van burgemeester en wethouders van de gemeente Hilversum")],
    )
    sources: tuple[SourceDocument, ...] = Field(
        min_length=1,
        description=("The documents the rules cite (`source.document` names one of these ids)."),
        examples=[
            [
                {
                    "id": "pr",
                    "title": "Privacyreglement",
                    "kind": "privacy_regulation",
                    "date": "2016-09-06",
                }
            ]
        ],
    )
    effective: EffectivePeriod = Field(
        description=("When the covenant is in force; events outside it get `in_force: false`."),
        examples=[{"valid_from": "2016-09-06", "valid_until": None}],
    )
    extends: tuple[str, ...] = Field(
        default=(),
        description="baseline packs whose rules apply where this pack is silent",
        examples=[["avg"]],
    )
    baseline: StrictBool = Field(
        default=False, description="true for a statutory baseline pack", examples=[False]
    )
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
    note: PackText | None = Field(
        default=None,
        description=("Free text: how an unclear source is read, or what the source leaves open."),
        examples=[("'zo spoedig mogelijk': the seed gives no number of days; none is invented.")],
    )
