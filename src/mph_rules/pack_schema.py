"""The JSON Schema of a pack as shipped for editors (``mph_rules/pack.schema.json``).

Generated from the pydantic models; where a model field carries no description or example,
one is filled in from the tables below, so that an editor (VS Code with the YAML extension,
``# yaml-language-server: $schema=...``) shows help and completion on every key. A test
checks that the shipped file equals what this module generates.

Regenerate after a model change: ``python -m mph_rules.pack_schema --write``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mph_rules.schema import PACK_SCHEMA_VERSION, Pack

SCHEMA_FILE = Path(__file__).parent / "pack.schema.json"

_SOURCE = {"document": "pr", "article": "art. 13(1)", "quote": "Toegang tot het bestand hebben"}
_COND = {"field": "payload.outcome", "equals": "accepted"}
_DEADLINE = {"duration": "P4W", "counting": "calendar"}

# Field docs by field name, for every model that has the field: (description, examples).
COMMON: dict[str, tuple[str, list[Any]]] = {
    "id": (
        "Identifier: lower_snake_case, dots allowed. Unique within the pack; traces, tests and "
        "coverage cite rules by it.",
        ["pr13_1_file_access"],
    ),
    "source": ("Where this comes from: a document of `pack.sources`, article, quote.", [_SOURCE]),
    "note": (
        "Free text: how an unclear source is read, or what the source leaves open.",
        ["'zo spoedig mogelijk': the seed gives no number of days; none is invented."],
    ),
    "conflict": (
        "The source contradicts itself here: the readings, the one encoded, and why.",
        [
            {
                "readings": ["6 months (IV art. 10)", "1 year (preamble)"],
                "chosen": "6 months (IV art. 10)",
                "why": "the operative article",
            }
        ],
    ),
    "overrides": (
        "Ids of baseline rules (e.g. from `avg`) that this rule replaces.",
        [["avg.inform_data_subject"]],
    ),
    "label": ("Human-readable name, in the covenant's own words.", ["procesregisseur"]),
    "when": (
        "Condition under which the rule applies: all/any/not/field/occurred/consent. "
        "Omitted: always.",
        [_COND],
    ),
    "event": ("An event type: a core event or `<pack id>.<name>`.", ["case_registered"]),
    "deadline": (
        "The deadline: {duration, counting, anchor, asap} or {unspecified: true, note}.",
        [_DEADLINE, {"asap": True, "note": "zo spoedig mogelijk"}],
    ),
    "duration": ("ISO 8601 duration.", ["P4W", "P1M", "P5D", "PT72H"]),
    "counting": (
        "How the deadline is counted: calendar (contractual), working_days (Mon-Fri less "
        "public holidays), working_days_statutory (the same with the Atw holiday list), atw "
        "(Algemene termijnenwet), eu_1182_71 (EU law, the AVG), elapsed_hours.",
        ["calendar", "working_days", "eu_1182_71"],
    ),
    "anchor": (
        "The day the period runs from: the event day, the next day, the 1st of the next month "
        "or 1 January of the next year.",
        ["event_date", "start_of_next_year"],
    ),
    "trigger": (
        "The event (optionally narrowed by `when`) that starts it.",
        [
            {"event": "case_closed"},
            {"event": "triage_decided", "when": {"field": "payload.outcome", "equals": "declined"}},
        ],
    ),
    "legal_bases": (
        "Ids of the legal bases this rule relies on; omitted: `mph-rules lint` derives them "
        "from the role's party types and the categories' kinds.",
        [["pr6_1_municipality"]],
    ),
    "effect": ("allow or deny; a deny that applies always wins over an allow.", ["allow", "deny"]),
    "categories": ("Data category ids, or `*` for every category.", [["household_identity"], "*"]),
    "phases": (
        "Phase ids in which the rule applies, or `*` for every phase.",
        [["triage", "expert_team"], "*"],
    ),
    "kind": ("The kind of this item.", ["covenant"]),
    "version": ("Version as the document or pack states it.", ["1.0.0"]),
    "title": ("Title.", ["Privacyreglement Aanpak multi probleem huishoudens"]),
    "type": ("Type.", ["municipality"]),
}

# Field docs for one model's field, where the common text does not fit.
SPECIFIC: dict[str, tuple[str, list[Any]]] = {
    # the pack document
    "Pack.pack": (
        "Identity of the pack: id, title, version, sources, effective period, baseline.",
        [
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
    ),
    "Pack.defaults": (
        "",
        [
            {
                "access": {"source": _SOURCE},
                "sharing": {
                    "source": {
                        "document": "pr",
                        "article": "art. 14(1)",
                        "quote": "worden geen persoonsgegevens verstrekt",
                    }
                },
            }
        ],
    ),
    "Pack.settings": (
        "",
        [
            [
                {
                    "id": "retention_regime",
                    "label": "Which retention period",
                    "choices": ["long", "short"],
                    "default": "long",
                    "justification": "art. 15(1) names five years",
                    "source": _SOURCE,
                }
            ]
        ],
    ),
    "Pack.parties": (
        "The organisations of the covenant, each with a party type.",
        [[{"id": "politie", "name": "Politie", "type": "police", "source": _SOURCE}]],
    ),
    "Pack.roles": (
        "Functional roles, each bound to the party types that may fill it.",
        [
            [
                {
                    "id": "procesregisseur",
                    "label": "procesregisseur",
                    "party_types": ["municipality"],
                    "source": _SOURCE,
                }
            ]
        ],
    ),
    "Pack.data_categories": (
        "Data categories the covenant names, each mapped to a core kind; `forbidden: true` "
        "for data never recorded.",
        [
            [
                {
                    "id": "household_identity",
                    "label": "naam, adres",
                    "kind": "ordinary",
                    "source": _SOURCE,
                }
            ]
        ],
    ),
    "Pack.exception_grounds": (
        "Grounds on which a duty may be waived or a request refused.",
        [[{"id": "pr8_state_security", "label": "de veiligheid van de staat", "source": _SOURCE}]],
    ),
    "Pack.events": (
        "",
        [
            [
                {
                    "type": "hilversum.monitoring_started",
                    "label": "monitoring starts",
                    "source": _SOURCE,
                }
            ]
        ],
    ),
    "Pack.lifecycle": (
        "The case lifecycle: phases, transitions caused by events, process deadlines.",
        [
            {
                "initial": "registration",
                "phases": [{"id": "registration", "label": "Aanmelden", "source": _SOURCE}],
            }
        ],
    ),
    "Pack.intake": (
        "Intake criteria as conditions over case facts, and who decides.",
        [
            {
                "decided_by": ["triagist"],
                "criteria": [
                    {
                        "id": "iv3_life_domains",
                        "label": "minimaal 3 leefgebieden",
                        "required": True,
                        "condition": {"field": "facts.life_domains", "count_at_least": 3},
                        "source": _SOURCE,
                    }
                ],
            }
        ],
    ),
    "Pack.legal_bases": (
        "Legal bases per party type and data kind (AVG art. 6(1) ground, law, source).",
        [
            [
                {
                    "id": "pr6_1_municipality",
                    "party_types": ["municipality"],
                    "data_kinds": ["ordinary"],
                    "ground": "public_task",
                    "law": "Wmo 2015",
                    "source": _SOURCE,
                }
            ]
        ],
    ),
    "Pack.information_duties": (
        "Who must inform whom about what, by when, and on which grounds it may be waived.",
        [
            [
                {
                    "id": "pr8_inform_household",
                    "label": "inform the household",
                    "trigger": {"event": "case_registered"},
                    "informer": "procesregisseur",
                    "recipient": "household",
                    "about": "registration",
                    "deadline": {"asap": True},
                    "source": _SOURCE,
                }
            ]
        ],
    ),
    "Pack.preconditions": (
        "Events denied unless a condition holds (e.g. no advice before the hearing).",
        [
            [
                {
                    "id": "pr9_3_heard_before_advice",
                    "event": "plan_established",
                    "require": {"occurred": "household_heard"},
                    "message": "hear the household first",
                    "source": _SOURCE,
                }
            ]
        ],
    ),
    "Pack.access": (
        "Who may read/write which category in which phase. Default deny; deny wins.",
        [
            [
                {
                    "id": "pr13_1_file_access",
                    "roles": ["chair"],
                    "categories": ["household_identity"],
                    "actions": ["read"],
                    "source": _SOURCE,
                }
            ]
        ],
    ),
    "Pack.sharing": (
        "Who may provide which categories to whom, in which phase, under which condition.",
        [
            [
                {
                    "id": "pr7_1_registration",
                    "from_roles": ["reporter"],
                    "to_roles": ["triagist"],
                    "categories": ["household_identity"],
                    "source": _SOURCE,
                }
            ]
        ],
    ),
    "Pack.retention": (
        "Retention clocks: trigger, anchor, duration, scope.",
        [
            [
                {
                    "id": "pr15_1_closure",
                    "label": "five years after closure",
                    "trigger": {"event": "case_closed"},
                    "anchor": "start_of_next_year",
                    "duration": "P5Y",
                    "scope": "case_file",
                    "source": _SOURCE,
                }
            ]
        ],
    ),
    "Pack.rights": (
        "Data-subject rights: handler, deadline, extension, refusal grounds, who may "
        "exercise them.",
        [
            [
                {
                    "id": "pr17_access",
                    "right": "access",
                    "label": "inzage",
                    "handler": "controller",
                    "deadline": _DEADLINE,
                    "source": _SOURCE,
                }
            ]
        ],
    ),
    "Pack.records": (
        "v2: what must be written down, by whom and when; a decision lists each record as "
        "required / done / missing.",
        [
            [
                {
                    "id": "pr8_reason_not_informed",
                    "label": "reason for not informing",
                    "what": "de reden om niet te informeren",
                    "by": "case_director",
                    "trigger": {"event": "information_duty_waived"},
                    "before": [{"event": "case_closed"}],
                    "source": _SOURCE,
                }
            ]
        ],
    ),
    # pack metadata
    "PackMeta.id": ("Pack id, lower_snake_case; pack events are prefixed with it.", ["hilversum"]),
    "PackMeta.title": (
        "Title of the covenant as a reader knows it.",
        ["Hilversum: Intentieverklaring MPH-aanpak en Privacyreglement"],
    ),
    "PackMeta.version": ("", ["1.0.0"]),
    "PackMeta.municipality": ("The municipality whose covenant this is.", ["Hilversum"]),
    "PackMeta.region": ("The region, where the covenant is regional.", ["Gooi en Vechtstreek"]),
    "PackMeta.controller": (
        "The controller (verwerkingsverantwoordelijke), or {unspecified: true, note}.",
        ["college van burgemeester en wethouders van de gemeente Hilversum"],
    ),
    "PackMeta.sources": (
        "The documents the rules cite (`source.document` names one of these ids).",
        [
            [
                {
                    "id": "pr",
                    "title": "Privacyreglement",
                    "kind": "privacy_regulation",
                    "date": "2016-09-06",
                }
            ]
        ],
    ),
    "PackMeta.effective": (
        "When the covenant is in force; events outside it get `in_force: false`.",
        [{"valid_from": "2016-09-06", "valid_until": None}],
    ),
    "PackMeta.extends": ("", [["avg"]]),
    "PackMeta.baseline": ("", [False]),
    "SourceDocument.id": ("Document id, cited as `source.document`.", ["pr"]),
    "SourceDocument.title": (
        "Full title of the document.",
        ["Bijlage 1 Privacyreglement Aanpak multi probleem huishoudens"],
    ),
    "SourceDocument.kind": ("What sort of document it is.", ["covenant", "privacy_regulation"]),
    "SourceDocument.version": ("Version as the document states it.", ["Versie: 6 september 2016"]),
    "SourceDocument.date": (
        "Date of the document (YYYY-MM-DD), or {unspecified: true, note}.",
        ["2016-09-06"],
    ),
    "EffectivePeriod.valid_from": (
        "First day in force (YYYY-MM-DD), or {unspecified: true, note}.",
        ["2016-09-06"],
    ),
    "EffectivePeriod.valid_until": ("", ["2030-12-31", None]),
    "Defaults.access": (
        "The article that makes access to the file default deny.",
        [{"source": _SOURCE}],
    ),
    "Defaults.sharing": (
        "The article that makes provision of data default deny.",
        [
            {
                "source": {
                    "document": "pr",
                    "article": "art. 14(1)",
                    "quote": "worden geen persoonsgegevens verstrekt",
                }
            }
        ],
    ),
    "DefaultDeny.source": ("The article cited by every default-deny verdict.", [_SOURCE]),
    # organisation
    "Party.name": ("Name of the organisation as the covenant writes it.", ["GGZ Centraal"]),
    "Party.type": (
        "Party type; `unspecified` when the covenant does not say.",
        ["mental_health", "unspecified"],
    ),
    "Role.party_types": ("", [["municipality"], "any"]),
    "Role.description": (
        "What the role does, in a sentence.",
        ["Chairs the expert team and decides when it is not unanimous."],
    ),
    "DataCategory.kind": (
        "Core kind: ordinary, special (AVG art. 9), criminal (art. 10), bsn, police, "
        "special_police.",
        ["ordinary", "special", "police"],
    ),
    "DataCategory.forbidden": ("", [True]),
    "DataCategory.fields": (
        "Fields of the category, where the covenant lists them.",
        [["name", "birth_date", "address"]],
    ),
    "ExceptionGround.quote": (
        "The ground in the covenant's words.",
        ["de veiligheid van de staat"],
    ),
    "CustomEvent.type": ("", ["hilversum.monitoring_started"]),
    "CustomEvent.label": ("What the event means.", ["the procesregisseur starts monitoring"]),
    "CustomEvent.source": ("Where the event comes from.", [_SOURCE]),
    # settings
    "Setting.type": ("Value type: choice, bool, int, duration or text.", ["choice", "bool"]),
    "Setting.choices": ("The allowed values of a choice setting.", [["long", "short"]]),
    "Setting.default": ("The default value, which must fit the type.", ["long", True, 5]),
    "Setting.justification": ("", ["the covenant text (art. 15(1)) names five years"]),
    # lifecycle
    "Lifecycle.initial": ("The phase a case starts in.", ["registration"]),
    "Lifecycle.always_accepted": (
        "Event types accepted in every phase.",
        [["consent_given", "subject_request_received"]],
    ),
    "Lifecycle.phases": (
        "The phases of a case.",
        [[{"id": "triage", "label": "Triage", "source": _SOURCE}]],
    ),
    "Lifecycle.transitions": (
        "Phase changes caused by events; the first matching transition in file order fires.",
        [
            [
                {
                    "id": "t_register",
                    "on": "case_registered",
                    "from": ["registration"],
                    "to": "triage",
                    "source": _SOURCE,
                }
            ]
        ],
    ),
    "Lifecycle.deadlines": (
        "Process deadlines between two events.",
        [
            [
                {
                    "id": "iv5_2_triage_deadline",
                    "label": "triage within 5 working days",
                    "start": {"event": "case_registered"},
                    "until": {"event": "triage_decided"},
                    "deadline": {"duration": "P5D", "counting": "working_days"},
                    "source": _SOURCE,
                }
            ]
        ],
    ),
    "Phase.accepts": ("", [["household_heard", "hearing_waived"]]),
    "Phase.terminal": ("Cases end here (no transition out is expected).", [True]),
    "Transition.on": ("", ["triage_decided"]),
    "Transition.from": ("Phases the transition leaves.", [["triage"]]),
    "Transition.to": ("The phase the case moves to.", ["expert_team"]),
    "Transition.by": ("", [["triagist"]]),
    "Precondition.event": ("The event type guarded.", ["plan_established"]),
    "Precondition.require": (
        "What must hold for the event to be allowed.",
        [{"any": [{"occurred": "household_heard"}, {"occurred": "hearing_waived"}]}],
    ),
    "Precondition.message": (
        "Why the event is denied, as the user will read it.",
        ["no advice before the household was heard"],
    ),
    "ProcessDeadline.label": ("What must happen by when.", ["triage within 5 working days"]),
    "ProcessDeadline.start": (
        "The event that starts the deadline.",
        [{"event": "case_registered"}],
    ),
    "ProcessDeadline.until": ("The event that meets it.", [{"event": "triage_decided"}]),
    "ProcessDeadline.responsible": ("Role responsible for meeting it.", ["triagist"]),
    "EventRef.event": ("", ["case_registered"]),
    "EventRef.when": (
        "Narrows the event: it counts only when this holds.",
        [{"field": "payload.outcome", "equals": "declined"}],
    ),
    # intake
    "Intake.decided_by": ("Roles that decide on intake.", [["triagist"]]),
    "Intake.criteria": (
        "The criteria: required (must hold) or indicators (weighed).",
        [
            [
                {
                    "id": "iv3_life_domains",
                    "label": "minimaal 3 leefgebieden",
                    "required": True,
                    "condition": {"field": "facts.life_domains", "count_at_least": 3},
                    "source": _SOURCE,
                }
            ]
        ],
    ),
    "Intake.note": (
        "What the covenant leaves open about intake.",
        ["Whether the criteria are cumulative is not stated."],
    ),
    "IntakeCriterion.required": ("", [True]),
    "IntakeCriterion.condition": (
        "The condition over case facts, or {unspecified: true, note}.",
        [{"field": "facts.life_domains", "count_at_least": 3}],
    ),
    # legal bases
    "LegalBasis.party_types": (
        "Party types the basis applies to, or `any`.",
        [["municipality"], "any"],
    ),
    "LegalBasis.data_kinds": (
        "Core data kinds the basis covers.",
        [["ordinary"], ["special", "criminal"]],
    ),
    "LegalBasis.ground": (
        "AVG art. 6(1) ground; `unspecified` when the covenant names a law but no ground.",
        ["public_task", "consent"],
    ),
    "LegalBasis.law": (
        "The law or article the basis rests on.",
        ["Wet maatschappelijke ondersteuning 2015"],
    ),
    "LegalBasis.requires_consent": (
        "The basis holds only with the subject's consent; lint checks that a rule relying "
        "on it checks the consent.",
        [True],
    ),
    # information duties
    "InformationDuty.about": ("", ["registration"]),
    "InformationDuty.informer": ("", ["procesregisseur"]),
    "InformationDuty.recipient": ("", ["household"]),
    "InformationDuty.content": (
        "What must be told.",
        [["the registration", "the purpose of the processing"]],
    ),
    "InformationDuty.fulfilled_by": (
        "",
        [
            [
                {
                    "event": "household_informed",
                    "when": {"field": "payload.about", "equals": "registration"},
                }
            ]
        ],
    ),
    "InformationDuty.exception_grounds": (
        "Exception grounds on which the duty may be waived (ids of `exception_grounds`).",
        [["pr8_state_security", "pr8_criminal_offences"]],
    ),
    "InformationDuty.record_required": ("", [True]),
    "InformationDuty.form": (
        "How the information is given (e.g. oral, written), or {unspecified: true, note}.",
        [["oral", "written"]],
    ),
    "InformationDuty.waiver_requires": ("", [["review_at"]]),
    # access and sharing
    "AccessRule.roles": (
        "Role ids the rule is about.",
        [["chair", "projectsecretaris", "procesregisseur"]],
    ),
    "AccessRule.purposes": ("", [["screening"], None]),
    "AccessRule.actions": (
        "read (file_accessed) and/or write (data_recorded).",
        [["read"], ["read", "write"]],
    ),
    "SharingRule.from_roles": ("Roles that provide the data, or `*`.", [["reporter"], "*"]),
    "SharingRule.to_roles": (
        "Roles that receive the data, or `*`.",
        [["triagist", "projectsecretaris"], "*"],
    ),
    "SharingRule.label": (
        "What the rule allows or forbids, in a sentence.",
        ["the reporter provides the household's data"],
    ),
    # retention
    "RetentionClock.label": (
        "What the clock does, in a sentence.",
        ["five years from 1 January after closure"],
    ),
    "RetentionClock.duration": (
        "ISO 8601 period until deletion, or {unspecified: true, note}.",
        ["P5Y", "P1Y"],
    ),
    "RetentionClock.scope": ("", ["case_file"]),
    "RetentionClock.cancelled_by": (
        "Events that stop a running clock.",
        [[{"event": "case_reregistered"}]],
    ),
    "RetentionClock.exceptions": (
        "Data that may be kept longer (e.g. anonymised), with their source.",
        [[{"id": "pr15_3_anonymised", "label": "kept anonymised for research", "source": _SOURCE}]],
    ),
    "RetentionClock.counted_from": ("", [{"event": "case_registered"}]),
    "RetentionClock.alert_before": ("", ["P2M"]),
    "RetentionException.id": ("", ["pr15_3_anonymised"]),
    "RetentionException.label": (
        "What may be kept and on what condition.",
        ["kept longer, stripped of identifying features"],
    ),
    # rights
    "Right.right": (
        "Which right: access, rectification, erasure, restriction, objection, portability, "
        "own_statement.",
        ["access"],
    ),
    "Right.handler": ("Role that handles the request.", ["controller"]),
    "Right.deadline": ("Response deadline from receipt of the request.", [_DEADLINE]),
    "Right.extension": (
        "Extension of the deadline (after subject_request_extended), or {unspecified: true, note}.",
        [{"duration": "P2M", "counting": "eu_1182_71"}],
    ),
    "Right.form": (
        "Form of the request: written or any, or {unspecified: true, note}.",
        ["written", "any"],
    ),
    "Right.refusal_grounds": (
        "Exception ground ids a refusal must name.",
        [["pr8_state_security"]],
    ),
    "Right.requires": (
        "A condition for the request to be allowed (e.g. inzage first).",
        [{"occurred": "subject_request_answered"}],
    ),
    "Right.representation": (
        "Who exercises the right for a subject of a given age.",
        [
            [
                {"age_below": 12, "exercised_by": ["legal_representative"]},
                {"age_from": 12, "exercised_by": ["subject"]},
            ]
        ],
    ),
    "Representation.age_from": ("Lowest age (inclusive) this line applies to.", [12]),
    "Representation.age_below": ("Age (exclusive) from which this line no longer applies.", [16]),
    "Representation.requires_incompetence": (
        "Applies only when the subject is incompetent (wilsonbekwaam).",
        [True],
    ),
    "Representation.exercised_by": (
        "Who may make the request: subject and/or legal_representative.",
        [["subject", "legal_representative"]],
    ),
    # sources and open values
    "Source.document": ("", ["pr"]),
    "Source.article": ("", ["art. 8(2)"]),
    "Source.quote": ("", ["zo spoedig mogelijk"]),
    "Unspecified.unspecified": ("Always true: the value is open in the source.", [True]),
    "Unspecified.note": ("", ["The seed gives no date."]),
    "Conflict.readings": (
        "The contradicting readings, at least two.",
        [["6 months (IV art. 10)", "1 year (preamble)"]],
    ),
    "Conflict.chosen": ("The reading encoded.", ["6 months (IV art. 10)"]),
    "Conflict.why": ("Why that reading.", ["IV art. 10 is the operative article"]),
    "Deadline.asap": ("", [True]),
    "Deadline.note": (
        "How the deadline is read from the text.",
        ["'binnen vier weken': 28 calendar days"],
    ),
    # conditions
    "AllOf.all": (
        "Holds when every condition holds.",
        [[{"field": "payload.necessary", "equals": True}, {"consent": "special_data"}]],
    ),
    "AnyOf.any": (
        "Holds when at least one condition holds.",
        [[{"occurred": "household_heard"}, {"occurred": "hearing_waived"}]],
    ),
    "Not.not": ("Holds when the condition does not.", [{"consent": "special_data"}]),
    "FieldTest.field": (
        "Path of the value tested: payload., facts., actor., subject., request. or settings.",
        ["payload.outcome", "facts.life_domains"],
    ),
    "FieldTest.equals": ("The value equals this.", ["accepted", True]),
    "FieldTest.in": ("The value is one of these.", [["declined", "referred_to_regular_care"]]),
    "FieldTest.at_least": ("A number at least this.", [12]),
    "FieldTest.at_most": ("A number at most this.", [16]),
    "FieldTest.count_at_least": (
        "A list with at least this many items (or a number at least this).",
        [3],
    ),
    "FieldTest.contains": ("A list that contains this value.", ["expert_team_member"]),
    "FieldTest.contains_any": (
        "A list that contains one of these values.",
        [["police_identity", "police_incidents"]],
    ),
    "FieldTest.present": ("true: the value is given; false: it is absent.", [True]),
    "Occurred.occurred": ("An earlier allowed event of this type happened.", ["household_heard"]),
    "Occurred.where": (
        "Only earlier events for which this holds count.",
        [{"field": "payload.ground", "in": ["pr8_state_security"]}],
    ),
    "ConsentGiven.consent": (
        "Consent with this scope was given and not withdrawn.",
        ["special_data"],
    ),
}

_ENUMS: dict[str, str] = {
    "Action": "read: reading the case file (file_accessed); write: recording in it "
    "(data_recorded).",
    "Effect": "allow or deny; an applicable deny wins over an allow.",
    "DocumentKind": "What sort of document a source is.",
    "PartyType": "Type of organisation; roles and legal bases are bound to party types.",
    "RightKind": "A data-subject right (AVG art. 15-21, and the covenant's own statement right).",
}


def build_pack_schema() -> dict[str, Any]:
    """The pack's JSON Schema with a description and examples on every property."""
    schema: dict[str, Any] = Pack.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "mph-rules policy pack"
    schema["x-schema-version"] = PACK_SCHEMA_VERSION
    schema["description"] = (
        "A Dutch multi-problem-household data-sharing covenant as executable policy "
        "(docs/pack-format.md)."
    )
    _document("Pack", schema)
    for name, node in schema.get("$defs", {}).items():
        _document(name, node)
        if "enum" in node and "description" not in node and name in _ENUMS:
            node["description"] = _ENUMS[name]
    return schema


def _document(model: str, node: dict[str, Any]) -> None:
    for prop, sub in node.get("properties", {}).items():
        specific = SPECIFIC.get(f"{model}.{prop}")
        common = COMMON.get(prop)
        description = (specific[0] if specific and specific[0] else None) or (
            common[0] if common else None
        )
        examples = (specific[1] if specific else None) or (common[1] if common else None)
        if "description" not in sub and description:
            sub["description"] = description
        if "examples" not in sub and examples:
            sub["examples"] = examples


def undocumented(schema: dict[str, Any]) -> list[str]:
    """Properties that lack a description or examples (the test wants none)."""
    out = []
    nodes = [("Pack", schema), *schema.get("$defs", {}).items()]
    for model, node in nodes:
        for prop, sub in node.get("properties", {}).items():
            for key in ("description", "examples"):
                if key not in sub:
                    out.append(f"{model}.{prop}: no {key}")
    return out


def render() -> str:
    return json.dumps(build_pack_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--write"]:
        SCHEMA_FILE.write_text(render(), encoding="utf-8")
        print(f"wrote {SCHEMA_FILE}")
        return 0
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
