"""Side-by-side benchmarks, measured in one run: ``python benchmarks/run.py [--quick]``.

Prints one table of medians and ratios:

* access checks: ``Engine.check_access`` (explanation included) against pycasbin ``enforce`` on
  the same matrix in a Casbin model with a phase attribute, a naive scan of every access rule,
  and a bare dict lookup; every answer is checked to agree before anything is timed;
* event processing: the pure engine's incremental ``CaseSession.post``, the durable backend's
  ``LiveCase.post``, and naive re-evaluation of the whole history (``Engine.evaluate``) for each
  new event, at histories of 10, 100 and 1,000 events;
* scale: ``evaluate_many`` over generated cases in one process and on every core, and memory
  per live case.

Needs the ``bench`` extra (pycasbin) and, for the durable rows, the ``durable`` extra.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import itertools
import os
import platform
import random
import statistics
import sys
import time
import timeit
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from mph_rules import Engine, Event, load_case, load_pack
from mph_rules.batch import evaluate_many, summary
from mph_rules.events import Case
from mph_rules.schema import Effect

ROOT = Path(__file__).resolve().parent.parent
Row = tuple[str, str, float, str | None]  # section, name, seconds per unit, baseline name


# --- timing -------------------------------------------------------------------------------------


def per_call(fn: Callable[[], object], *, number: int, repeat: int) -> float:
    """Median over ``repeat`` runs of the time per call, each run ``number`` calls."""
    timer = timeit.Timer(fn)
    return statistics.median(t / number for t in timer.repeat(repeat=repeat, number=number))


def fmt_time(seconds: float) -> str:
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


# --- access checks ------------------------------------------------------------------------------

CASBIN_MODEL = """
[request_definition]
r = sub, obj, phase, act

[policy_definition]
p = sub, obj, phase, act, eft

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = r.sub == p.sub && (p.obj == "*" || r.obj == p.obj) && \
(p.phase == "*" || r.phase == p.phase) && r.act == p.act
"""


def casbin_enforcer(engine: Engine) -> tuple[Any, int]:
    """The pack's unconditional access rules as Casbin policies (deny overrides allow)."""
    import casbin  # the ``bench`` extra

    pack = engine.pack
    lines: list[list[str]] = []
    for rule in pack.access:
        if rule.when is not None or rule.purposes is not None:
            continue  # conditional cells are not in the compared matrix
        eft = "deny" if rule.effect is Effect.DENY else "allow"
        cats = ["*"] if rule.categories == "*" else list(rule.categories)
        phases = ["*"] if rule.phases == "*" else list(rule.phases)
        for role in rule.roles:
            for cat in cats:
                for phase in phases:
                    for action in rule.actions:
                        lines.append([role, cat, phase, action.value, eft])
    for cat in pack.data_categories:
        if cat.forbidden:
            lines += [[role, cat.id, "*", "write", "deny"] for role in sorted(engine.compiled.roles)]
    model = casbin.Enforcer.new_model(text=CASBIN_MODEL)
    enforcer = casbin.Enforcer(model)
    enforcer.add_policies(lines)
    return enforcer, len(lines)


def naive_access(engine: Engine) -> Callable[[str, str, str, str], tuple[bool, tuple[str, ...]]]:
    """Scan every access rule for each query: what an unindexed engine would do."""
    rules = engine.pack.access
    forbidden = {c.id for c in engine.pack.data_categories if c.forbidden}

    def check(role: str, cat: str, phase: str, action: str) -> tuple[bool, tuple[str, ...]]:
        if action == "write" and cat in forbidden:
            return False, (cat,)
        allow: list[str] = []
        deny: list[str] = []
        for r in rules:
            if r.when is not None or r.purposes is not None:
                continue
            if (
                role in r.roles
                and (r.categories == "*" or cat in r.categories)
                and (r.phases == "*" or phase in r.phases)
                and any(a.value == action for a in r.actions)
            ):
                (deny if r.effect is Effect.DENY else allow).append(r.id)
        if deny:
            return False, tuple(deny)
        return bool(allow), tuple(allow)

    return check


def bench_access(pack_name: str, quick: bool) -> list[Row]:
    engine = Engine(load_pack(pack_name))
    cp = engine.compiled
    every = itertools.product(sorted(cp.roles), sorted(cp.categories), cp.phases, ("read", "write"))
    cells = [cell for cell in every if cp.fixed_access(cell) is not None]
    rng = random.Random(7)
    queries = rng.sample(cells, min(len(cells), 400 if quick else 1000))
    table = {c: engine.check_access(c[0], c[1], phase=c[2], action=c[3]).allowed for c in cells}
    naive = naive_access(engine)
    enforcer, policies = casbin_enforcer(engine)
    checked = queries if quick else cells
    for role, cat, phase, action in checked:  # every answer agrees before anything is timed
        want = engine.check_access(role, cat, phase=phase, action=action).allowed
        assert enforcer.enforce(role, cat, phase, action) == want, (role, cat, phase, action)
        assert naive(role, cat, phase, action)[0] == want, (role, cat, phase, action)
        assert table[(role, cat, phase, action)] == want
    print(
        f"  {pack_name}: {len(engine.pack.access)} access rules, {policies} Casbin policy lines, "
        f"{len(checked)} cells agree in all four",
        file=sys.stderr,
    )
    n = len(queries)

    def ours() -> None:
        check = engine.check_access
        for role, cat, phase, action in queries:
            check(role, cat, phase=phase, action=action)

    def dict_lookup() -> None:
        for q in queries:
            table[q]

    def scan() -> None:
        for role, cat, phase, action in queries:
            naive(role, cat, phase, action)

    few = queries[: 100 if quick else 200]

    def casbin() -> None:
        for role, cat, phase, action in few:
            enforcer.enforce(role, cat, phase, action)

    section = f"access ({pack_name})"
    base = "check_access (with explanation)"
    reps = 5 if quick else 9
    return [
        (section, "dict lookup (bool only)", per_call(dict_lookup, number=20, repeat=reps) / n, base),
        (section, base, per_call(ours, number=20, repeat=reps) / n, None),
        (section, "naive scan of all rules", per_call(scan, number=5, repeat=reps) / n, base),
        (section, "pycasbin enforce", per_call(casbin, number=1, repeat=reps) / len(few), base),
    ]


# --- event streams ------------------------------------------------------------------------------


def template(pack_name: str) -> Case:
    """The pack's longest example case."""
    cases = [load_case(p) for p in sorted((ROOT / "examples" / pack_name).glob("*.yaml"))]
    return max(cases, key=lambda c: len(c.events))


ROUTINE = ("data_recorded", "data_provided", "file_accessed", "household_informed")


def long_case(base: Case, n: int) -> Case:
    """``n`` events: the example, then its routine events repeated an hour apart."""
    events = list(base.events[:n])
    routine = [e for e in base.events if e.type in ROUTINE] or list(base.events)
    last = base.events[-1].at
    at = last if isinstance(last, dt.datetime) else dt.datetime.combine(last, dt.time(9), dt.UTC)
    i = 0
    while len(events) < n:
        at += dt.timedelta(hours=1)
        data = routine[i % len(routine)].model_dump(mode="python", by_alias=True)
        events.append(Event.model_validate({**data, "at": at}))  # not model_copy: it keeps
        # the event's memoised moment from the original
        i += 1
    return base.model_copy(update={"events": tuple(events)})


def bench_events(pack_name: str, quick: bool, durable: bool) -> list[Row]:
    engine = Engine(load_pack(pack_name))
    base = template(pack_name)
    rows: list[Row] = []
    backend = None
    if durable:
        from mph_rules.backends.durable import LiveBackend

        backend = LiveBackend(engine)
    lengths = (10, 100, 1000)
    last_k = 5 if quick else 10
    trials = 2 if quick else 5
    for n in lengths:
        case = long_case(base, n)
        events = case.events
        section = f"events (history {n})"
        inc = "pure engine, incremental (per event)"

        def incremental() -> list[float]:
            session = engine.session(case.id, facts=case.facts, subjects=case.subjects)
            for e in events[: n - last_k]:
                session.post(e)
            out = []
            for e in events[n - last_k :]:
                t = time.perf_counter()
                session.post(e)
                out.append(time.perf_counter() - t)
            return out

        samples = [s for _ in range(trials) for s in incremental()]
        rows.append((section, inc, statistics.median(samples), None))
        if backend is not None:
            live_backend = backend

            def live(trial: int) -> list[float]:
                stream = live_backend.open(f"{case.id}-{n}-{trial}", facts=case.facts,
                                           subjects=case.subjects)
                for e in events[: n - last_k]:
                    stream.post(e)
                out = []
                for e in events[n - last_k :]:
                    t = time.perf_counter()
                    stream.post(e)
                    out.append(time.perf_counter() - t)
                stream.close()
                return out

            samples = [s for trial in range(trials) for s in live(trial)]
            rows.append((section, "durable backend, LiveCase.post (per event)",
                         statistics.median(samples), inc))
        naive_k = 2 if n >= 1000 else last_k
        naive_samples = []
        for _ in range(max(1, trials // 2) if n >= 1000 else trials):
            for m in range(n - naive_k + 1, n + 1):
                prefix = case.model_copy(update={"events": events[:m]})
                t = time.perf_counter()
                engine.evaluate(prefix, as_of=events[m - 1].at)
                naive_samples.append(time.perf_counter() - t)
        rows.append((section, "naive: re-evaluate the whole history (per event)",
                     statistics.median(naive_samples), inc))
    if backend is not None:
        backend.close()
    return rows


# --- scale --------------------------------------------------------------------------------------


def generated_cases(pack_name: str, count: int, seed: int = 11) -> Iterator[dict[str, Any]]:
    """``count`` cases as a case system sends them (plain data): the pack's examples, each
    moved by a random number of days, with fresh ids."""
    templates = [
        load_case(p).model_dump(mode="python", by_alias=True)
        for p in sorted((ROOT / "examples" / pack_name).glob("*.yaml"))
    ]
    rng = random.Random(seed)
    for i in range(count):
        t = templates[i % len(templates)]
        shift = dt.timedelta(days=rng.randrange(0, 700))
        yield {
            **t,
            "id": f"gen-{i}",
            "events": [{**e, "at": e["at"] + shift} for e in t["events"]],
        }


def bench_scale(pack_name: str, quick: bool) -> tuple[list[Row], list[str]]:
    count = 5_000 if quick else 100_000
    as_of = dt.date(2026, 6, 1)
    engine = Engine(load_pack(pack_name))
    cases = list(generated_cases(pack_name, count))
    notes = []
    rows: list[Row] = []
    section = f"scale ({count:,} cases)"
    results: dict[int, float] = {}
    cores = os.cpu_count() or 1
    for processes in sorted({1, cores}):
        t = time.perf_counter()
        done = sum(1 for _ in evaluate_many(engine, cases, as_of=as_of, processes=processes,
                                            reduce=summary))
        elapsed = time.perf_counter() - t
        assert done == count
        results[processes] = elapsed
        label = "evaluate_many, 1 process" if processes == 1 else f"evaluate_many, {processes} processes"
        rows.append((section, label + " (per case)", elapsed / count,
                     None if processes == 1 else "evaluate_many, 1 process (per case)"))
        notes.append(f"{label}: {count / elapsed:,.0f} cases/s ({elapsed:.1f} s)")
    return rows, notes


def rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


def bench_memory(pack_name: str, quick: bool, durable: bool) -> list[str]:
    """Resident memory per live case holding the example's events."""
    engine = Engine(load_pack(pack_name))
    case = template(pack_name)
    n = 500 if quick else 2000
    notes = []
    gc.collect()
    before = rss_kib()
    sessions = []
    for i in range(n):
        s = engine.session(f"m{i}", facts=case.facts, subjects=case.subjects)
        for e in case.events:
            s.post(e)
        sessions.append(s)
    gc.collect()
    per = (rss_kib() - before) / n
    notes.append(f"pure CaseSession with {len(case.events)} events: {per:.1f} KiB per case")
    del sessions
    if durable:
        from mph_rules.backends.durable import LiveBackend

        backend = LiveBackend(engine)
        gc.collect()
        before = rss_kib()
        for i in range(n):
            stream = backend.open(f"m{i}", facts=case.facts, subjects=case.subjects)
            for e in case.events:
                stream.post(e)
        gc.collect()
        per = (rss_kib() - before) / n
        notes.append(f"durable LiveCase with {len(case.events)} events: {per:.1f} KiB per case "
                     f"({n} cases, {len(backend._rulesets.clock_names)} clock rulesets)")
        backend.close()
    decisions = [engine.evaluate(case, as_of=dt.date(2026, 6, 1)) for _ in range(200)]
    import pickle

    size = statistics.median(len(pickle.dumps(d)) for d in decisions[:20])
    notes.append(f"one CaseDecision of that case, pickled: {size / 1024:.1f} KiB")
    return notes


# --- report -------------------------------------------------------------------------------------


def table(rows: Sequence[Row]) -> str:
    by_name = {(s, n): v for s, n, v, _ in rows}
    out = ["| section | measurement | median | ratio |", "|---|---|---:|---|"]
    for section, name, value, base in rows:
        if base is None:
            ratio = "1x (baseline)"
        else:
            ref = by_name[(section, base)]
            r = value / ref
            ratio = f"{r:.2f}x of baseline" if r < 1 else f"{r:,.1f}x slower than baseline"
            if r < 1:
                ratio = f"{1 / r:,.1f}x faster than baseline"
        out.append(f"| {section} | {name} | {fmt_time(value)} | {ratio} |")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a short run (about 30 s)")
    parser.add_argument("--pack", action="append", help="pack(s) for the access matrix")
    args = parser.parse_args(argv)
    from mph_rules.loading import bundled_names

    packs = args.pack or [p for p in ("hilversum", "zvh_midden_nl") if p in bundled_names()]
    try:
        from mph_rules.backends.durable import available

        durable = available()
    except ImportError:
        durable = False
    started = time.perf_counter()
    rows: list[Row] = []
    for pack in packs:
        print(f"access checks: {pack}", file=sys.stderr)
        rows += bench_access(pack, args.quick)
    print("event processing", file=sys.stderr)
    rows += bench_events("hilversum", args.quick, durable)
    print("scale", file=sys.stderr)
    scale_rows, notes = bench_scale("hilversum", args.quick)
    rows += scale_rows
    notes += bench_memory("hilversum", args.quick, durable)
    print(f"\nmph-rules benchmarks ({'quick' if args.quick else 'full'} run), "
          f"Python {platform.python_version()}, {os.cpu_count()} cores, "
          f"{'with' if durable else 'WITHOUT'} durable-rules\n")
    print(table(rows))
    print()
    for note in notes:
        print(f"- {note}")
    access = [r for r in rows if r[0].startswith("access")]
    for section in dict.fromkeys(r[0] for r in access):
        values = {n: v for s, n, v, _ in access if s == section}
        ours = values["check_access (with explanation)"]
        print(f"- {section}: check_access is {values['pycasbin enforce'] / ours:,.0f}x faster "
              f"than pycasbin (goal >= 100x) and {ours / values['dict lookup (bool only)']:.1f}x "
              "a bare dict lookup (goal <= 20x)")
    print(f"\ntotal run time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
