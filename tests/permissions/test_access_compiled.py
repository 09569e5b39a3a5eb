"""The gate's one-case reads, compiled once and run with each call's values (decision 0036):
the same answer as the ORM's queryset for every rule, person, permission and case, the same
statement, and a compiled form never used for a permission or a form it was not compiled for.
"""

import datetime as dt
import uuid

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser, Permission
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.exceptions import CaseNotFound
from cases.models import Case
from permissions import access
from permissions.access import (
    case_for_user,
    case_locked_for_user,
    case_queryset_for_user,
    user_has_case_perm,
)
from permissions.compiled import CompiledRead, NotCompiled, Slot
from permissions.models import CaseExclusion, CaseGroupPermission, CaseUserPermission, ExclusionKind
from permissions.roles import CasePerm
from tests.builders import make_case, make_case_type
from tests.conftest import OUTSIDERS

PEOPLE = [
    "assigned_handler",
    "external_investigator",
    "team_handler",
    "triage_lead",
    "conflicted_handler",
    *OUTSIDERS,
    "other_triage_lead",
]
CASES = ["granted", "shielded", "new", "moved", "elsewhere", "missing"]

# Who obtains which case, by permission: written out by hand from the rules. "granted" is the
# cast's case: the handler's grant (rule 3), the investigator's grant ending in 30 days, the
# team's grant (rule 4), a new case of the lead's type (rule 5), the conflicted handler in the
# team but excluded (rule 6). "shielded" is new, of the lead's type, granted to the handler
# and the team, and every one of the handler, the team handler and the lead excluded from it
# (rule 6 against rules 3, 4 and 5); the conflicted handler, in the team and excluded only
# from the cast's case, holds it by the team's grant. "new": new, of the lead's type, granted
# to nobody. "moved": the same but acknowledged. "elsewhere": new, of a type nobody here
# triages. "missing": no such case.
EXPECTED = {
    CasePerm.VIEW: {
        "granted": {"assigned_handler", "external_investigator", "team_handler", "triage_lead"},
        "shielded": {"conflicted_handler"},
        "new": {"triage_lead"},
    },
    CasePerm.WORK: {
        "granted": {"assigned_handler", "external_investigator", "team_handler"},
        "shielded": {"conflicted_handler"},
    },
    CasePerm.VIEW_CONTACT: {
        "granted": {"assigned_handler", "team_handler"},
        "shielded": {"conflicted_handler"},
    },
    CasePerm.DECIDE_APPEAL: {"shielded": {"conflicted_handler"}},
}


@pytest.fixture
def cases(cast):
    perms = Permission.objects.filter(content_type__app_label="cases", codename__in=list(CasePerm))
    shielded = make_case(case_type=cast.case_type)
    for perm in perms:
        CaseUserPermission.objects.create(
            user=cast.assigned_handler, permission=perm, content_object=shielded
        )
        CaseGroupPermission.objects.create(
            group=cast.team, permission=perm, content_object=shielded
        )
    for who in ("assigned_handler", "team_handler", "triage_lead"):
        CaseExclusion.objects.create(
            case=shielded,
            user=getattr(cast, who),
            kind=ExclusionKind.RECUSAL,
            created_at=timezone.now(),
        )
    return {
        "granted": cast.case.pk,
        "shielded": shielded.pk,
        "new": make_case(case_type=cast.case_type).pk,
        "moved": make_case(case_type=cast.case_type, state="acknowledged").pk,
        "elsewhere": make_case(case_type=make_case_type()).pk,
        "missing": uuid.uuid4(),
    }


def _orm(user, perm, case_id, *, locked=False):
    """The ORM's answer: the queryset the compiled read is compiled from, run as Django runs it."""
    if locked:
        today = timezone.localdate()
        read = access._locked_case_read(perm, user_id=user.pk, case_id=case_id, today=today)
        return read.first()
    return case_queryset_for_user(user, perm, only=case_id).select_related(*access._WITH).first()


def _compiled(user, perm, case_id, *, locked=False):
    read = access._LOCKED_CASE if locked else access._ONE_CASE
    return access._case_read(read, user, perm, case_id)


def _fields(case):
    """Everything the read put on the case: its columns, its type's, category's and unit's,
    and the roles the locked read brings."""
    if case is None:
        return None

    def columns(obj):
        return obj and {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}

    related = {name: columns(getattr(case, name)) for name in access._WITH}
    return columns(case), related, getattr(case, "actor_roles", "absent")


@pytest.mark.parametrize("perm", list(CasePerm))
@pytest.mark.parametrize("name", CASES)
def test_the_compiled_reads_answer_as_the_orm_and_the_rules_for_everyone(cast, cases, perm, name):
    case_id = cases[name]
    expected = EXPECTED[perm].get(name, set())
    for who in PEOPLE:
        user = getattr(cast, who)
        found = _compiled(user, perm, case_id)
        assert _fields(found) == _fields(_orm(user, perm, case_id)), who
        assert (found is not None) == (who in expected), who
        assert user_has_case_perm(user, Case(pk=case_id), perm) == (who in expected), who
        with transaction.atomic():
            locked = _compiled(user, perm, case_id, locked=True)
            assert _fields(locked) == _fields(_orm(user, perm, case_id, locked=True)), who
        assert (locked is not None) == (who in expected), who


def test_a_grant_past_its_end_date_is_refused_by_a_read_compiled_before_it(cast):
    """The day is a value of each call, never compiled in: the investigator's grant ends in 30
    days; the same compiled reads refuse it the day after."""
    ends = timezone.localdate() + dt.timedelta(days=30)
    noon = dt.time(12, tzinfo=timezone.get_current_timezone())
    investigator = cast.external_investigator
    for day, holds in ((ends, True), (ends + dt.timedelta(days=1), False)):
        with time_machine.travel(dt.datetime.combine(day, noon), tick=False):
            assert (_compiled(investigator, CasePerm.VIEW, cast.case.pk) is not None) == holds
            assert user_has_case_perm(investigator, cast.case, CasePerm.WORK) == holds
            with transaction.atomic():
                locked = _compiled(investigator, CasePerm.WORK, cast.case.pk, locked=True)
            assert (locked is not None) == holds
            orm = _orm(investigator, CasePerm.VIEW, cast.case.pk)
            assert (orm is not None) == holds


def test_disabled_and_signed_out_users_are_refused_without_a_query(cast):
    handler = cast.assigned_handler
    handler.is_active = False
    for user in (handler, AnonymousUser()):
        with CaptureQueriesContext(connection) as captured:
            assert _compiled(user, CasePerm.VIEW, cast.case.pk) is None
            assert not user_has_case_perm(user, cast.case, CasePerm.VIEW)
            with transaction.atomic():
                assert _compiled(user, CasePerm.WORK, cast.case.pk, locked=True) is None
        assert [q["sql"] for q in captured if "cases_case" in q["sql"]] == []
    with pytest.raises(CaseNotFound):
        case_for_user(handler, cast.case.pk)


@pytest.mark.parametrize("locked", [False, True])
def test_the_compiled_read_sends_the_statement_the_orm_would(cast, locked):
    for who in ("assigned_handler", "triage_lead", "unassigned_handler"):
        user = getattr(cast, who)
        with CaptureQueriesContext(connection) as compiled, transaction.atomic():
            _compiled(user, CasePerm.VIEW, cast.case.pk, locked=locked)
        with CaptureQueriesContext(connection) as orm, transaction.atomic():
            _orm(user, CasePerm.VIEW, cast.case.pk, locked=locked)
        statements = [
            [q["sql"] for q in run if "cases_case" in q["sql"]] for run in (compiled, orm)
        ]
        assert statements[0] == statements[1], who
        assert len(statements[0]) == 1, who
        if locked and connection.vendor == "postgresql":
            assert statements[0][0].endswith('FOR UPDATE OF "cases_case"'), who


def test_a_form_compiled_for_one_permission_is_never_used_for_another(cast):
    """Compiled fresh, in an order that would leak if the permission were not part of the
    compiled form's key: the triage lead's view first (rule 5 in the SQL), then their work;
    the handler's work first, then the investigator's contact details; the existence form
    first, then the case itself."""
    for read in (access._ONE_CASE, access._LOCKED_CASE):
        read.clear()
    lead, case = cast.triage_lead, cast.case
    assert case_for_user(lead, case.pk, audit=False) == case
    assert not user_has_case_perm(lead, case, CasePerm.WORK)
    with pytest.raises(CaseNotFound):
        case_for_user(lead, case.pk, CasePerm.WORK)
    with pytest.raises(CaseNotFound), case_locked_for_user(lead, case.pk, action="step"):
        pytest.fail("the lead does not work the case")
    for read in (access._ONE_CASE, access._LOCKED_CASE):
        read.clear()
    assert user_has_case_perm(cast.assigned_handler, case, CasePerm.WORK)
    assert case_for_user(cast.assigned_handler, case.pk, CasePerm.WORK, audit=False) == case
    with case_locked_for_user(cast.assigned_handler, case.pk, action="step") as locked:
        assert locked == case
    investigator = cast.external_investigator
    assert not user_has_case_perm(investigator, case, CasePerm.VIEW_CONTACT)
    with pytest.raises(CaseNotFound):
        case_for_user(investigator, case.pk, CasePerm.VIEW_CONTACT)
    with (
        pytest.raises(CaseNotFound),
        case_locked_for_user(investigator, case.pk, CasePerm.VIEW_CONTACT, action="step"),
    ):
        pytest.fail("the investigator never holds the contact details")
    assert case_for_user(investigator, case.pk, audit=False).case_type == cast.case_type


# --- permissions/compiled.py refuses what it cannot compile safely ---------------------------

SLOTS = {
    "user_id": Slot(CaseExclusion._meta.get_field("user"), -1_912_837_465),
    "case_id": Slot(Case._meta.pk, uuid.UUID(int=7)),
    "today": Slot(Case._meta.get_field("received_on"), dt.date(1900, 1, 2)),
}
VALUES = {"user_id": 1, "case_id": uuid.uuid4(), "today": dt.date(2026, 1, 1)}


def _read(build):
    return CompiledRead(Case, lambda key, **values: build(**values), slots=SLOTS)


@pytest.mark.django_db
def test_a_read_that_leaves_out_a_value_is_not_compiled():
    def leaves_out_the_day(user_id, case_id, today):
        return Case.objects.filter(Q(pk=case_id) | Q(exclusions__user_id=user_id))

    with pytest.raises(NotCompiled, match="today is not among the parameters"):
        _read(leaves_out_the_day).first("key", **VALUES)


@pytest.mark.django_db
def test_a_read_with_a_value_written_into_its_sql_is_not_compiled():
    def writes_the_user(user_id, case_id, today):
        written = RawSQL(f"SELECT {user_id}", ())  # noqa: S611 (the point of the test)
        return Case.objects.filter(pk=case_id, received_on__gte=today, category_id=written)

    with pytest.raises(NotCompiled, match="user_id is written into the SQL"):
        _read(writes_the_user).exists("key", **VALUES)


@pytest.mark.django_db
def test_a_read_with_a_value_hidden_in_another_parameter_is_not_compiled():
    def hides_the_case(user_id, case_id, today):
        return Case.objects.filter(
            pk=case_id, received_on__gte=today, category_id=user_id, reference=f"R-{case_id}"
        )

    with pytest.raises(NotCompiled, match="case_id is in a parameter"):
        _read(hides_the_case).first("key", **VALUES)


@pytest.mark.django_db
def test_a_read_of_another_model_or_of_values_or_with_wrong_values_is_refused():
    def reads_exclusions(user_id, case_id, today):
        return CaseExclusion.objects.filter(case_id=case_id, user_id=user_id)

    with pytest.raises(NotCompiled, match="CaseExclusion"):
        _read(reads_exclusions).first("key", **VALUES)

    def reads_cases(user_id, case_id, today):
        return Case.objects.filter(pk=case_id, received_on__gte=today, category_id=user_id)

    with pytest.raises(NotCompiled, match="not of values"):
        _read(lambda **values: reads_cases(**values).values("pk")).first("key", **VALUES)

    read = _read(reads_cases)
    assert read.first("key", **VALUES) is None
    with pytest.raises(TypeError, match="values"):
        read.first("key", user_id=1, case_id=uuid.uuid4())
    with pytest.raises(TypeError, match="today must be a date, not datetime"):
        read.exists("key", **{**VALUES, "today": timezone.now()})
    with pytest.raises(TypeError, match="case_id must be a UUID, not str"):
        read.exists("key", **{**VALUES, "case_id": str(uuid.uuid4())})


@pytest.mark.django_db
def test_every_row_comes_back_as_the_orm_gives_it_in_its_order():
    case_type = make_case_type()
    made = [make_case(case_type=case_type) for _ in range(3)]

    def received_since(user_id, case_id, today):
        return (
            Case.objects.filter(received_on__gte=today, case_type__is_active=True)
            .exclude(pk=case_id)
            .exclude(category_id=user_id)
            .select_related("case_type")
            .order_by("-reference")
        )

    read = _read(received_since)
    since = min(case.received_on for case in made)
    values = {"user_id": -1, "case_id": made[1].pk, "today": since}
    with CaptureQueriesContext(connection) as captured:
        rows = read.all("key", **values)
        read.all("key", **values)
    orm = list(received_since(**values))
    assert [(c.pk, c.reference, c.case_type.name) for c in rows] == [
        (c.pk, c.reference, c.case_type.name) for c in orm
    ]
    assert {c.pk for c in rows} == {made[0].pk, made[2].pk}  # the one left out is not there
    assert len(captured) == 2  # one statement each, the type with the case
    later = {**values, "today": since + dt.timedelta(days=1)}
    assert read.all("key", **later) == []
