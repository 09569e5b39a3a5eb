"""Two handlers press the same button at the same moment, on PostgreSQL: exactly one wins."""

import threading

import pytest
from django.db import connections

from cases.exceptions import InvalidTransition
from cases.models import Case, CaseEvent
from tests.builders import make_case, make_handler
from workflows.services import case_transition

pytestmark = [pytest.mark.postgres]


@pytest.mark.django_db(transaction=True)
def test_concurrent_transitions_let_exactly_one_through():
    case = make_case()
    handlers = [make_handler(case, f"handler-{n}") for n in range(4)]
    start = threading.Barrier(len(handlers))
    results: list[str] = []

    def press(handler):
        try:
            start.wait()
            case_transition(case=case, name="acknowledge", actor=handler, expected_state="received")
            results.append("moved")
        except InvalidTransition as error:
            results.append(error.message)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press, args=(h,)) for h in handlers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("moved") == 1
    assert all("moved on" in r for r in results if r != "moved")
    assert Case.objects.get(pk=case.pk).state == "acknowledged"
    assert CaseEvent.objects.filter(case=case, code="case.transitioned").count() == 1
    assert CaseEvent.objects.filter(case=case, code="case.transition_refused").count() == 3
