"""`mph-rules evaluate`: the decision on a case, for a person (text) or a machine (json)."""

from __future__ import annotations

import argparse
from typing import Any

from mph_rules.cli.common import add_pack_argument, add_setting_argument, as_of, settings
from mph_rules.conditions import describe
from mph_rules.decision import CaseDecision
from mph_rules.engine import Engine
from mph_rules.loading import load_case, load_pack


def add_parser(sub: Any) -> None:
    p = sub.add_parser("evaluate", help="evaluate a case and print the decision")
    add_pack_argument(p)
    p.add_argument("case", metavar="CASE", help="case file (.yaml or .json)")
    p.add_argument("--as-of", required=True, type=str, help="date or moment of evaluation")
    p.add_argument("--format", choices=("text", "json"), default="text")
    add_setting_argument(p)


def run(args: argparse.Namespace) -> int:
    when = as_of(args.as_of)
    engine = Engine(load_pack(args.pack), settings=settings(args.setting))
    decision = engine.evaluate(load_case(args.case), as_of=when)
    if args.format == "json":
        print(decision.to_json())
    else:
        print(render(decision, engine))
    return 0


def _when(n: Any) -> str:
    if n.due is not None:
        by = n.due_at.isoformat(timespec="minutes") if n.counting == "elapsed_hours" else n.due
        return f"by {by}" + (" (as soon as possible)" if n.asap else "")
    if n.asap:
        return "as soon as possible (no date in the source)"
    return "no deadline given" + (f": {n.note}" if n.note else "")


def _sharing_line(rule: Any) -> str:
    givers = "anyone" if rule.from_roles == "*" else ", ".join(rule.from_roles)
    takers = "anyone" if rule.to_roles == "*" else ", ".join(rule.to_roles)
    cats = "all data" if rule.categories == "*" else ", ".join(rule.categories)
    cond = f" if {describe(rule.when)}" if rule.when is not None else ""
    return f"{givers} -> {takers}: {cats}{cond} [{rule.id}: {rule.source.cite()}]"


def _cats(categories: tuple[str, ...], every: tuple[str, ...]) -> str:
    """A short list: the categories, or "all but ..." when that is shorter."""
    if not categories:
        return "-"
    missing = [c for c in every if c not in categories]
    if not missing:
        return f"all {len(every)} data categories"
    if len(missing) < len(categories):
        return "all but " + ", ".join(missing)
    return ", ".join(categories)


def render(d: CaseDecision, engine: Engine) -> str:
    """A page a case worker can act on: who must be told by when, what may be done, when
    the file must go, each with the article it comes from."""
    pack = engine.pack
    phases = {p.id: p.label for p in pack.lifecycle.phases} if pack.lifecycle else {}
    roles = {r.id: r.label for r in pack.roles}
    out = [
        f"Case {d.case_id} under {pack.pack.title}",
        f"  pack {d.pack.id} {d.pack.version} ({d.pack.content_hash[:19]}...), "
        f"engine {d.pack.engine_version}, as of {d.as_of}",
        f"Phase: {d.phase} ({phases.get(d.phase, d.phase)})",
        "",
        "Events",
    ]
    for ev in d.events:
        mark = "ok    " if ev.allowed else "DENIED"
        move = f" -> {ev.phase_after}" if ev.phase_after != ev.phase_before else ""
        force = "" if ev.in_force else "  [covenant not in force on this date]"
        out.append(f"  {mark} #{ev.index} {ev.at} {ev.type}{move}{force}")
        if not ev.allowed:
            for reason in ev.reasons:
                out.append(f"           {reason}")
            cites = [
                f"{r} ({engine.compiled.cite(r)})" for r in ev.rules if engine.compiled.cite(r)
            ]
            if cites:
                out.append(f"           rule: {', '.join(cites)}")
    if d.ignored_after_as_of:
        out.append(f"  ({d.ignored_after_as_of} later event(s) after {d.as_of} not considered)")
    out += ["", "Who must be told"]
    if not d.notifications:
        out.append("  nothing")
    for n in d.notifications:
        who = roles.get(n.recipient, n.recipient)
        by = roles.get(n.informer, n.informer)
        line = f"  {n.status.upper():8} {who} about {n.about}, by {by}: {_when(n)}"
        if n.status == "waived":
            line += f"; waived on ground {n.ground}: {n.reason}"
        if n.status == "done":
            line += f"; done at event #{n.done_event}" + (" (late)" if n.late else "")
        out.append(line)
        origin = "" if n.origin == d.pack.id else f", baseline {n.origin}"
        out.append(f"           [{n.duty}: {n.source}{origin}]")
    if d.deadlines:
        out += ["", "Process deadlines"]
        for pd in d.deadlines:
            due = pd.due or "unspecified"
            out.append(f"  {pd.status.upper():8} {pd.label}: due {due} [{pd.rule}: {pd.source}]")
    out += ["", "When the data must be deleted"]
    for deletion in d.deletions:
        dl = deletion
        if dl.date is not None:
            out.append(f"  {dl.scope}: delete on {dl.date} ({dl.reason}) [{dl.rule}: {dl.source}]")
            if dl.anchor:
                out.append(f"           counted from {dl.anchor}")
            if dl.alert_on:
                out.append(f"           alert due on {dl.alert_on}")
            for exc in dl.exceptions:
                out.append(f"           exception: {exc}")
        else:
            out.append(f"  {dl.scope}: no date yet: {dl.reason}")
    out += ["", "What may happen next"]
    for action in d.allowed_actions:
        who = action.roles if isinstance(action.roles, str) else ", ".join(action.roles)
        mark = "may   " if action.allowed else "BLOCKED"
        out.append(f"  {mark} {action.event} (by {who}): {action.reason}")
    if d.access:
        out += ["", f"Who may see and write what in phase {d.phase}"]
        every = tuple(engine.compiled.categories)
        for ra in d.access:
            out.append(
                f"  {roles.get(ra.role, ra.role)}: read {_cats(ra.read, every)}; "
                f"write {_cats(ra.write, every)}"
            )
    here = [r for r in pack.sharing if r.phases == "*" or d.phase in r.phases]
    for effect, title in (
        ("allow", f"What may be shared in phase {d.phase}"),
        ("deny", f"What may not be shared in phase {d.phase} (a prohibition wins)"),
    ):
        rules = [r for r in here if r.effect.value == effect]
        if rules:
            out += ["", title]
            out += [f"  {_sharing_line(rule)}" for rule in rules]
    out += ["", "Run `mph-rules explain` with the same arguments for the full trace."]
    return "\n".join(out)
