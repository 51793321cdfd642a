"""Verify the decision log: the chain is whole and the stored events still match it.

Checks, in one pass over the log and one over the events:
- each entry's hash is the hash of its fields and of the entry before (an edited entry,
  or one moved to another place, breaks it);
- sequence numbers run 1, 2, 3, ... without a gap (a removed entry);
- the head row names the last entry (entries removed from the end), and, if the operator
  noted a head earlier (``--expect-head SEQ:HASH``), that entry is still there, unchanged;
- a stateless entry's stored input still hashes to its input hash;
- every stored event, and the answer given for it, still hashes to what its log entry says,
  and every event entry has its event (an edited, removed or added event).

What a plain hash chain cannot show on its own: someone able to write the database may
rewrite the whole chain from some point on. Two things close that gap: noting the head
elsewhere (a ticket, a mail, another system) at intervals, which fixes the chain up to the
noted entry, and a log key (HMAC chain): verified with the key, every entry from
``keyed_from`` on must be keyed and match under the key, so a rewrite by someone without
the key (keyed with a guess, or as a plain chain) is found.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mph_rules.service.chain import (
    GENESIS,
    case_next_hash,
    case_start_hash,
    digest,
    entry_hash,
    is_keyed,
)
from mph_rules.service.store import Store, cases

MAX_SHOWN = 50


@dataclass
class Report:
    entries: int = 0
    events: int = 0
    head: tuple[int, str] = (0, GENESIS)
    problems: list[str] = field(default_factory=list)
    keyed: int = 0  # entries checked under the key

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        seq, hash_ = self.head
        head = f"{self.entries} log entries, {self.events} events; head {seq}:{hash_}"
        if self.keyed:
            head += f"; {self.keyed} entries keyed (HMAC) and checked under the key"
        if self.ok:
            return f"decision log intact: {head}"
        shown = self.problems[:MAX_SHOWN]
        more = len(self.problems) - len(shown)
        lines = [f"decision log NOT intact ({len(self.problems)} problems): {head}"]
        lines += [f"  {p}" for p in shown]
        if more:
            lines.append(f"  ... and {more} more")
        return "\n".join(lines)


def verify(
    store: Store,
    expect_head: tuple[int, str] | None = None,
    *,
    key: bytes | None = None,
    keyed_from: int = 1,
) -> Report:
    """Check the log; with ``key``, every entry from ``keyed_from`` on must be keyed."""
    report = Report()
    problems = report.problems
    prev, expected_seq = GENESIS, 1
    event_entries: dict[tuple[str, int], tuple[str, str]] = {}
    noted_seen = False
    unchecked = 0  # keyed entries seen without the key
    wrong_under_key: list[str] = []
    for row in store.log_entries():
        seq = row["seq"]
        report.entries += 1
        if seq != expected_seq:
            if seq > expected_seq:
                problems.append(f"entries {expected_seq}..{seq - 1} are missing (removed)")
            else:
                problems.append(f"entry {seq} appears after entry {expected_seq - 1} (reordered)")
        if row["prev_hash"] != prev:
            problems.append(
                f"entry {seq}: does not follow the entry before it (removed, inserted or moved)"
            )
        own = row["entry_hash"]
        if is_keyed(own):
            if key is None:
                unchecked += 1
            else:
                report.keyed += 1
                if entry_hash(row, key) != own:
                    wrong_under_key.append(
                        f"entry {seq}: its content does not match its keyed hash (edited)"
                    )
        else:
            if key is not None and seq >= keyed_from:
                problems.append(
                    f"entry {seq}: not keyed, but the log is keyed from entry {keyed_from} on "
                    "(rewritten without the key?)"
                )
            if entry_hash(row) != own:
                problems.append(f"entry {seq}: its content does not match its hash (edited)")
        if row["input"] is not None and digest(row["input"]) != row["input_hash"]:
            problems.append(f"entry {seq}: the stored input does not match its hash (edited)")
        if row["kind"] == "event":
            event_entries[(row["case_id"], row["case_version"])] = (
                row["input_hash"],
                row["output_hash"],
            )
        if expect_head is not None and seq == expect_head[0]:
            noted_seen = True
            if own != expect_head[1]:
                problems.append(f"entry {seq}: differs from the head noted earlier (rewritten)")
        prev, expected_seq = own, seq + 1
    if wrong_under_key and len(wrong_under_key) == report.keyed > 1:
        problems.append(
            f"none of the {report.keyed} keyed entries matches under this key: the key is "
            "not the log's key (or every keyed entry was rewritten)"
        )
    else:
        problems += wrong_under_key
    if unchecked:
        problems.append(
            f"{unchecked} entries are keyed (HMAC) and cannot be checked without the log's key"
        )
    head = store.head()
    report.head = head
    if head != (expected_seq - 1, prev):
        problems.append(
            f"the head names entry {head[0]} but the log ends at entry {expected_seq - 1} "
            "(entries removed from the end, or the head was altered)"
        )
    if expect_head is not None and not noted_seen:
        problems.append(f"entry {expect_head[0]}, noted earlier as the head, is missing")
    _check_events(store, event_entries, report)
    return report


def _check_events(
    store: Store, entries: dict[tuple[str, int], tuple[str, str]], report: Report
) -> None:
    """Recompute each case's running input hash from its stored events and compare."""
    problems = report.problems
    with store.read() as conn:
        headers = {r.case_id: r for r in conn.execute(cases.select())}
    running: dict[str, tuple[int, str]] = {}
    for case_id, item in store.all_events():
        report.events += 1
        header = headers.get(case_id)
        if header is None:
            problems.append(f"case {case_id}: events stored without the case")
            continue
        version, current = running.get(
            case_id,
            (0, case_start_hash(case_id, header.pack_id, header.facts, header.subjects)),
        )
        if item.version != version + 1:
            problems.append(f"case {case_id}: event {version + 1} is missing")
        current = case_next_hash(current, item.event)
        running[case_id] = (item.version, current)
        logged = entries.pop((case_id, item.version), None)
        where = f"case {case_id} event {item.version}"
        if logged is None:
            problems.append(f"{where}: stored but not in the decision log (added)")
            continue
        if current != item.case_hash or current != logged[0]:
            problems.append(f"{where}: the case's history does not match the log (edited)")
        if digest(item.result) != logged[1]:
            problems.append(f"{where}: the stored answer does not match the log (edited)")
    for (case_id, version), _ in sorted(entries.items()):
        problems.append(f"case {case_id} event {version}: in the log but not stored (removed)")
    for case_id, header in headers.items():
        if running.get(case_id, (0, ""))[0] != header.version:
            problems.append(f"case {case_id}: version {header.version} but events disagree")
