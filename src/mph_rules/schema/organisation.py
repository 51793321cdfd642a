"""Parties, roles, data categories and exception grounds: the nouns rules refer to."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from mph_rules.schema.common import ID_PATTERN, CoreKind, Model, PartyType, Rule
from mph_rules.schema.text import PackText


class Party(Rule):
    name: PackText = Field(
        description="Name of the organisation as the covenant writes it.", examples=["GGZ Centraal"]
    )
    type: PartyType = Field(
        description="Party type; `unspecified` when the covenant does not say.",
        examples=["mental_health", "unspecified"],
    )


class Role(Rule):
    label: PackText = Field(
        description="Human-readable name, in the covenant's own words.",
        examples=["procesregisseur"],
    )
    party_types: tuple[PartyType, ...] | Literal["any"] = Field(
        default="any",
        description="party types that may fill the role",
        examples=[["municipality"], "any"],
    )
    description: PackText | None = Field(
        default=None,
        description="What the role does, in a sentence.",
        examples=["Chairs the expert team and decides when it is not unanimous."],
    )


class DataCategory(Rule):
    label: PackText = Field(
        description="Human-readable name, in the covenant's own words.",
        examples=["procesregisseur"],
    )
    kind: CoreKind = Field(
        description=(
            "Core kind: ordinary, special (AVG art. 9), criminal (art. "
            "10), bsn, police, special_police."
        ),
        examples=["ordinary", "special", "police"],
    )
    forbidden: StrictBool = Field(
        default=False, description="may never be recorded in the file, nor shared", examples=[True]
    )
    fields: tuple[str, ...] = Field(
        default=(),
        description="Fields of the category, where the covenant lists them.",
        examples=[["name", "birth_date", "address"]],
    )


class ExceptionGround(Rule):
    label: PackText = Field(
        description="Human-readable name, in the covenant's own words.",
        examples=["procesregisseur"],
    )
    quote: str | None = Field(
        default=None,
        description="The ground in the covenant's words.",
        examples=["de veiligheid van de staat"],
    )


class CustomEvent(Model):
    type: str = Field(
        pattern=ID_PATTERN,
        description="<pack id>.<name>",
        examples=["hilversum.monitoring_started"],
    )
    label: PackText = Field(
        description="What the event means.", examples=["the procesregisseur starts monitoring"]
    )
    source: Source = Field(
        description="Where the event comes from.",
        examples=[
            {"document": "pr", "article": "art. 13(1)", "quote": "Toegang tot het bestand hebben"}
        ],
    )


from mph_rules.schema.common import Source  # noqa: E402

CustomEvent.model_rebuild()
