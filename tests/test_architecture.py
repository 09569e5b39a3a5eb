"""Only cases/ and permissions/ query cases directly; everything else goes through the gate
(permissions/access.py) or a service (STYLE.md point 3)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {"cases", "permissions", "tests"}


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
