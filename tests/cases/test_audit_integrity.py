"""The database itself keeps the audit record append-only: on SQLite its triggers (INSERT OR
REPLACE included), on PostgreSQL the application's role (no UPDATE, DELETE or TRUNCATE, owns
nothing) and, for the owner, triggers that refuse all three."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction

from cases.checks import application_role_cannot_rewrite_audit
from cases.dbroles import connected_as_owner
from cases.models import AuditHead, CaseEvent
from permissions.access import record_refusal
from permissions.models import AccessRefusal
from tests.builders import make_case
from tests.cases.conftest import owner_cursor, with_owner


def _refused(cursor, sql: str, params=(), match: str = "append-only") -> None:
    with pytest.raises(DatabaseError, match=match), transaction.atomic(using=cursor.db.alias):
        cursor.execute(sql, list(params))


@pytest.fixture
def rows(scene, staff_user):
    record_refusal(staff_user, None, "view")
    record_refusal(staff_user, None, "download")
    return scene, list(AccessRefusal.objects.order_by("seq").values_list("id", flat=True))


# --- SQLite: the triggers are the guard ---------------------------------------------------

REPLACE_STATEMENTS = [
    # The same id: REPLACE would delete the event and write another in its place.
    "INSERT OR REPLACE INTO cases_caseevent (id, case_id, code, actor_id, at, payload, seq, mac)"
    " SELECT id, case_id, 'case.recused', actor_id, at, payload, seq, mac"
    " FROM cases_caseevent WHERE id = %s",
    "REPLACE INTO cases_caseevent (id, case_id, code, actor_id, at, payload, seq, mac)"
    " SELECT id, case_id, 'case.recused', actor_id, at, payload, seq, mac"
    " FROM cases_caseevent WHERE id = %s",
    # A new id in the same place of the same chain: REPLACE would delete the one there.
    "INSERT OR REPLACE INTO cases_caseevent (case_id, code, actor_id, at, payload, seq, mac)"
    " SELECT case_id, 'case.recused', actor_id, at, payload, seq, mac"
    " FROM cases_caseevent WHERE id = %s",
    "UPDATE OR REPLACE cases_caseevent SET code = 'case.recused' WHERE id = %s",
    "INSERT INTO cases_caseevent (id, case_id, code, actor_id, at, payload, seq, mac)"
    " SELECT id, case_id, code, actor_id, at, payload, seq, mac FROM cases_caseevent"
    " WHERE id = %s ON CONFLICT (id) DO UPDATE SET code = 'case.recused'",
    "DELETE FROM cases_caseevent WHERE id = %s",
]
REFUSAL_REPLACE_STATEMENTS = [
    "INSERT OR REPLACE INTO permissions_accessrefusal (id, actor_id, case_id, action, at, seq, mac)"
    " SELECT id, actor_id, case_id, 'edit', at, seq, mac FROM permissions_accessrefusal"
    " WHERE id = %s",
    "INSERT OR REPLACE INTO permissions_accessrefusal (actor_id, case_id, action, at, seq, mac)"
    " SELECT actor_id, case_id, 'edit', at, seq, mac FROM permissions_accessrefusal"
    " WHERE id = %s",
    "UPDATE permissions_accessrefusal SET action = 'edit' WHERE id = %s",
    "DELETE FROM permissions_accessrefusal WHERE id = %s",
]


@pytest.mark.django_db
@pytest.mark.parametrize("statement", REPLACE_STATEMENTS)
def test_sqlite_refuses_every_way_of_rewriting_an_event(rows, statement):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's own statements")
    scene, _ = rows
    before = list(CaseEvent.objects.order_by("id").values_list("id", "code", "seq", "mac"))
    with connection.cursor() as cursor:
        _refused(cursor, statement, [scene.events[1]])
    assert list(CaseEvent.objects.order_by("id").values_list("id", "code", "seq", "mac")) == before


@pytest.mark.django_db
@pytest.mark.parametrize("statement", REFUSAL_REPLACE_STATEMENTS)
def test_sqlite_refuses_every_way_of_rewriting_a_refusal(rows, statement):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's own statements")
    _, refusals = rows
    before = list(AccessRefusal.objects.order_by("id").values_list("id", "action", "seq"))
    with connection.cursor() as cursor:
        _refused(cursor, statement, [refusals[0]])
    assert list(AccessRefusal.objects.order_by("id").values_list("id", "action", "seq")) == before


# Commits, then flushes every table and reruns the post-migrate work: about 0.6 s of CPU, and
# only the SQLite pass can run it, so it has a budget of its own instead of moving to pass 2.
@pytest.mark.cpu_budget(1.0)
@pytest.mark.django_db
def test_sqlite_flush_empties_the_audit_tables_and_leaves_their_guards_in_place(rows):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's flush")
    call_command("flush", interactive=False, verbosity=0)
    assert not CaseEvent.objects.exists() and not AccessRefusal.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        assert {name for (name,) in cursor.fetchall()} >= {
            "cases_caseevent_no_update",
            "cases_caseevent_no_delete",
            "cases_caseevent_no_replace",
            "permissions_accessrefusal_no_update",
            "permissions_accessrefusal_no_delete",
            "permissions_accessrefusal_no_replace",
        }
        make_case()
        _refused(cursor, "DELETE FROM cases_caseevent")


# --- PostgreSQL: the application's role, and the owner's triggers ----------------------------

APP_REFUSED = "permission denied|must be owner"


@pytest.mark.postgres
@pytest.mark.usefixtures("two_roles")
@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE cases_caseevent SET code = 'case.recused' WHERE id = %s",
        "DELETE FROM cases_caseevent WHERE id = %s",
        "TRUNCATE cases_caseevent",
        "ALTER TABLE cases_caseevent DISABLE TRIGGER USER",
        "DROP TRIGGER cases_caseevent_no_update ON cases_caseevent",
        "DROP TABLE cases_caseevent",
        "UPDATE permissions_accessrefusal SET action = 'edit' WHERE id = %s",
        "DELETE FROM permissions_accessrefusal WHERE id = %s",
        "TRUNCATE permissions_accessrefusal",
        "ALTER TABLE permissions_accessrefusal DISABLE TRIGGER USER",
        "UPDATE cases_auditverification SET ok = true",
        "UPDATE permissions_staffevent SET code = 'x'",
        "DELETE FROM permissions_staffevent",
        "TRUNCATE permissions_staffevent",
        "DELETE FROM cases_audithead",
        "DELETE FROM django_migrations",
    ],
)
def test_the_application_role_cannot_change_or_remove_audit_rows(rows, statement):
    scene, refusals = rows
    params = [refusals[0] if "accessrefusal" in statement else scene.events[1]]
    params = params if "%s" in statement else []
    with connection.cursor() as cursor:
        _refused(cursor, statement, params, match=APP_REFUSED)
    assert CaseEvent.objects.filter(pk=scene.events[1], code="case.viewed").exists()
    assert AccessRefusal.objects.filter(pk=refusals[0], action="view").exists()


@pytest.mark.postgres
@pytest.mark.usefixtures("two_roles")
@pytest.mark.django_db
def test_the_application_role_may_add_and_read_audit_rows_and_move_heads(scene, staff_user):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_user = %s", [_owner_name()])
        user, is_owner = cursor.fetchone()
    assert user.endswith("_app") and not is_owner
    record_refusal(staff_user, scene.case.pk, "view")
    assert AuditHead.objects.get(chain="refusals").seq == 1


def _owner_name() -> str:
    return str(connections["owner"].settings_dict["USER"])


@pytest.mark.postgres
@with_owner
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE cases_caseevent SET code = 'case.recused' WHERE id = %s",
        "DELETE FROM cases_caseevent WHERE id = %s",
        "TRUNCATE cases_caseevent",
        "UPDATE permissions_accessrefusal SET action = 'edit' WHERE id = %s",
        "DELETE FROM permissions_accessrefusal WHERE id = %s",
        "TRUNCATE permissions_accessrefusal",
    ],
)
def test_the_owners_triggers_refuse_changes_too(rows, statement):
    scene, refusals = rows
    params = [refusals[0] if "accessrefusal" in statement else scene.events[1]]
    with owner_cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == _owner_name()
        _refused(cursor, statement, params if "%s" in statement else [])
    assert CaseEvent.objects.filter(pk=scene.events[1], code="case.viewed").exists()
    assert AccessRefusal.objects.filter(pk=refusals[0], action="view").exists()


@pytest.mark.postgres
@with_owner
def test_a_hand_made_grant_on_the_audit_tables_does_not_survive_the_next_migrate(rows):
    app = connection.settings_dict["USER"]
    with owner_cursor() as cursor:
        cursor.execute(f'GRANT ALL ON cases_caseevent, permissions_accessrefusal TO "{app}"')
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT has_table_privilege('cases_caseevent', 'UPDATE')")
            assert cursor.fetchone()[0] is True
    finally:
        call_command("migrate", database="owner", verbosity=0)  # grants again afterwards
    with connection.cursor() as cursor:
        _refused(cursor, "TRUNCATE cases_caseevent", match=APP_REFUSED)


@pytest.mark.postgres
@with_owner
def test_the_owners_flush_empties_the_audit_tables_and_enables_their_triggers_again(rows):
    call_command("flush", interactive=False, verbosity=0)
    assert not CaseEvent.objects.exists() and not AccessRefusal.objects.exists()
    with owner_cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN "
            "('cases_caseevent'::regclass, 'permissions_accessrefusal'::regclass)"
        )
        triggers = dict(cursor.fetchall())
        _refused(cursor, "TRUNCATE cases_caseevent")
    assert triggers == {
        "cases_caseevent_no_update": "O",
        "cases_caseevent_no_delete": "O",
        "cases_caseevent_no_truncate": "O",
        "permissions_accessrefusal_no_update": "O",
        "permissions_accessrefusal_no_delete": "O",
        "permissions_accessrefusal_no_truncate": "O",
    }


@pytest.mark.postgres
@pytest.mark.usefixtures("two_roles")
@pytest.mark.django_db
def test_production_refuses_to_start_connected_as_the_owner(settings):
    settings.DEV = False
    assert application_role_cannot_rewrite_audit(databases=["default"]) == []
    with connected_as_owner():
        errors = application_role_cannot_rewrite_audit(databases=["default"])
    assert [e.id for e in errors] == ["cases.E002"]
    assert "cases_caseevent" in errors[0].msg and "permissions_accessrefusal" in errors[0].msg
    settings.DEV = True
    with connected_as_owner():
        assert application_role_cannot_rewrite_audit(databases=["default"]) == []
