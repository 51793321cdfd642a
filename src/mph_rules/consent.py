"""What each data subject agreed to, withdrew, or successfully objected to (design.md v2).

Consent is scoped: given by (or for) one subject, for one scope, and where the event says so
only for some data categories, recipients and purposes. A later withdrawal or refusal by that
subject ends every consent of that scope for that subject only; an upheld objection (AVG art.
21: a `subject_request_answered` granting an objection) stops later processing of that
subject's data. A consent without a subject is the household's: it covers every subject.

v1 compatibility: a case that lists no subjects has one implicit subject, the household; any
consent for a scope covers it and any withdrawal ends it, so the last consent event of a scope
decides, exactly as before subjects existed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

HOUSEHOLD = ""
"""The implicit subject of a case that lists none (v1 cases)."""


@dataclass(frozen=True, slots=True)
class Grant:
    """One consent_given event, with its scoping."""

    event: int
    scope: str
    subject: str | None
    categories: tuple[str, ...] | None
    recipients: tuple[str, ...] | None
    purposes: tuple[str, ...] | None
    given_by: str = "subject"

    def matches(self, category: str | None, recipient: str | None, purpose: str | None) -> bool:
        if self.categories is not None and (category is None or category not in self.categories):
            return False
        if (
            self.recipients is not None
            and recipient is not None
            and (recipient not in self.recipients)
        ):
            return False
        return self.purposes is None or (purpose is not None and purpose in self.purposes)

    def describe(self) -> str:
        parts = [f"consent for {self.scope}"]
        if self.subject:
            parts.append(f"of {self.subject}")
        for name, values in (
            ("categories", self.categories),
            ("recipients", self.recipients),
            ("purposes", self.purposes),
        ):
            if values is not None:
                parts.append(f"{name} {list(values)}")
        return " ".join(parts) + f" (event #{self.event})"


@dataclass(frozen=True, slots=True)
class Ending:
    """A consent_withdrawn or consent_refused event: ends a scope for one subject (or all);
    v2: with `recipients`, only as far as the consent reaches those recipients."""

    event: int
    kind: str
    scope: str
    subject: str | None
    recipients: tuple[str, ...] | None = None

    def reaches(self, recipient: str | None) -> bool:
        """Whether this ending stops an act to ``recipient`` (an act to no recipient, such
        as a recording, is not stopped by a withdrawal limited to recipients)."""
        return self.recipients is None or (recipient is not None and recipient in self.recipients)

    def describe(self, who: str) -> str:
        towards = f" for recipients {', '.join(self.recipients)}" if self.recipients else ""
        return f"consent for {self.scope}{who} was {self.kind}{towards} (event #{self.event})"


@dataclass(frozen=True, slots=True)
class Objection:
    """An upheld objection: processing of this subject's data stops after `event`."""

    event: int
    subject: str
    request_id: str
    rule: str


@dataclass
class ConsentLedger:
    """Consents, their endings and upheld objections of one case, in event order."""

    subjects: tuple[str, ...] = ()
    grants: list[Grant] = field(default_factory=list)
    endings: list[Ending] = field(default_factory=list)
    objections: list[Objection] = field(default_factory=list)
    # indexes of the two lists above (see _index): per scope the latest grant of each
    # distinct scoping, and the latest ending per (scope, subject), so that a consent check
    # costs the distinct consents of the scope, not grants times endings (issue 12 #10)
    _by_scope: dict[str, dict[tuple[Any, ...], Grant]] = field(default_factory=dict, repr=False)
    _ended: dict[tuple[str, str | None], int] = field(default_factory=dict, repr=False)
    _partial: dict[str, list[Ending]] = field(default_factory=dict, repr=False)
    _indexed: tuple[int, int] = (0, 0)

    def record(self, index: int, event_type: str, payload: Any) -> None:
        """Take in an allowed consent event."""
        if event_type == "consent_given":
            self.grants.append(
                Grant(
                    index,
                    payload.scope,
                    payload.subject,
                    getattr(payload, "categories", None),
                    getattr(payload, "recipients", None),
                    getattr(payload, "purposes", None),
                    payload.given_by,
                )
            )
        elif event_type in ("consent_withdrawn", "consent_refused"):
            kind = "withdrawn" if event_type == "consent_withdrawn" else "refused"
            recipients = getattr(payload, "recipients", None)
            end = Ending(index, kind, payload.scope, payload.subject, recipients)
            self.endings.append(end)

    def _index(self) -> None:
        """Bring the indexes up to date with grants and endings appended since."""
        seen_grants, seen_endings = self._indexed
        for grant in self.grants[seen_grants:]:
            # an identical earlier grant adds nothing: it is active only while this one is
            shapes = self._by_scope.setdefault(grant.scope, {})
            shape = (grant.subject, grant.categories, grant.recipients, grant.purposes)
            shapes.pop((*shape, grant.given_by), None)
            shapes[(*shape, grant.given_by)] = grant
        for end in self.endings[seen_endings:]:
            if end.recipients is not None:  # limited to recipients: checked per act
                self._partial.setdefault(end.scope, []).append(end)
                continue
            for key in ((end.scope, end.subject), (end.scope, HOUSEHOLD)):
                self._ended[key] = max(self._ended.get(key, -1), end.event)
        self._indexed = (len(self.grants), len(self.endings))

    def uphold_objection(self, index: int, subject: str, request_id: str, rule: str) -> None:
        self.objections.append(Objection(index, subject, request_id, rule))

    def concerned(self, subjects: Iterable[str] | None) -> tuple[str, ...]:
        """The subjects an event concerns: those it names, else every subject of the case."""
        if subjects is not None:
            return tuple(subjects)
        return self.subjects or (HOUSEHOLD,)

    def _active(self, scope: str, subject: str) -> list[Grant]:
        """The grants of ``scope`` for ``subject`` that no later ending of theirs ended (of
        identical grants, the latest): for the household any ending of the scope counts, for
        a subject its own and the household's (subject None)."""
        self._index()
        if subject == HOUSEHOLD:
            ended = self._ended.get((scope, HOUSEHOLD), -1)
        else:
            ended = max(self._ended.get((scope, None), -1), self._ended.get((scope, subject), -1))
        return [
            g
            for g in self._by_scope.get(scope, {}).values()
            if g.event > ended and (subject == HOUSEHOLD or g.subject in (None, subject))
        ]

    def covers(
        self,
        scope: str,
        subjects: Iterable[str] | None = None,
        *,
        category: str | None = None,
        recipient: str | None = None,
        purpose: str | None = None,
    ) -> bool:
        """Whether a live consent of `scope` covers every subject concerned, for this category,
        recipient and purpose."""
        return self.missing(scope, subjects, category, recipient, purpose) is None

    def missing(
        self,
        scope: str,
        subjects: Iterable[str] | None = None,
        category: str | None = None,
        recipient: str | None = None,
        purpose: str | None = None,
    ) -> str | None:
        """None if consent covers the act, else why not (naming the subject and any
        withdrawal, so a denial can cite it)."""
        for subject in self.concerned(subjects):
            active = self._active(scope, subject)
            partial = [
                e
                for e in self._partial.get(scope, ())
                if (subject == HOUSEHOLD or e.subject in (None, subject)) and e.reaches(recipient)
            ]
            live = [g for g in active if not any(e.event > g.event for e in partial)]
            if any(g.matches(category, recipient, purpose) for g in live):
                continue
            who = f" of {subject}" if subject else ""
            ended = [
                e
                for e in self.endings
                if e.scope == scope
                and (subject == HOUSEHOLD or e.subject in (None, subject))
                and e.reaches(recipient)
            ]
            if ended and not live:
                return ended[-1].describe(who)
            if live:
                scoped = "; ".join(g.describe() for g in live)
                return (
                    f"consent for {scope}{who} does not extend to "
                    f"{_act(category, recipient, purpose)} ({scoped})"
                )
            return f"no consent for {scope}{who}"
        return None

    def objected(self, subjects: Iterable[str] | None) -> Objection | None:
        """The first upheld objection of a subject the event concerns, if any."""
        if not self.objections:
            return None
        concerned = set(self.concerned(subjects))
        for objection in self.objections:
            if objection.subject in concerned:
                return objection
        return None

    def copy(self) -> ConsentLedger:
        return ConsentLedger(
            self.subjects, list(self.grants), list(self.endings), list(self.objections)
        )


def _act(category: str | None, recipient: str | None, purpose: str | None) -> str:
    parts = []
    if category is not None:
        parts.append(f"category {category}")
    if recipient is not None:
        parts.append(f"recipient {recipient}")
    parts.append(f"purpose {purpose}" if purpose is not None else "no stated purpose")
    return ", ".join(parts)


__all__ = ["HOUSEHOLD", "ConsentLedger", "Ending", "Grant", "Objection"]
