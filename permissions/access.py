"""The one gate through which anything obtains a case (STYLE.md point 3).

Pages, downloads, search, exports and the API all come through here. Every refusal is the
same ``CaseNotFound``: missing, forbidden, excluded, expired, malformed and wrong are
indistinguishable, so an answer never confirms that a case exists. A refused staff request
is recorded as an ``AccessRefusal`` even when the request then fails (each one a link in the
refusals' audit chain), and reading a case records a ``case.viewed`` event.

The rules, each one ``if`` or one clause below:
1. only an active, signed-in user gets anything;
2. superuser status and model-level permissions grant nothing (never consulted);
3. a per-case grant of the permission to the user, not past its end date, grants it;
4. a per-case grant of the permission to a team the user is in grants it;
5. a triage lead may view the new (received) cases of the case types they triage;
6. an exclusion (conflict of interest) overrides every rule above.

Rules 3 to 6 are conditions in SQL (``_visible`` for one case, ``_listed_ids`` for a list).
The reads of one case are compiled once per database and permission and run with each call's
user, case and day (``permissions/compiled.py``, decision 0036): the same statement as the
ORM's, without building and compiling it on every call.

The confidential contact reaches a confidential reporter's identity, never the case's content,
through ``case_for_confidential_contact`` (its own rules: the role, a confidential reporter, no
exclusion; decision 0031).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import DatabaseError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, StringAgg, Subquery, Value
from django.utils import timezone

from cases.audit import REFUSAL_CHAIN, chain_append, event_record, refusal_body
from cases.exceptions import CaseNotFound
from cases.models import Case, CaseType
from cases.tokens import token_digest, token_normalize
from permissions.compiled import CompiledRead, Slot
from permissions.models import AccessRefusal, CaseExclusion, CaseGroupPermission, CaseUserPermission
from permissions.roles import ROLE_NAMES, CasePerm, roles_from, roles_remember

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser

# Digested when the input cannot be a token, so a malformed guess costs the same work (an
# HMAC and an indexed lookup) as a well-formed wrong one. No token normalises to this.
_NOT_A_TOKEN = "not-a-token"  # noqa: S105  (not a secret: a value no token can have)

logger = logging.getLogger("speakup.access")
# During a request, refusals wait here until the middleware writes them after the view (and
# every transaction it opened) has finished, so a rollback cannot take them with it.
_pending_refusals: contextvars.ContextVar[list[AccessRefusal] | None] = contextvars.ContextVar(
    "pending_refusals", default=None
)


def _visible(user_id: int, perm: CasePerm, case_id: uuid.UUID, today: dt.date) -> Q:
    """The SQL condition for "user ``user_id`` holds ``perm`` on case ``case_id``" (rules 3
    to 6).

    Each rule is a set of case ids read from its own index (the user's grants, their teams'
    grants, the case types they triage, their exclusions), not a subquery per case row, each
    read for that case only, so the answer costs the same whether the person holds ten cases
    or a hundred thousand; a list reads the same rules' sets whole (``_listed_ids``).
    """
    permission = _permission(perm)
    user_grants = (
        CaseUserPermission.objects.filter(
            user_id=user_id, permission_id=permission, content_object_id=case_id
        )
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
        .values("content_object_id")
    )  # rule 3
    team_grants = CaseGroupPermission.objects.filter(
        permission_id=permission, group__user__id=user_id, content_object_id=case_id
    ).values("content_object_id")  # rule 4
    allowed = Q(pk__in=user_grants) | Q(pk__in=team_grants)
    if perm == CasePerm.VIEW:  # rule 5
        triaged = CaseType.objects.filter(triage_team__user__id=user_id).values("pk")
        allowed |= Q(state="received", case_type__in=triaged)
    excluded = CaseExclusion.objects.filter(user_id=user_id, case_id=case_id).values("case_id")
    return allowed & ~Q(pk__in=excluded)  # rule 6


def _permission(perm: CasePerm) -> Subquery:
    """The id of the case permission ``perm``, looked up once by the database in the query
    that uses it (the grants are then read by id, from their index, with no join)."""
    return Subquery(
        Permission.objects.filter(
            content_type__app_label="cases", content_type__model="case", codename=perm
        )
        .order_by()
        .values("pk")[:1]
    )


def _one_case(user_id: int, perm: CasePerm, case_id: uuid.UUID, today: dt.date) -> QuerySet[Case]:
    """Case ``case_id`` if user ``user_id`` holds ``perm`` on it on ``today``, as a queryset:
    what ``case_queryset_for_user(..., only=case_id)`` returns, and what the compiled reads
    below are compiled from."""
    return Case.objects.filter(_visible(user_id, perm, case_id, today)).filter(pk=case_id)


# The gate's reads of one case, each compiled once per database and permission and then run
# with each call's user, case and day (permissions/compiled.py, decision 0036): building and
# compiling them cost more than everything else in a workflow step. The stand-ins are values
# no call has (no user has a negative id, no case a UUID of version 0, no grant ends in 1900),
# put where each call's values go while the read is compiled; each is prepared as a field the
# rules' lookups use prepares it (the user's by a foreign key to the user, for one).
_SLOTS = {
    "user_id": Slot(CaseExclusion._meta.get_field("user"), -1_912_837_465),
    "case_id": Slot(Case._meta.pk, uuid.UUID("5e1f5e1f-c0de-0000-0000-00000000c0de")),
    "today": Slot(CaseUserPermission._meta.get_field("expires_on"), dt.date(1900, 1, 2)),
}
_WITH = ("case_type", "category", "org_unit")


def _one_case_read(
    perm: CasePerm, *, user_id: int, case_id: uuid.UUID, today: dt.date
) -> QuerySet[Case]:
    """The case with its type, category and unit (``case_for_user``; and whether it is
    there at all, ``user_has_case_perm``)."""
    return _one_case(user_id, perm, case_id, today).select_related(*_WITH)


def _locked_case_read(
    perm: CasePerm, *, user_id: int, case_id: uuid.UUID, today: dt.date
) -> QuerySet[Case]:
    """The case with its type, category and unit, locked, with its reader's roles
    (``case_locked_for_user``)."""
    # The user's roles come with the case (the step that follows checks them), as one text
    # of their role groups' names: one subquery, not a query of its own.
    memberships = get_user_model().groups.through.objects
    roles = (
        memberships.filter(  # type: ignore[misc]  # stubs miss the annotation
            user_id=user_id, group__name__in=ROLE_NAMES
        )
        .values("user_id")
        .annotate(names=StringAgg("group__name", Value("\n")))
        .values("names")
    )
    # OF the case row only: the joined type, category and unit stay unlocked (and
    # PostgreSQL cannot lock the nullable side of an outer join).
    return (
        _one_case(user_id, perm, case_id, today)
        .select_related(*_WITH)
        .annotate(actor_roles=Subquery(roles))
        .select_for_update(of=("self",))
    )


_ONE_CASE = CompiledRead(Case, _one_case_read, slots=_SLOTS)
_LOCKED_CASE = CompiledRead(Case, _locked_case_read, slots=_SLOTS, for_write=True)


def _case_read(
    read: CompiledRead, user: AnyUser, perm: CasePerm, case_id: uuid.UUID
) -> Case | None:
    """``read`` of case ``case_id`` for ``user`` and ``perm`` (rules 3 to 6 in its SQL), or
    ``None``; nothing and no query for anyone but an active, signed-in user."""
    if not (user.is_authenticated and user.is_active):  # rule 1
        return None
    today = timezone.localdate()
    case: Case | None = read.first(perm, user_id=int(user.pk), case_id=case_id, today=today)
    return case


def _listed_ids(user_id: int, perm: CasePerm) -> QuerySet[Any, Any]:
    """The ids of the cases ``user_id`` holds ``perm`` on: the union of the rules' sets, each
    set with the person's exclusions taken out (rule 6 holds against every rule, so taking
    them out of each set is taking them out of the union).

    One ``IN`` of a union, not an ``OR`` of several: PostgreSQL can only test an ``OR``
    case by case, reading every case in the table, while a union is a set it joins to the
    cases by their key, from the grant index (decision 0006). Only the sets that can hold
    something for this person are in the union: which of their teams hold case grants and
    which triage a case type is read first, in one small query, because the planner cannot
    see that a set is empty and prices it as if it held, say, every new case of the case
    types someone might triage, which makes it read every case again. Leaving out a set that
    is empty changes nothing; the exclusions are never left out.
    """
    permission = _permission(perm)
    teams = (
        Group.objects.filter(user__id=user_id)
        .annotate(
            grants=Exists(CaseGroupPermission.objects.filter(group=OuterRef("pk"))),
            triages=Exists(CaseType.objects.filter(triage_team=OuterRef("pk"))),
        )
        .values_list("pk", "grants", "triages")
    )
    granting = [team for team, grants, _ in teams if grants]
    triaging = [team for team, _, triages in teams if triages]
    excluded = CaseExclusion.objects.filter(user_id=user_id).values("case_id")  # rule 6
    sets: list[QuerySet[Any, Any]] = [
        CaseUserPermission.objects.filter(user_id=user_id, permission_id=permission)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=timezone.localdate()))
        .exclude(content_object_id__in=excluded)
        .values("content_object_id")
    ]  # rule 3
    if granting:  # rule 4
        sets.append(
            CaseGroupPermission.objects.filter(group_id__in=granting, permission_id=permission)
            .exclude(content_object_id__in=excluded)
            .values("content_object_id")
        )
    if perm == CasePerm.VIEW and triaging:  # rule 5
        sets.append(
            Case.objects.filter(state="received", case_type__triage_team_id__in=triaging)
            .exclude(pk__in=excluded)
            .values("pk")
        )
    return sets[0].union(*sets[1:]) if len(sets) > 1 else sets[0]


def case_queryset_for_user(
    user: AnyUser, perm: CasePerm = CasePerm.VIEW, *, only: uuid.UUID | None = None
) -> QuerySet[Case]:
    """Every case ``user`` holds ``perm`` on, as one filterable query (lists, search, exports);
    with ``only``, that one case if they hold it (each rule then reads that case's rows only).

    Filtering happens in SQL, from the indexes of the rules' sets, so a page of any size is
    one query and its count one more; a list first reads which of the person's teams hold
    grants or triage (one query, when the queryset is made).
    """
    if not (user.is_authenticated and user.is_active):  # rule 1
        return Case.objects.none()
    if only is not None:
        return _one_case(int(user.pk), perm, only, timezone.localdate())
    # A list asks ``pk IN`` the union of the rules' sets of case ids.
    ids = _listed_ids(int(user.pk), perm)
    cases = Case.objects.filter(pk__in=ids)
    # For ``case_ids_of``; on this queryset only: any queryset made from it goes without.
    cases._listed_ids = ids  # type: ignore[attr-defined]
    return cases


def case_ids_of(cases: QuerySet[Case]) -> QuerySet[Any, Any]:
    """The ids of ``cases``, for a subquery that needs nothing else (who holds the cases, how
    many each holds). For a list exactly as ``case_queryset_for_user`` made it, the rules'
    sets themselves, read from their indexes without reading the cases (every grant names a
    case that exists, as ``case_count_for_user`` says): checking each id against the cases
    cost SQLite a lookup a case. For any other queryset, its ids.

    The sets are kept on the gate's queryset object itself, and Django copies no attribute of
    a queryset into the querysets made from it (filtered, ordered, annotated), so a narrowed
    list can never be answered with the sets of the whole one."""
    listed: QuerySet[Any, Any] | None = getattr(cases, "_listed_ids", None)
    if listed is not None:  # the gate's list itself, not narrowed
        return listed
    return cases.order_by().values("pk")


def case_count_for_user(user: AnyUser, perm: CasePerm = CasePerm.VIEW) -> int:
    """How many cases ``case_queryset_for_user(user, perm)`` holds, counted from the rules'
    sets alone: a list's count when nothing narrows the list.

    Counting the cases themselves has to find each one by its key (about a microsecond a
    case on PostgreSQL: 10 ms for a handler with 10,000) where the grants' own index counts
    them at a tenth of that; every grant names a case that exists (a foreign key whose
    cases cascade), and a case in two sets is counted once (a union). Two queries: the
    person's teams, and the count.
    """
    if not (user.is_authenticated and user.is_active):  # rule 1
        return 0
    return _listed_ids(int(user.pk), perm).count()


def parse_id(case_id: object) -> uuid.UUID | None:
    """A UUID from whatever came in a request, or ``None``: malformed ids are simply not found."""
    if isinstance(case_id, uuid.UUID):
        return case_id
    try:
        return uuid.UUID(str(case_id))
    except ValueError:
        return None


def case_for_user(
    user: AnyUser,
    case_id: object,
    perm: CasePerm = CasePerm.VIEW,
    *,
    action: str = "view",
    audit: bool = True,
) -> Case:
    """The case ``case_id`` if ``user`` holds ``perm`` on it, else ``CaseNotFound``.

    With ``audit`` (the default) a successful read writes one ``case.viewed`` event naming
    ``action`` (``view``, ``download``, ``history``...). A refusal writes an
    ``AccessRefusal`` that survives the request failing.
    """
    parsed = parse_id(case_id)
    case = None
    if parsed is not None:
        case = _case_read(_ONE_CASE, user, perm, parsed)
    if case is None:
        record_refusal(user, parsed, action)
        raise CaseNotFound()
    if audit:
        event_record(case=case, code="case.viewed", actor=user, payload={"view": action})  # type: ignore[arg-type]
    return case


@contextlib.contextmanager
def case_locked_for_user(
    user: AnyUser, case_id: object, perm: CasePerm = CasePerm.WORK, *, action: str
) -> Iterator[Case]:
    """The case ``case_id`` under a row lock, if ``user`` holds ``perm`` on it, for a service
    about to change it: the gate and the lock in one read, so the case is read once.

    Opens a transaction and yields the case (with its type, category and unit) inside it; the
    block runs in that transaction and the row stays locked until it ends. The user's roles
    are read in the same query and remembered on ``user`` (``roles.roles_remember``), so the
    role check that follows costs no query. The rules and the
    refusal are ``case_for_user``'s (``CaseNotFound``, no view event), and the refusal is
    recorded after the transaction has ended, so that its rollback cannot take it along.
    """
    parsed = parse_id(case_id)
    with transaction.atomic():
        case = None
        if parsed is not None:
            case = _case_read(_LOCKED_CASE, user, perm, parsed)
        if case is not None:
            names = getattr(case, "actor_roles", None) or ""
            roles_remember(user, roles_from(names.split("\n")))
            yield case
            return
    record_refusal(user, parsed, action)
    raise CaseNotFound()


def user_has_case_perm(user: AnyUser, case: Case, perm: CasePerm) -> bool:
    """Whether ``user`` holds ``perm`` on a case they already obtained (e.g. to show the
    reporter's contact details). Writes nothing."""
    if not (user.is_authenticated and user.is_active):  # rule 1
        return False
    today = timezone.localdate()
    return _ONE_CASE.exists(perm, user_id=int(user.pk), case_id=case.pk, today=today)


def case_refuse(user: AnyUser, case_id: object, action: str) -> NoReturn:
    """Refuse ``user`` a request on a case they reach but whose rule (a predicate in
    ``permissions/predicates.py``) says no, or on an item of it they may not see: the same
    ``CaseNotFound`` as every refusal, recorded like every refusal (decision 0024)."""
    record_refusal(user, parse_id(case_id), action)
    raise CaseNotFound()


def cases_for_triage(user: AnyUser) -> QuerySet[Case]:
    """The cases whose assignments ``user`` may manage, whatever their stage: of the case
    types whose triage team they are in, not excluded from. For pages that show no content
    (references, kinds, stages: the appeals waiting for a decision-maker, decision 0032);
    reading content still needs the gate's ``case_for_user``."""
    if not (user.is_authenticated and user.is_active):  # rule 1
        return Case.objects.none()
    triage = Group.objects.filter(pk=OuterRef("case_type__triage_team"), user__id=user.pk)
    excluded = CaseExclusion.objects.filter(case=OuterRef("pk"), user_id=user.pk)  # rule 6
    return Case.objects.filter(Exists(triage), ~Exists(excluded))


def case_for_triage(user: AnyUser, case_id: object, *, action: str) -> Case:
    """A case whose assignments ``user`` may manage: they triage its case type and are not
    excluded from it (``cases_for_triage``). Reveals no content, so it writes no view event;
    refusals are recorded."""
    parsed = parse_id(case_id)
    case = None
    if parsed is not None:
        case = cases_for_triage(user).select_related("case_type").filter(pk=parsed).first()
    if case is None:
        record_refusal(user, parsed, action)
        raise CaseNotFound()
    return case


def case_for_legal_hold(user: AnyUser, reference: object) -> Case:
    """The case a legal hold is placed on, named by its reference (what legal and governance
    correspondence quotes), for a governance lead; else ``CaseNotFound``, recorded as a
    refusal. Reveals no content, so it writes no view event."""
    from permissions.roles import Role, roles_of

    text = reference.strip().upper() if isinstance(reference, str) else ""
    case = None
    # Rule: only an active governance lead places holds, and only on a well-formed reference.
    if user.is_active and Role.GOVERNANCE_LEAD in roles_of(user) and 0 < len(text) <= 9:
        case = Case.objects.select_related("case_type").filter(reference=text).first()
    if case is None:
        record_refusal(user, None, "legal_hold")
        raise CaseNotFound()
    return case


def cases_for_confidential_contact(user: AnyUser) -> QuerySet[Case]:
    """The cases with a confidential reporter whose identity ``user`` is shown, as the
    confidential contact (docs/decisions/0031-confidential-reporting.md): every such case
    they are not excluded from. Nothing for anyone else."""
    from permissions.roles import Role, roles_of

    # Rule: only an active holder of the confidential contact's role.
    if not (
        user.is_authenticated and user.is_active and Role.CONFIDENTIAL_CONTACT in roles_of(user)
    ):
        return Case.objects.none()
    excluded = CaseExclusion.objects.filter(case=OuterRef("pk"), user_id=user.pk)
    # Rule: only a case with a confidential reporter, never one they are excluded from.
    return Case.objects.filter(reporter_identity__isnull=False).filter(~Exists(excluded))


def case_for_confidential_contact(
    user: AnyUser, case_id: object, *, action: str, audit: bool = True
) -> Case:
    """One case of ``cases_for_confidential_contact(user)``, else ``CaseNotFound`` (recorded
    as a refusal). With ``audit``, a ``case.identity_viewed`` event: the page shows the
    reporter's identity."""
    parsed = parse_id(case_id)
    case = None
    if parsed is not None:
        case = (
            cases_for_confidential_contact(user)
            .select_related("case_type", "reporter_identity")
            .filter(pk=parsed)
            .first()
        )
    if case is None:
        record_refusal(user, parsed, action)
        raise CaseNotFound()
    if audit:
        event_record(case=case, code="case.identity_viewed", actor=user)  # type: ignore[arg-type]
    return case


def case_for_reporter_token(typed: object) -> Case:
    """The case whose token the reporter typed, or ``CaseNotFound``.

    Any input is accepted (any length, any alphabet, not even a string) and answered alike.
    Throttling per client and globally is the caller's job (intake), because a wrong token
    identifies no case and so cannot lock one.
    """
    normalized = token_normalize(typed)
    digest = token_digest(normalized if normalized is not None else _NOT_A_TOKEN)
    case = Case.objects.select_related("case_type").filter(token_digest=digest).first()
    # Rule: a token that is not well formed finds nothing, even by accident.
    if case is None or normalized is None:
        raise CaseNotFound()
    return case


def case_for_follow_up(case_id: uuid.UUID) -> Case:
    """The case of a live follow-up session: the reporter proved the token when it began
    (``intake/followup.py`` seals the case id into their cookie). ``CaseNotFound`` if the case
    is no longer there."""
    case = Case.objects.select_related("case_type", "category").filter(pk=case_id).first()
    # Rule: a follow-up session outlives nothing; a missing case is simply not found.
    if case is None:
        raise CaseNotFound()
    return case


# --- refusals -------------------------------------------------------------------------------


def record_refusal(user: AnyUser, case_id: uuid.UUID | None, action: str) -> None:
    """Record a refused request: after the response during a request, at once otherwise."""
    refusal = AccessRefusal(
        actor=user if user.is_authenticated else None,  # type: ignore[misc]
        case_id=case_id,
        action=action[:32],
        at=timezone.now(),
    )
    pending = _pending_refusals.get()
    if pending is None:
        _refusal_save(refusal)
    else:
        pending.append(refusal)


def _refusal_save(refusal: AccessRefusal) -> None:
    # Linked into the refusals' chain in the transaction that inserts it (cases/audit.py).
    body = refusal_body(
        actor_id=refusal.actor_id, case_id=refusal.case_id, action=refusal.action, at=refusal.at
    )
    with transaction.atomic(savepoint=False):
        refusal.seq, refusal.mac = chain_append(chain=REFUSAL_CHAIN, body=body)
        refusal.save(force_insert=True)


def refusals_begin() -> contextvars.Token[list[AccessRefusal] | None]:
    """Start collecting refusals for one request (called by the middleware)."""
    return _pending_refusals.set([])


def refusals_flush(token: contextvars.Token[list[AccessRefusal] | None]) -> int:
    """Write the refusals collected during a request, after its transactions have ended;
    returns how many were written.

    One that the database will not take is written to the log instead, ids only, and the
    request's answer stands: it was refused whatever happens here, and an error page in place
    of the refusal's "not found" would tell the person that something was there to refuse."""
    pending = _pending_refusals.get() or []
    _pending_refusals.reset(token)
    written = 0
    for refusal in pending:
        try:
            # Its own transaction (or a savepoint in a caller's, which a failure leaves usable).
            with transaction.atomic():
                _refusal_save(refusal)
        except DatabaseError as error:
            logger.error(
                "refusal not recorded actor_id=%s case_id=%s action=%s at=%s error=%s",
                refusal.actor_id,
                refusal.case_id,
                refusal.action,
                refusal.at.isoformat(),
                type(error).__name__,
            )
        else:
            written += 1
    return written
