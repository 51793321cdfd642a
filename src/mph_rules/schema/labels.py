"""The `labels:` section: words for the fields and facts conditions test, in Dutch and English.

Labels are presentation only: the engine never reads them; renderers use them so that a
condition reads "de gegevens onvermijdelijk zijn", not ``payload.unavoidable equals True``.
"""

from __future__ import annotations

from pydantic import Field

from mph_rules.schema.common import Model
from mph_rules.schema.text import Language, Text

__all__ = ["FieldLabel", "Language", "Text"]


class FieldLabel(Model):
    """Words for one field a condition may test."""

    field: str = Field(
        pattern=r"^(payload|facts|actor|subject|request|settings|consent|retention)"
        r"(\.[A-Za-z0-9_]+)*$",
        description=(
            "the field path as conditions name it; or `consent.<scope>` to name a consent "
            "scope (`{consent: <scope>}`), `retention.<scope>` a retention scope, by `name`"
        ),
        examples=["payload.unavoidable", "facts.life_domains", "consent.cross_domain"],
    )
    name: Text | None = Field(
        default=None,
        description="the field as a noun phrase: `{nl: de grondslag, en: the legal basis}`",
        examples=[{"nl": "de grondslag", "en": "the legal basis"}],
    )
    true: Text | None = Field(
        default=None,
        description=(
            "for a yes/no field, the clause that holds when it is true: "
            "`{nl: de gegevens onvermijdelijk zijn, en: the data are unavoidable}`"
        ),
        examples=[{"nl": "de gegevens onvermijdelijk zijn", "en": "the data are unavoidable"}],
    )
    values: dict[str, Text] = Field(
        default_factory=dict,
        description="words for the values the field takes",
        examples=[{"legal_obligation": {"nl": "wettelijke plicht", "en": "legal obligation"}}],
    )
