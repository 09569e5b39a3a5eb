"""Links between cases (docs/decisions/0033-linked-cases.md): the only module that writes
``CaseLink`` rows.

A link joins two cases that concern the same person, team or pattern, so that a repeat report
is noticed. It is stored as two rows, one from each case, written and removed together in one
transaction: each case reads its links by its own key, and each row's note is sealed under its
own case's data key (bound to that row), like every note on that case. Each change is one audit
event on each case, naming the other case by its id, never the note.

These writes check nobody: staff link and unlink through ``permissions/links.py``, which obtains
both cases through the gate and asks ``permissions.predicates.may_link``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from cases.audit import event_record
from cases.exceptions import LinkRefused
from cases.keys import case_cipher
from cases.models import Case, CaseLink, LinkKind

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MAX_NOTE_CHARS = 2000


def _lock_both(case: Case, other: Case) -> None:
    """Lock both case rows, in id order (the order every link and unlink takes them, so two
    people linking the same two cases from either side cannot deadlock)."""
    list(Case.objects.select_for_update().filter(pk__in=[case.pk, other.pk]).order_by("pk"))


def link_add(*, case: Case, other: Case, kind: str, note: str, actor: User) -> CaseLink:
    """Link ``case`` and ``other``: a row from each, with ``note`` sealed under each row's own
    case's key, and a ``case.linked`` event on each case (the other case's id, the row's id and
    the kind). Returns ``case``'s row. Raises ``LinkRefused`` for a case linked to itself, a
    kind that is not one, a note over ``MAX_NOTE_CHARS`` or two cases already linked; nothing
    is written then. Checks nobody: see the module's docstring."""
    if case.pk == other.pk:
        raise LinkRefused("That is this case's own reference: enter another case's.")
    if kind not in LinkKind.values:
        raise LinkRefused("Choose what the cases have in common.", field="kind")
    text = note.strip()
    if len(text) > MAX_NOTE_CHARS:
        raise LinkRefused(f"Write at most {MAX_NOTE_CHARS:,} characters.", field="note")
    with transaction.atomic():
        _lock_both(case, other)
        if CaseLink.objects.filter(case=case, other=other).exists():
            raise LinkRefused("These cases are already linked.")
        now = timezone.now()
        rows = []
        for this, that in ((case, other), (other, case)):
            row = CaseLink(case=this, other=that, kind=kind, linked_by=actor, linked_at=now)
            if text:
                row.note = case_cipher(this.pk).seal(
                    text.encode(), model_label="cases.caselink", field="note", row_id=row.pk
                )
            row.save(force_insert=True)
            event_record(
                case=this,
                code="case.linked",
                actor=actor,
                payload={"other_case": that.pk.hex, "link": row.pk.hex, "link_kind": kind},
            )
            rows.append(row)
    return rows[0]


def link_remove(*, link: CaseLink, actor: User) -> bool:
    """Remove the link ``link`` is one side of: both rows (their history keeps a sealed copy
    until the retention purge), with a ``case.unlinked`` event on each case. Returns whether
    there was a link to remove (someone else may just have removed it). Checks nobody."""
    case, other = link.case, link.other
    with transaction.atomic():
        _lock_both(case, other)
        sides = {
            row.case_id: row
            for row in CaseLink.objects.filter(case__in=[case, other], other__in=[case, other])
        }
        if not sides:
            return False
        for this, that in ((case, other), (other, case)):
            row = sides.pop(this.pk, None)  # both sides, always: written and removed together
            if row is None:
                continue
            row_id = row.pk
            row.delete()
            event_record(
                case=this,
                code="case.unlinked",
                actor=actor,
                payload={"other_case": that.pk.hex, "link": row_id.hex},
            )
    return True
