"""The access gate, rule by rule: who may obtain a case, and what a refusal leaves behind."""

import datetime as dt
import uuid

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser, Permission
from django.db import transaction
from django.utils import timezone

from cases.exceptions import CaseNotFound
from cases.models import CaseEvent
from permissions.access import (
    case_for_confidential_contact,
    case_for_triage,
    case_for_user,
    case_locked_for_user,
    case_queryset_for_user,
    cases_for_confidential_contact,
    record_refusal,
    refusals_flush,
    user_has_case_perm,
)
from permissions.models import AccessRefusal
from permissions.roles import CasePerm
from tests.builders import make_case
from tests.conftest import OUTSIDERS
from workflows.services import case_transition

SEE = ["assigned_handler", "external_investigator", "team_handler", "triage_lead"]


@pytest.mark.parametrize("who", SEE)
def test_people_with_a_grant_or_triage_duty_obtain_the_case(cast, who):
    assert case_for_user(getattr(cast, who), cast.case.pk) == cast.case


@pytest.mark.parametrize("who", OUTSIDERS)
def test_everyone_else_gets_not_found_and_a_recorded_refusal(cast, who):
    user = getattr(cast, who)
    with pytest.raises(CaseNotFound):
        case_for_user(user, cast.case.pk)
    refusal = AccessRefusal.objects.get(actor=user)
    assert (refusal.case_id, refusal.action) == (cast.case.pk, "view")
    assert not case_queryset_for_user(user).filter(pk=cast.case.pk).exists()


@pytest.mark.parametrize("case_id", [uuid.uuid4(), "not-a-uuid", "", None, "1' OR '1'='1", 42])
def test_missing_and_malformed_ids_get_the_same_not_found(cast, case_id):
    with pytest.raises(CaseNotFound) as raised:
        case_for_user(cast.assigned_handler, case_id)
    assert raised.value.message == CaseNotFound.message


def test_anonymous_and_disabled_users_get_nothing(cast):
    with pytest.raises(CaseNotFound):
        case_for_user(AnonymousUser(), cast.case.pk)
    assert AccessRefusal.objects.filter(actor=None).count() == 1
    assert not case_queryset_for_user(AnonymousUser()).exists()
    cast.assigned_handler.is_active = False
    cast.assigned_handler.save(update_fields=["is_active"])
    with pytest.raises(CaseNotFound):
        case_for_user(cast.assigned_handler, cast.case.pk)


def test_model_level_permissions_and_superuser_status_grant_nothing(cast):
    user = cast.unassigned_handler
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="cases"))
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    with pytest.raises(CaseNotFound):
        case_for_user(user, cast.case.pk)


def test_triage_leads_see_only_new_cases_of_their_case_types(cast):
    lead = cast.triage_lead
    other_type_case = make_case()
    with pytest.raises(CaseNotFound):
        case_for_user(lead, other_type_case.pk)
    case_transition(case=cast.case, name="acknowledge", actor=cast.assigned_handler)
    with pytest.raises(CaseNotFound):
        case_for_user(lead, cast.case.pk)
    # ...but may still manage its assignments, which shows no content.
    assert case_for_triage(lead, cast.case.pk, action="assign") == cast.case


def test_only_the_triage_team_manages_assignments(cast):
    for who in ("assigned_handler", "other_triage_lead", "conflicted_handler", "superuser"):
        with pytest.raises(CaseNotFound):
            case_for_triage(getattr(cast, who), cast.case.pk, action="assign")
    with pytest.raises(CaseNotFound):
        case_for_triage(cast.triage_lead, "nonsense", action="assign")
    with pytest.raises(CaseNotFound):
        case_for_triage(AnonymousUser(), cast.case.pk, action="assign")


def test_an_investigators_access_ends_on_its_date(cast):
    ends = timezone.localdate() + dt.timedelta(days=30)
    noon = dt.time(12, tzinfo=timezone.get_current_timezone())
    with time_machine.travel(dt.datetime.combine(ends, noon), tick=False):
        assert case_for_user(cast.external_investigator, cast.case.pk, audit=False)
    with (
        time_machine.travel(dt.datetime.combine(ends + dt.timedelta(days=1), noon), tick=False),
        pytest.raises(CaseNotFound),
    ):
        case_for_user(cast.external_investigator, cast.case.pk)


@pytest.mark.parametrize("who", ["assigned_handler", "team_handler", "triage_lead"])
def test_an_exclusion_overrides_each_rule_in_a_list_and_for_one_case(cast, who):
    """Rule 6 against rules 3, 4 and 5 (a user grant, a team grant, triage duty), with a user
    grant written behind the services' back as well: recording an exclusion deletes the
    person's grants, but the gate does not rely on that."""
    from permissions.models import CaseExclusion, CaseUserPermission, ExclusionKind

    user = getattr(cast, who)
    view = Permission.objects.get(codename="view_case", content_type__app_label="cases")
    other = make_case(case_type=cast.case_type)  # not excluded: still listed
    CaseUserPermission.objects.create(user=user, permission=view, content_object=other)
    assert set(case_queryset_for_user(user)) == {cast.case, other}
    CaseExclusion.objects.create(
        case=cast.case, user=user, kind=ExclusionKind.RECUSAL, created_at=timezone.now()
    )
    CaseUserPermission.objects.get_or_create(user=user, permission=view, content_object=cast.case)
    assert list(case_queryset_for_user(user)) == [other]
    with pytest.raises(CaseNotFound):
        case_for_user(user, cast.case.pk)


def test_a_list_leaves_out_a_grant_after_its_end_date(cast):
    ends = timezone.localdate() + dt.timedelta(days=30)
    noon = dt.time(12, tzinfo=timezone.get_current_timezone())
    with time_machine.travel(dt.datetime.combine(ends, noon), tick=False):
        assert list(case_queryset_for_user(cast.external_investigator)) == [cast.case]
    with time_machine.travel(dt.datetime.combine(ends + dt.timedelta(days=1), noon), tick=False):
        assert list(case_queryset_for_user(cast.external_investigator)) == []


def test_a_triage_leads_list_holds_the_new_cases_of_their_types_to_view_only(cast):
    lead = cast.triage_lead
    newer = make_case(case_type=cast.case_type)
    make_case()  # another case type's: never theirs
    assert set(case_queryset_for_user(lead)) == {cast.case, newer}
    assert list(case_queryset_for_user(lead, CasePerm.WORK)) == []
    case_transition(case=cast.case, name="acknowledge", actor=cast.assigned_handler)
    assert list(case_queryset_for_user(lead)) == [newer]


@pytest.mark.parametrize("perm", list(CasePerm))
def test_the_gates_count_is_the_lists_for_everyone(cast, perm):
    """``case_count_for_user`` counts the rules' sets without reading the cases; it must give
    the list's number for every person in the cast: a grant, a team's, a grant and a team's
    on the same case, triage duty, an exclusion, an end date, nothing."""
    from permissions.access import case_count_for_user
    from permissions.services import case_assign

    case_assign(case=cast.case, assignee=cast.team_handler, actor=cast.triage_lead)  # twice
    make_case(case_type=cast.case_type)  # a new case the triage lead sees
    expected = {
        CasePerm.VIEW: {"assigned_handler": 1, "external_investigator": 1, "team_handler": 1,
                        "triage_lead": 2},
        CasePerm.WORK: {"assigned_handler": 1, "external_investigator": 1, "team_handler": 1},
        CasePerm.VIEW_CONTACT: {"assigned_handler": 1, "team_handler": 1},
        CasePerm.DECIDE_APPEAL: {},  # nobody in the cast decides an appeal
    }[perm]  # fmt: skip
    for who in [*SEE, *OUTSIDERS]:
        user = getattr(cast, who)
        counted = case_count_for_user(user, perm)
        assert counted == case_queryset_for_user(user, perm).count() == expected.get(who, 0), who
    assert case_count_for_user(AnonymousUser()) == 0
    cast.assigned_handler.is_active = False
    assert case_count_for_user(cast.assigned_handler) == 0


def test_the_ids_of_the_gates_list_are_its_rules_sets_and_a_narrowed_list_its_own(cast):
    """``case_ids_of`` answers for the gate's list itself from the rules' sets, without the
    cases; for anything made from it (narrowed, ordered), with that queryset's own ids, never
    the whole list's."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from permissions.access import case_ids_of

    def ids(rows) -> set[object]:
        return {next(iter(row.values())) for row in rows}

    make_case(case_type=cast.case_type)  # a second new case the triage lead sees
    for who in ("assigned_handler", "team_handler", "triage_lead"):
        seen = case_queryset_for_user(getattr(cast, who))
        with CaptureQueriesContext(connection) as captured:
            listed = ids(case_ids_of(seen))
        assert listed == set(seen.values_list("pk", flat=True)), who
        # The handler's and the team handler's come from the grants alone.
        reads_cases = '"cases_case"' in captured.captured_queries[0]["sql"]
        assert reads_cases == (who == "triage_lead"), who  # triage duty is a set of cases
    lead = case_queryset_for_user(cast.triage_lead)
    assert ids(case_ids_of(lead.filter(pk=cast.case.pk))) == {cast.case.pk}
    assert ids(case_ids_of(lead.order_by("reference"))) == set(lead.values_list("pk", flat=True))
    assert ids(case_ids_of(case_queryset_for_user(AnonymousUser()))) == set()


def test_investigators_never_hold_the_reporters_contact_details(cast):
    assert user_has_case_perm(cast.assigned_handler, cast.case, CasePerm.VIEW_CONTACT)
    assert not user_has_case_perm(cast.external_investigator, cast.case, CasePerm.VIEW_CONTACT)
    assert not user_has_case_perm(cast.triage_lead, cast.case, CasePerm.VIEW_CONTACT)


def test_triage_leads_cannot_work_a_case_they_only_triage(cast):
    with pytest.raises(CaseNotFound):
        case_for_user(cast.triage_lead, cast.case.pk, CasePerm.WORK)
    assert case_for_user(cast.assigned_handler, cast.case.pk, CasePerm.WORK, audit=False)


def test_each_view_adds_exactly_one_event_with_no_content(cast):
    before = CaseEvent.objects.filter(case=cast.case, code="case.viewed").count()
    case_for_user(cast.assigned_handler, cast.case.pk, action="download")
    events = CaseEvent.objects.filter(case=cast.case, code="case.viewed")
    assert events.count() == before + 1
    event = events.latest("id")
    assert (event.actor, event.payload) == (cast.assigned_handler, {"view": "download"})
    case_for_user(cast.assigned_handler, cast.case.pk, audit=False)
    assert events.count() == before + 1


def test_a_case_granted_twice_is_listed_once(cast):
    # The team handler also gets a direct grant: EXISTS, not JOIN, so no duplicate rows.
    from permissions.services import case_assign

    case_assign(case=cast.case, assignee=cast.team_handler, actor=cast.triage_lead)
    assert list(case_queryset_for_user(cast.team_handler)) == [cast.case]


@pytest.mark.django_db(transaction=True)
def test_a_refusal_inside_a_failed_transaction_is_still_recorded(cast):
    from permissions.access import refusals_begin

    token = refusals_begin()
    with pytest.raises(CaseNotFound), transaction.atomic():
        case_for_user(cast.unassigned_handler, cast.case.pk, action="download")
    assert refusals_flush(token) == 1
    assert AccessRefusal.objects.filter(actor=cast.unassigned_handler, action="download").exists()


def test_refusals_the_database_will_not_take_are_logged_and_the_rest_written(
    cast, monkeypatch, caplog
):
    """Over HTTP the answer then stays "not found" (tests/staff/test_pages.py)."""
    import logging

    from django.db import OperationalError

    from cases.audit import chain_append as real
    from permissions.access import refusals_begin

    calls = []

    def first_fails(**kwargs):
        calls.append(kwargs["chain"])
        if len(calls) == 1:
            raise OperationalError("the database is full")
        return real(**kwargs)

    monkeypatch.setattr("permissions.access.chain_append", first_fails)
    token = refusals_begin()
    for action in ("view", "download"):
        with pytest.raises(CaseNotFound):
            case_for_user(cast.unassigned_handler, cast.case.pk, action=action)
    with caplog.at_level(logging.ERROR, logger="speakup.access"):
        assert refusals_flush(token) == 1  # the second written, the first logged
    assert list(AccessRefusal.objects.values_list("action", flat=True)) == ["download"]
    (logged,) = [r.getMessage() for r in caplog.records if r.name == "speakup.access"]
    assert f"case_id={cast.case.pk} action=view" in logged


@pytest.mark.parametrize("who", ["assigned_handler", "external_investigator", "team_handler"])
def test_those_who_work_a_case_obtain_it_locked_in_one_read(cast, who, django_assert_num_queries):
    # SAVEPOINT, the case with its type (and category and unit), RELEASE: nothing more, even
    # when the block reads the type.
    with (
        django_assert_num_queries(3),
        case_locked_for_user(getattr(cast, who), cast.case.pk, action="transition") as case,
    ):
        assert transaction.get_connection().in_atomic_block
        assert (case, case.case_type) == (cast.case, cast.case_type)


@pytest.mark.parametrize("who", [*OUTSIDERS, "triage_lead"])
def test_those_who_may_not_work_a_case_get_not_found_instead_of_the_lock(cast, who):
    user = getattr(cast, who)
    with pytest.raises(CaseNotFound), case_locked_for_user(user, cast.case.pk, action="step"):
        pytest.fail("the block runs only for a case the user works")
    refusal = AccessRefusal.objects.get(actor=user)
    assert (refusal.case_id, refusal.action) == (cast.case.pk, "step")


def test_a_malformed_id_gets_not_found_instead_of_the_lock(cast):
    with (
        pytest.raises(CaseNotFound),
        case_locked_for_user(cast.assigned_handler, "not-a-uuid", action="step"),
    ):
        pytest.fail("nothing to lock")
    assert AccessRefusal.objects.get(actor=cast.assigned_handler).case_id is None


@pytest.mark.django_db(transaction=True)
def test_a_refused_lock_is_recorded_after_its_transaction_so_it_survives(cast):
    with (
        pytest.raises(CaseNotFound),
        case_locked_for_user(cast.unassigned_handler, cast.case.pk, action="step"),
    ):
        pytest.fail("the block runs only for a case the user works")
    assert AccessRefusal.objects.filter(actor=cast.unassigned_handler, action="step").count() == 1


def test_a_follow_up_session_finds_its_case_and_nothing_else(cast):
    from permissions.access import case_for_follow_up

    assert case_for_follow_up(cast.case.pk) == cast.case
    with pytest.raises(CaseNotFound):
        case_for_follow_up(uuid.uuid4())


def test_a_refusal_by_rule_is_the_same_not_found_and_is_recorded(cast):
    from permissions.access import case_refuse

    with pytest.raises(CaseNotFound):
        case_refuse(cast.external_investigator, str(cast.case.pk), "category")
    with pytest.raises(CaseNotFound):
        case_refuse(cast.external_investigator, "not-an-id", "category")
    refusals = AccessRefusal.objects.filter(actor=cast.external_investigator, action="category")
    assert sorted(map(str, refusals.values_list("case_id", flat=True))) == sorted(
        [str(cast.case.pk), "None"]
    )


def test_a_refusal_outside_a_request_is_written_at_once(cast):
    record_refusal(cast.unassigned_handler, None, "shell")
    assert AccessRefusal.objects.filter(action="shell").count() == 1


def test_refusals_are_append_only_like_events(cast):
    from cases.exceptions import AuditRecordImmutable

    record_refusal(cast.unassigned_handler, cast.case.pk, "view")
    refusal = AccessRefusal.objects.get()
    refusal.action = "edit"
    with pytest.raises(AuditRecordImmutable):
        refusal.save()
    with pytest.raises(AuditRecordImmutable):
        refusal.delete()
    with pytest.raises(AuditRecordImmutable):
        AccessRefusal.objects.filter(pk=refusal.pk).update(action="edit")
    with pytest.raises(AuditRecordImmutable):
        AccessRefusal.objects.filter(pk=refusal.pk).delete()
    with pytest.raises(AuditRecordImmutable):
        AccessRefusal.objects.bulk_update([refusal], ["action"])
    assert AccessRefusal.objects.get().action == "view"


@pytest.mark.slow  # transactional: the whole database is emptied after it
@pytest.mark.django_db(transaction=True)
def test_refused_requests_through_http_become_links_of_the_refusals_chain(cast, sign_in, client):
    from cases.audit import audit_verify
    from cases.models import AuditHead

    sign_in(cast.unassigned_handler)
    for path in ("", "history/", "no-such-page/"):
        assert client.get(f"/staff/cases/{cast.case.pk}/{path}").status_code == 404
    refusals = AccessRefusal.objects.order_by("id").values_list("seq", "actor", "case_id", "action")
    assert list(refusals) == [
        (1, cast.unassigned_handler.pk, cast.case.pk, "view"),
        (2, cast.unassigned_handler.pk, cast.case.pk, "history"),
    ]
    assert AuditHead.objects.get(chain="refusals").seq == 2
    assert audit_verify().problems == []


def test_asked_about_one_case_each_rule_reads_that_cases_rows_only(cast):
    """The single-case gate narrows every rule's set to the case asked for, so its cost does
    not grow with the cases a person holds; and it answers exactly as the list does."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    others = [make_case(case_type=cast.case_type) for _ in range(2)]
    for who in ("assigned_handler", "triage_lead", "unassigned_handler"):
        user = getattr(cast, who)
        listed = set(case_queryset_for_user(user).values_list("pk", flat=True))
        for case in [cast.case, *others]:
            one = case_queryset_for_user(user, only=case.pk)
            assert one.exists() == (case.pk in listed), (who, case.reference)
    with CaptureQueriesContext(connection) as captured:
        case_for_user(cast.assigned_handler, cast.case.pk, audit=False)
    (sql,) = [q["sql"] for q in captured if "cases_case" in q["sql"]]
    # The outer filter, the user's grants, the team's grants and the exclusions.
    assert sql.count(cast.case.pk.hex) == 4


# --- The confidential contact (docs/decisions/0031-confidential-reporting.md) ---------------


@pytest.fixture
def confidential(cast, django_user_model):
    """A confidential report on the cast's case type, its contact, and another contact who is
    excluded from it (named by the reporter)."""
    from django.contrib.auth.models import Group

    from cases.services import Confidential
    from permissions.models import ExclusionKind
    from permissions.roles import Role
    from permissions.services import exclusion_add

    cast.case_type.reporting_levels = "all"
    cast.case_type.save(update_fields=["reporting_levels"])
    case = make_case(case_type=cast.case_type, confidential=Confidential(name="Ann Other"))
    group = Group.objects.get(name=Role.CONFIDENTIAL_CONTACT)
    contact = django_user_model.objects.create_user(username="guardian", password="x-long-pw-1")
    excluded = django_user_model.objects.create_user(username="guardian-2", password="x-long-pw")
    for user in (contact, excluded):
        user.groups.add(group)
    exclusion_add(
        case=case, user=excluded, kind=ExclusionKind.NAMED_BY_REPORTER, actor=cast.triage_lead
    )
    return type("Confidential", (), {"case": case, "contact": contact, "excluded": excluded})


def test_the_confidential_contact_lists_and_obtains_only_confidential_reports(cast, confidential):
    contact, case = confidential.contact, confidential.case
    assert list(cases_for_confidential_contact(contact)) == [case]  # not the cast's own case
    before = CaseEvent.objects.filter(case=case).count()
    assert case_for_confidential_contact(contact, str(case.pk), action="identity") == case
    looked = CaseEvent.objects.filter(case=case).order_by("id").last()
    assert (looked.code, looked.actor, looked.payload) == ("case.identity_viewed", contact, {})
    assert case_for_confidential_contact(contact, case.pk, action="x", audit=False) == case
    assert CaseEvent.objects.filter(case=case).count() == before + 1
    with pytest.raises(CaseNotFound):
        case_for_confidential_contact(contact, cast.case.pk, action="identity")  # not confidential


@pytest.mark.parametrize("who", [*OUTSIDERS, "assigned_handler", "triage_lead", "excluded"])
def test_everyone_but_the_confidential_contact_gets_the_recorded_not_found(cast, confidential, who):
    user = getattr(confidential, who, None) or getattr(cast, who)
    case = confidential.case
    assert not cases_for_confidential_contact(user).exists()
    with pytest.raises(CaseNotFound):
        case_for_confidential_contact(user, case.pk, action="identity")
    refusal = AccessRefusal.objects.order_by("id").last()
    assert (refusal.actor, refusal.case_id, refusal.action) == (user, case.pk, "identity")


def test_a_disabled_or_signed_out_contact_and_a_malformed_id_get_not_found(cast, confidential):
    with pytest.raises(CaseNotFound):
        case_for_confidential_contact(confidential.contact, "not-an-id", action="identity")
    confidential.contact.is_active = False
    for user in (confidential.contact, AnonymousUser()):
        assert not cases_for_confidential_contact(user).exists()
        with pytest.raises(CaseNotFound):
            case_for_confidential_contact(user, confidential.case.pk, action="identity")
