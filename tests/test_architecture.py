"""Only cases/ and permissions/ query cases directly; everything else goes through the gate
(permissions/access.py) or a service (STYLE.md point 3)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# bench/ makes and counts rows for the benchmarks: no user reaches it.
ALLOWED = {"cases", "permissions", "tests", "bench"}
# Single files elsewhere that may, and why.
MAY_QUERY_CASES = {
    Path("reports/aggregates.py"): (
        "counts grouped in SQL for trend reports: no case is shown, so the gate does not "
        "apply, and every count passes through reports/disclosure.py (decision 0022)"
    ),
}


def _our_python_files():
    """Every Python file of the project (not the virtualenv or run-time data), git's view."""
    import subprocess

    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ROOT / name for name in listed if (ROOT / name).exists()]


CASE_MODELS = r"(?:Case|WhistleblowingCase|BullyingCase|TrendOnlyCase|WorkflowCase|model)"
DIRECT = re.compile(rf"\b{CASE_MODELS}\.(?:objects|_default_manager|_base_manager)\b")


def test_no_code_outside_cases_and_permissions_queries_cases_directly():
    offenders = []
    for path in _our_python_files():
        top = path.relative_to(ROOT).parts[0]
        if top in ALLOWED or "migrations" in path.parts:
            continue
        if path.relative_to(ROOT) in MAY_QUERY_CASES:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if DIRECT.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_rule_would_catch_a_direct_query():
    assert DIRECT.search("cases = Case.objects.filter(state='received')")
    assert DIRECT.search("model.objects.select_for_update()")
    assert not DIRECT.search("CaseType.objects.all()")


FILED_ONLY_BY = {Path("workflows/services.py")}
CASE_CREATE = re.compile(r"\bcase_create\(")


def test_cases_are_filed_through_their_workflow_so_their_clocks_start():
    """``cases.services.case_create`` makes the row; ``workflows.services.case_file`` also
    starts the workflow's clocks. Everything else files through the latter."""
    offenders = []
    for path in _our_python_files():
        relative = path.relative_to(ROOT)
        if relative in FILED_ONLY_BY:
            continue
        if relative == Path("cases/services.py"):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if CASE_CREATE.search(line) and "def case_create" not in line:
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []


# --- No view or template decides a permission (permissions/predicates.py) -------------------
#
# Who may do what is answered by a named predicate (permissions/predicates.py,
# workflows/predicates.py) that the services call too; the interfaces only pass the answers
# on. So their code never reads roles, teams or Django's own flags, never asks for a per-case
# permission itself, and never calls the writes below the gate.
INTERFACES = ("staff", "intake")
DECIDES = re.compile(
    r"\broles_of\(|\bRole\.[A-Z]|\.groups\.|\bgroups__|\bis_superuser\b|\bis_staff\b"
    r"|\buser_has_case_perm\(|\.has_perm\("
    # The unchecked writes of cases/services.py: interfaces call workflows/services.py's.
    r"|\b(?:case_redact|case_categorise|action_add|action_complete|item_share|item_unshare"
    # ...and the link's (decision 0033): interfaces call permissions/links.py's.
    r"|link_add|link_remove)\b"
)
# Files of the interfaces that may name these, and why.
MAY_NAME_ROLES = {
    Path("staff/admin.py"): "lists a person's roles as text in the administration site",
    Path("staff/admin_site.py"): "explains that is_staff and is_superuser count for nothing",
    Path("staff/management/commands/create_administrator.py"): (
        "the operator's command at the shell: finds whether an administrator exists"
    ),
}
# In a template, an {% if %} that reads the signed-in user (beyond whether they are signed in),
# roles, teams or permissions, or compares who proposed something with who is looking.
IF_TAG = re.compile(r"\{%-?\s*(?:el)?if\b[^%]*%\}")
DECIDES_IN_TEMPLATE = re.compile(
    r"\b(?:request\.)?user\.(?!is_authenticated\b)\w+"
    r"|\b(?:Role|roles|groups|perms|is_superuser|is_staff)\b|\w_by_id\b|\buser_id\b"
)


def _interface_templates():
    for app in INTERFACES:
        yield from sorted((ROOT / app / "templates").rglob("*.html"))


def test_no_view_or_template_decides_a_permission():
    offenders = []
    for path in _our_python_files():
        relative = path.relative_to(ROOT)
        if relative.parts[0] not in INTERFACES or relative in MAY_NAME_ROLES:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if DECIDES.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    for path in _interface_templates():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for tag in IF_TAG.findall(line):
                if DECIDES_IN_TEMPLATE.search(tag):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {tag}")
    assert offenders == []


def test_the_permission_rule_would_catch_a_view_or_template_deciding():
    for planted in (
        "if Role.HANDLER not in roles_of(user):",
        "can_triage = user.groups.filter(pk=team_id).exists()",
        "if request.user.is_superuser:",
        "show = user_has_case_perm(user, case, CasePerm.VIEW_CONTACT)",
        "case_redact(case=case, actor=user, answers=answers)",
        "item_share(case=case, actor=user, message=message)",
        "link_add(case=case, other=other, kind=kind, note=note, actor=user)",
    ):
        assert DECIDES.search(planted), planted
    for allowed in (
        "case = case_for_user(user, case_id, CasePerm.WORK, action='record', audit=False)",
        "'redaction': ... if may_redact(user, case) else None,",
        "case_record_redaction(case=case, actor=user, answers=form.answers())",
        "case_link(case=case, reference=reference, kind=kind, note=note, actor=user)",
    ):
        assert not DECIDES.search(allowed), allowed
    for planted in (
        "{% if exclusion.proposed_by_id != user.pk %}",
        "{% elif not mine and change.user_id != request.user.pk %}",
        "{% if 'Handler' in roles %}",
        "{% if user.is_superuser %}",
        "{% if perms.cases.change_case %}",
    ):
        assert DECIDES_IN_TEMPLATE.search(IF_TAG.findall(planted)[0]), planted
    for allowed in (
        "{% if may_confirm %}",
        "{% if user.is_authenticated %}",
        "{% if menu_links.access %}",
        "{% if change.role %}",
    ):
        assert not DECIDES_IN_TEMPLATE.search(IF_TAG.findall(allowed)[0]), allowed
