"""Small builders that make test data through the services, never around them."""

from __future__ import annotations

import itertools
from collections import deque
from typing import Any

from cases.models import DEFAULT_OUTCOMES, Case, CaseType, OutcomeCode
from workflows.models import transition_table
from workflows.services import case_file, case_transition

_counter = itertools.count(1)


def make_case_type(*, workflow: str = "whistleblowing", **fields: Any) -> CaseType:
    n = next(_counter)
    defaults: dict[str, Any] = {
        "slug": f"type-{n}",
        "name": f"Case type {n}",
        "workflow": workflow,
        "acknowledge_within_days": 7,
        "feedback_within_months": 3,
    }
    retention = fields.pop("retention_days", 365)
    defaults.update(fields)
    case_type = CaseType.objects.create(**defaults)
    # The usual outcomes, as migration cases/0020 gave every case type that existed then: in
    # one INSERT and without history rows, as the migration wrote them (the settings pages are
    # the audited way: tests/administration/test_outcome_pages.py).
    OutcomeCode._base_manager.bulk_create(
        OutcomeCode(
            case_type=case_type, code=code, label=label, substantiated=yes, position=position
        )
        for position, (code, label, yes) in enumerate(DEFAULT_OUTCOMES, start=1)
    )
    if retention is not None:
        from django.utils import timezone

        from retention.models import RetentionPolicy

        # As migration retention/0002 made them for existing case types: no staff event, so
        # tests that count staff events see only their own (retention.services.policy_seed
        # is the audited path, tested in tests/retention).
        RetentionPolicy.objects.create(
            case_type=case_type,
            content_days=retention,
            token_days=retention,
            changed_at=timezone.now(),
        )
    return case_type


def path_to(workflow: str, target: str) -> list[str]:
    """The shortest list of transition names from ``received`` to ``target``."""
    table = transition_table(workflow)
    queue: deque[tuple[str, list[str]]] = deque([("received", [])])
    seen = {"received"}
    while queue:
        state, path = queue.popleft()
        if state == target:
            return path
        for row in table:
            if row.source == state and row.target not in seen:
                seen.add(row.target)
                queue.append((row.target, [*path, row.name]))
    raise ValueError(f"{target!r} cannot be reached in {workflow!r}")


def make_case(
    *,
    case_type: CaseType | None = None,
    state: str = "received",
    answers: dict[str, str] | None = None,
    with_token: bool = False,
    **fields: Any,
) -> Any:
    """A case filed through ``case_file`` and moved through real transitions to ``state``.

    Returns the case, or ``(case, token)`` with ``with_token=True``.
    """
    case_type = case_type or make_case_type()
    case, token = case_file(
        case_type=case_type, answers=answers or {"what_happened": "Something happened."}, **fields
    )
    for name in path_to(case_type.workflow, state):
        case = case_transition(case=case, name=name, actor=None, **STEP_DATA)
    case = Case.objects.get(pk=case.pk)
    return (case, token) if with_token else case


def _builder_triage_lead(case: Case) -> Any:
    """A triage lead in the team that triages ``case``'s type (made if the type has none),
    since only that team may assign people to the case."""
    from django.contrib.auth.models import Group, User

    case_type = case.case_type
    team = case_type.triage_team
    if team is None:
        team = Group.objects.get_or_create(name="Builder triage team")[0]
        case_type.triage_team = team
        case_type.save(update_fields=["triage_team"])
    lead, _ = User.objects.get_or_create(username="builder-triage-lead")
    lead.groups.add(Group.objects.get_or_create(name="Triage lead")[0], team)
    return lead


def make_handler(case: Case, username: str = "handler", *, role: str = "Handler") -> Any:
    """A member of staff with ``role``, assigned to ``case`` through the assignment service."""
    from django.contrib.auth.models import Group, User

    from permissions.services import case_assign

    user, _ = User.objects.get_or_create(username=username)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    lead = _builder_triage_lead(case)
    expires = None
    if role == "External investigator":
        import datetime as dt

        from django.utils import timezone

        expires = timezone.localdate() + dt.timedelta(days=30)
    case_assign(case=case, assignee=user, actor=lead, expires_on=expires)
    return user


def make_decider(case: Case, username: str = "decider", *, days: int = 30) -> Any:
    """A member of the pool of appeal decision-makers, given access to decide ``case``'s
    appeal through the granting service (``case_assign`` for an appeal), whatever the case's
    state: tests of the transition table need a decision-maker at every state (the appeal's
    own rule is ``workflows.services.case_appoint_decider``'s, tested apart)."""
    import datetime as dt

    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from permissions.services import case_assign

    user, _ = User.objects.get_or_create(username=username)
    user.groups.add(Group.objects.get_or_create(name="Appeal decision-maker")[0])
    case_assign(
        case=case,
        assignee=user,
        actor=_builder_triage_lead(case),
        expires_on=timezone.localdate() + dt.timedelta(days=days),
        for_appeal=True,
    )
    return user


# Data that satisfies every step's needs (workflows/machines/), for tests that only move.
STEP_DATA: dict[str, Any] = {
    "outcome": "substantiated",
    "consent": True,
    "reason": "Recorded in a test.",
}


def migrating() -> Any:
    """What a data migration's function is given to find its database (its ``schema_editor``
    argument): here, the test database's connection."""
    from types import SimpleNamespace

    from django.db import connection

    return SimpleNamespace(connection=connection)
