"""A case with a marker in every place a person can write something about it."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from cases.models import Case, MessageKind
from cases.services import (
    action_add,
    case_redact,
    evidence_attach,
    identity_reveal,
    item_share,
    item_unshare,
    message_add,
)
from permissions.roles import Role
from permissions.services import case_recuse
from retention.services import hold_lift, hold_place
from tests.builders import STEP_DATA, make_case, make_case_type, make_handler
from workflows.clocks import clock_pause, clocks_of
from workflows.services import case_transition

MARKER = "QZXMARK7"


def person(username: str, *roles: str) -> User:
    user = User.objects.create_user(username=username, password="a-long-password-1")
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def close(case: Case) -> Case:
    """Move the case by real steps, from wherever it is, to the closed state."""
    from collections import deque

    from workflows.models import transition_table

    table = transition_table(case.case_type.workflow)
    queue: deque[tuple[str, list[str]]] = deque([(case.state, [])])
    seen = {case.state}
    while queue:
        state, path = queue.popleft()
        if state == "closed":
            break
        for row in table:
            if row.source == state and row.target not in seen:
                seen.add(row.target)
                queue.append((row.target, [*path, row.name]))
    for name in path:
        case = case_transition(case=case, name=name, actor=None, **STEP_DATA)
    return Case.objects.get(pk=case.pk)


def marked_case(
    *, case_type: Any = None, tag: str = MARKER, governance: User | None = None
) -> Case:
    """A closed whistleblowing case with ``tag`` in its answers, contact details, redaction,
    messages of every kind and their copies shared with investigators, evidence name,
    shared name and content, action, a link's note to an open case, deadline reason, recusal
    reason, a lifted legal hold's reason, and a confidential reporter's sealed name and contact
    details revealed with a reason (decision 0031); plus a guardian generic permission row and an
    admin log row naming it (what another app might add)."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType
    from guardian.models import UserObjectPermission

    case_type = case_type or make_case_type(retention_days=365)
    case = make_case(
        case_type=case_type,
        state="assessment",
        answers={"what_happened": f"{tag} in the answers"},
        reporter_contact=f"{tag}@example.org",
    )
    handler = make_handler(case, username=f"handler-{case.reference}")
    for kind in MessageKind:
        author = None if kind == MessageKind.FROM_REPORTER else handler
        message = message_add(case=case, kind=kind, body=f"{tag} {kind}", author=author)
        # Shared with investigators as a redacted copy (decision 0024); the note's share is
        # withdrawn again, so its history keeps a copy too.
        item_share(case=case, actor=handler, message=message, redacted=f"{tag} shared {kind}")
        if kind == MessageKind.INTERNAL_NOTE:
            item_unshare(case=case, actor=handler, message=message)
    evidence = evidence_attach(
        case=case,
        source=io.BytesIO(f"{tag} file content".encode()),
        original_name=f"{tag}-notes.txt",
        content_type="text/plain",
        added_by=handler,
    )
    item_share(case=case, actor=handler, evidence=evidence, redacted=f"{tag}-shared-name.txt")
    action_add(case=case, title=f"{tag} action", actor=handler)
    _linked(case, handler, tag)
    _confidential(case, tag)
    identity_reveal(case=case, actor=handler, reason=f"{tag} reveal reason")
    case_redact(case=case, actor=handler, answers={"what_happened": f"{tag} redacted"})
    running = [clock for clock in clocks_of(case) if not clock.stopped_on]
    clock_pause(clock=running[0], actor=handler, reason=f"{tag} pause reason")
    other = make_handler(case, username=f"recusing-{case.reference}")
    case_recuse(case=case, actor=other, reason=f"{tag} recusal reason")
    governance = governance or person(f"governance-{case.reference}", Role.GOVERNANCE_LEAD)
    hold = hold_place(
        actor=governance,
        reference=case.reference,
        reason=f"{tag} hold reason",
        review_on=timezone.localdate() + dt.timedelta(days=30),
    )
    hold_lift(actor=governance, hold=hold)
    case_type_ct = ContentType.objects.get_for_model(Case)
    permission = case_type_ct.permission_set.first()
    UserObjectPermission.objects.create(
        user=handler, permission=permission, content_type=case_type_ct, object_pk=str(case.pk)
    )
    LogEntry.objects.create(
        user=handler,
        content_type=case_type_ct,
        object_id=str(case.pk),
        object_repr=f"{tag} log",
        action_flag=2,
    )
    return close(Case.objects.get(pk=case.pk))


def _linked(case: Case, handler: User, tag: str) -> None:
    """``case`` linked to an open case (decision 0033), with ``tag`` in the note sealed on
    both sides; the link removed and made again, so its history holds both too."""
    from cases.links import link_add, link_remove

    other = make_case(case_type=case.case_type, answers={"what_happened": "linked, kept"})
    link = link_add(case=case, other=other, kind="same_person", note=f"{tag} link", actor=handler)
    link_remove(link=link, actor=handler)
    link_add(case=case, other=other, kind="same_team", note=f"{tag} linked again", actor=handler)


def _confidential(case: Case, tag: str) -> None:
    """A confidential reporter's identity on ``case``, sealed as ``case_create`` seals it for
    a confidential report (which keeps no contact details on the case row, and this case's
    row holds the marker there too)."""
    import json

    from cases.keys import case_cipher
    from cases.models import ReporterIdentity

    row = ReporterIdentity(case=case)
    row.identity = case_cipher(case.pk).seal(
        json.dumps({"name": f"{tag} confidential name", "contact": f"{tag}@example.net"}).encode(),
        model_label="cases.reporteridentity",
        field="identity",
        row_id=case.pk,
    )
    row.save(force_insert=True)


@pytest.fixture
def after_retention(db: None) -> dt.date:
    """A day when a case closed today is past a 365-day policy."""
    return timezone.localdate() + dt.timedelta(days=366)
