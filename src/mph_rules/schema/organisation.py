"""Parties, roles, data categories and exception grounds: the nouns rules refer to."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from mph_rules.schema.common import ID_PATTERN, CoreKind, Model, PartyType, Rule


class Party(Rule):
    name: str
    type: PartyType


class Role(Rule):
    label: str
    party_types: tuple[PartyType, ...] | Literal["any"] = Field(
        default="any", description="party types that may fill the role"
    )
    description: str | None = None


class DataCategory(Rule):
    label: str
    kind: CoreKind
    forbidden: StrictBool = Field(
        default=False, description="may never be recorded in the file, nor shared"
    )
    fields: tuple[str, ...] = ()


class ExceptionGround(Rule):
    label: str
    quote: str | None = None


class CustomEvent(Model):
    type: str = Field(pattern=ID_PATTERN, description="<pack id>.<name>")
    label: str
    source: Source


from mph_rules.schema.common import Source  # noqa: E402

CustomEvent.model_rebuild()
