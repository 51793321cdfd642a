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
from mph_rules.schema.text import PackText

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

    source: Source = Field(
        description="The article cited by every default-deny verdict.",
        examples=[
            {"document": "pr", "article": "art. 13(1)", "quote": "Toegang tot het bestand hebben"}
        ],
    )
    note: PackText | None = Field(
        default=None,
        description=("Free text: how an unclear source is read, or what the source leaves open."),
        examples=[("'zo spoedig mogelijk': the seed gives no number of days; none is invented.")],
    )


class Defaults(Model):
    access: DefaultDeny | None = Field(
        default=None,
        description="The article that makes access to the file default deny.",
        examples=[
            {
                "source": {
                    "document": "pr",
                    "article": "art. 13(1)",
                    "quote": "Toegang tot het bestand hebben",
                }
            }
        ],
    )
    sharing: DefaultDeny | None = Field(
        default=None,
        description="The article that makes provision of data default deny.",
        examples=[
            {
                "source": {
                    "document": "pr",
                    "article": "art. 14(1)",
                    "quote": "worden geen persoonsgegevens verstrekt",
                }
            }
        ],
    )


class Pack(Model):
    """A policy pack as written; `loading` resolves `extends` and checks references."""

    pack: PackMeta = Field(
        description=(
            "Identity of the pack: id, title, version, sources, effective period, baseline."
        ),
        examples=[
            {
                "id": "hilversum",
                "title": "Hilversum MPH",
                "version": "1.0.0",
                "extends": ["avg"],
                "sources": [
                    {"id": "pr", "title": "Privacyreglement", "kind": "privacy_regulation"}
                ],
                "effective": {"valid_from": "2016-09-06"},
            }
        ],
    )
    defaults: Defaults | None = Field(
        default=None,
        description="the citation for default deny of access and sharing",
        examples=[
            {
                "access": {
                    "source": {
                        "document": "pr",
                        "article": "art. 13(1)",
                        "quote": "Toegang tot het bestand hebben",
                    }
                },
                "sharing": {
                    "source": {
                        "document": "pr",
                        "article": "art. 14(1)",
                        "quote": "worden geen persoonsgegevens verstrekt",
                    }
                },
            }
        ],
    )
    settings: tuple[Setting, ...] = Field(
        default=(),
        description="values left to the user, with justified defaults",
        examples=[
            [
                {
                    "id": "retention_regime",
                    "label": "Which retention period",
                    "choices": ["long", "short"],
                    "default": "long",
                    "justification": "art. 15(1) names five years",
                    "source": {
                        "document": "pr",
                        "article": "art. 13(1)",
                        "quote": "Toegang tot het bestand hebben",
                    },
                }
            ]
        ],
    )
    parties: tuple[Party, ...] = Field(
        default=(),
        description="The organisations of the covenant, each with a party type.",
        examples=[
            [
                {
                    "id": "politie",
                    "name": "Politie",
                    "type": "police",
                    "source": {
                        "document": "pr",
                        "article": "art. 13(1)",
                        "quote": "Toegang tot het bestand hebben",
                    },
                }
            ]
        ],
    )
    roles: tuple[Role, ...] = Field(
        default=(),
        description=("Functional roles, each bound to the party types that may fill it."),
        examples=[
            [
                {
                    "id": "procesregisseur",
                    "label": "procesregisseur",
                    "party_types": ["municipality"],
                    "source": {
                        "document": "pr",
                        "article": "art. 13(1)",
                        "quote": "Toegang tot het bestand hebben",
                    },
                }
            ]
        ],
    )
    data_categories: tuple[DataCategory, ...] = Field(
        default=(),
        description=(
            "Data categories the covenant names, each mapped to a core "
            "kind; `forbidden: true` for data never recorded."
        ),
        examples=[
            [
                {
                    "id": "household_identity",
                    "label": "naam, adres",
                    "kind": "ordinary",
                    "source": {
                        "document": "pr",
                        "article": "art. 13(1)",
                        "quote": "Toegang tot het bestand hebben",
                    },
                }
            ]
        ],
    )
    exception_grounds: tuple[ExceptionGround, ...] = Field(
        default=(),
        description="Grounds on which a duty may be waived or a request refused.",
        examples=[
            [
                {
                    "id": "pr8_state_security",
                    "label": "de veiligheid van de staat",
                    "source": {
                        "document": "pr",
                        "article": "art. 13(1)",
                        "quote": "Toegang tot het bestand hebben",
                    },
                }
            ]
        ],
    )
    events: tuple[CustomEvent, ...] = Field(
        default=(),
        description="pack-specific event types",
        examples=[
            [
                {
                    "type": "hilversum.monitoring_started",
                    "label": "monitoring starts",
                    "source": {
                        "document": "pr",
                        "article": "art. 13(1)",
                        "quote": "Toegang tot het bestand hebben",
                    },
                }
            ]
        ],
    )
    lifecycle: Lifecycle | None = Field(
        default=None,
        description=(
            "The case lifecycle: phases, transitions caused by events, process deadlines."
        ),
        examples=[
            {
                "initial": "registration",
                "phases": [
                    {
                        "id": "registration",
                        "label": "Aanmelden",
                        "source": {
                            "document": "pr",
                            "article": "art. 13(1)",
                            "quote": "Toegang tot het bestand hebben",
                        },
                    }
                ],
            }
        ],
    )
    intake: Intake | None = Field(
        default=None,
        description=("Intake criteria as conditions over case facts, and who decides."),
        examples=[
            {
                "decided_by": ["triagist"],
                "criteria": [
                    {
                        "id": "iv3_life_domains",
                        "label": "minimaal 3 leefgebieden",
                        "required": True,
                        "condition": {"field": "facts.life_domains", "count_at_least": 3},
                        "source": {
                            "document": "pr",
                            "article": "art. 13(1)",
                            "quote": "Toegang tot het bestand hebben",
                        },
                    }
                ],
            }
        ],
    )
    legal_bases: tuple[LegalBasis, ...] = Field(
        default=(),
        description=(
            "Legal bases per party type and data kind (AVG art. 6(1) ground, law, source)."
        ),
        examples=[
            [
                {
                    "id": "pr6_1_municipality",
                    "party_types": ["municipality"],
                    "data_kinds": ["ordinary"],
                    "ground": "public_task",
                    "law": "Wmo 2015",
                    "source": {
                        "document": "pr",
                        "article": "art. 13(1)",
                        "quote": "Toegang tot het bestand hebben",
                    },
                }
            ]
        ],
    )
    information_duties: tuple[InformationDuty, ...] = Field(
        default=(),
        description=(
            "Who must inform whom about what, by when, and on which grounds it may be waived."
        ),
        examples=[
            [
                {
                    "id": "pr8_inform_household",
                    "label": "inform the household",
                    "trigger": {"event": "case_registered"},
                    "informer": "procesregisseur",
                    "recipient": "household",
                    "about": "registration",
                    "deadline": {"asap": True},
                    "source": {
                        "document": "pr",
                        "article": "art. 13(1)",
                        "quote": "Toegang tot het bestand hebben",
                    },
                }
            ]
        ],
    )
    preconditions: tuple[Precondition, ...] = Field(
        default=(),
        description=("Events denied unless a condition holds (e.g. no advice before the hearing)."),
        examples=[
            [
                {
                    "id": "pr9_3_heard_before_advice",
                    "event": "plan_established",
                    "require": {"occurred": "household_heard"},
                    "message": "hear the household first",
                    "source": {
                        "document": "pr",
                        "article": "art. 13(1)",
                        "quote": "Toegang tot het bestand hebben",
                    },
                }
            ]
        ],
    )
    access: tuple[AccessRule, ...] = Field(
        default=(),
        description=("Who may read/write which category in which phase. Default deny; deny wins."),
        examples=[
            [
                {
                    "id": "pr13_1_file_access",
                    "roles": ["chair"],
                    "categories": ["household_identity"],
                    "actions": ["read"],
                    "source": {
                        "document": "pr",
                        "article": "art. 13(1)",
                        "quote": "Toegang tot het bestand hebben",
                    },
                }
            ]
        ],
    )
    sharing: tuple[SharingRule, ...] = Field(
        default=(),
        description=(
            "Who may provide which categories to whom, in which phase, under which condition."
        ),
        examples=[
            [
                {
                    "id": "pr7_1_registration",
                    "from_roles": ["reporter"],
                    "to_roles": ["triagist"],
                    "categories": ["household_identity"],
                    "source": {
                        "document": "pr",
                        "article": "art. 13(1)",
                        "quote": "Toegang tot het bestand hebben",
                    },
                }
            ]
        ],
    )
    retention: tuple[RetentionClock, ...] = Field(
        default=(),
        description="Retention clocks: trigger, anchor, duration, scope.",
        examples=[
            [
                {
                    "id": "pr15_1_closure",
                    "label": "five years after closure",
                    "trigger": {"event": "case_closed"},
                    "anchor": "start_of_next_year",
                    "duration": "P5Y",
                    "scope": "case_file",
                    "source": {
                        "document": "pr",
                        "article": "art. 13(1)",
                        "quote": "Toegang tot het bestand hebben",
                    },
                }
            ]
        ],
    )
    rights: tuple[Right, ...] = Field(
        default=(),
        description=(
            "Data-subject rights: handler, deadline, extension, refusal "
            "grounds, who may exercise them."
        ),
        examples=[
            [
                {
                    "id": "pr17_access",
                    "right": "access",
                    "label": "inzage",
                    "handler": "controller",
                    "deadline": {"duration": "P4W", "counting": "calendar"},
                    "source": {
                        "document": "pr",
                        "article": "art. 13(1)",
                        "quote": "Toegang tot het bestand hebben",
                    },
                }
            ]
        ],
    )
    records: tuple[RecordDuty, ...] = Field(
        default=(),
        description="v2: what must be written down, by whom and when (required / done / missing)",
        json_schema_extra=V2,
        examples=[
            [
                {
                    "id": "pr8_reason_not_informed",
                    "label": "reason for not informing",
                    "what": "de reden om niet te informeren",
                    "by": "case_director",
                    "trigger": {"event": "information_duty_waived"},
                    "before": [{"event": "case_closed"}],
                    "source": {
                        "document": "pr",
                        "article": "art. 13(1)",
                        "quote": "Toegang tot het bestand hebben",
                    },
                }
            ]
        ],
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
