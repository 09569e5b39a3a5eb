"""B3: an anonymous report sent through the real view (the report form's "Send", posted with
Django's test client, so every middleware runs and the token page is rendered), against raw
SQL inserting the same rows in one transaction.

The rows of a report without files or contact details: the used submission key, the case and
its history row, its data key, its chain's head and the ``case.created`` event, and the
acknowledgement deadline with its history row. The raw side makes each value with the same
primitives the application uses (a token and its digest, a data key wrapped under the master
key, the answers sealed under it, the event's link) and writes the rows in eight INSERTs; it
renders no page and validates no form, which the view does. No monitoring questions are
configured (the demonstration data has none), so no tallies are counted after the commit.

Every run posts a fresh form (its own submission key) with the throttles' counters cleared
(``prepare``, untimed). Before timing, one report each way must leave the same rows behind:
the same case columns, history, deadline and its history, an event chain that verifies, a
data key that opens the same answers, and the token the page showed opening the case.
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
import uuid
from functools import partial
from typing import Any

from django.apps import apps
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client

from bench.data import chain_problems, history_columns, prep_value
from bench.harness import Measurement, Side, compare
from bench.items import Context, Item
from cases.audit import case_chain, event_body, link_mac
from cases.keys import case_cipher, data_key_prepare
from cases.models import Case, CaseEvent, CaseType, Channel, DataKey
from cases.services import reporter_time
from cases.tokens import reference_generate, token_digest, token_generate, token_normalize
from intake.configuration import configuration
from intake.forms import ReportForm
from intake.models import SubmissionKey
from intake.services import submission_digest
from notifications.models import StaffNews
from permissions.access import case_for_reporter_token
from workflows.calendar import Period, add_period
from workflows.models import Clock
from workflows.spec import ClockKind

HistoricalCase = apps.get_model("cases", "HistoricalCase")
HistoricalClock = apps.get_model("workflows", "HistoricalClock")

MIN_ROUNDS = 21  # one report a run, a few milliseconds: more rounds for a steady median
_TOKEN = re.compile(rb'id="token">([0-9A-Z-]+)<')


@dataclasses.dataclass(frozen=True)
class Setting:
    case_type: CaseType
    form: dict[str, str]  # the report form's fields, as the check-your-answers page posts them
    answers: dict[str, str]  # what the case's answers hold, as the form makes them
    category_id: int | None
    org_unit_id: int | None


def _setting() -> Setting:
    case_type = (
        CaseType.objects.filter(workflow="whistleblowing", is_active=True).order_by("pk").first()
    )
    if case_type is None or not case_type.acknowledge_within_days:
        raise AssertionError("B3 needs an active whistleblowing case type with its deadline")
    form_data = {
        "what_happened": "Invoices are approved without the second signature they need.",
        "when": "last-month",
        "people_involved": "",
        "not_to_handle": "",
        "identity": "anonymous",
        "name": "",
        "contact": "",
    }
    form = ReportForm(form_data, case_type=case_type)
    for key, choices in (("category", form.categories), ("where", form.units)):
        if key in form.fields and choices:
            form_data[key] = next(iter(choices))
    form = ReportForm(form_data, case_type=case_type)
    if not form.is_valid():
        raise AssertionError(f"B3's report form is not valid: {form.errors}")
    category, unit = form.chosen_category(), form.chosen_unit()
    return Setting(
        case_type=case_type,
        form=form_data,
        answers=form.answers(),
        category_id=category.pk if category else None,
        org_unit_id=unit.pk if unit else None,
    )


# One test client for every run, as a server loads its middleware once: a new ``Client``
# builds its handler's middleware chain on its first request (about 0.3 ms a run, which the
# raw side never pays). Its cookies are cleared before each run instead.
_CLIENT = Client(SERVER_NAME="localhost")


def fresh_post(setting: Setting) -> tuple[Client, dict[str, str]]:
    """A browser with no cookie and a form of its own (untimed); the throttles' counters are
    cleared, as a fresh hour would leave them. Clearing the cache drops the configuration the
    reporter pages keep there too, which no report does: it is read back here, as the
    previous report left it (``intake/configuration.py``)."""
    cache.clear()
    configuration()
    _CLIENT.cookies.clear()
    return _CLIENT, {
        **setting.form,
        "submission_key": secrets.token_urlsafe(24),
    }


def through_view(setting: Setting, prepared: tuple[Client, dict[str, str]]) -> bytes:
    client, form = prepared
    answer = client.post(f"/report/{setting.case_type.slug}/send/", form)
    if answer.status_code != 200:
        raise AssertionError(f"B3's report was answered {answer.status_code}")
    return answer.content


def raw_report(setting: Setting, prepared: tuple[Client, dict[str, str]]) -> str:
    """The same rows in SQL written by hand, in one transaction; returns the token."""
    _client, form = prepared
    case_type = setting.case_type
    received = reporter_time()
    day = received.date()
    case_id = uuid.uuid4()
    token = token_generate()
    cipher, data_key = data_key_prepare(case_id=case_id)
    sealed = cipher.seal(
        json.dumps(setting.answers).encode(),
        model_label="cases.case",
        field="answers",
        row_id=case_id,
    )
    unit = "working_days" if case_type.deadlines_in_working_days else "days"
    due = add_period(day, Period(case_type.acknowledge_within_days or 0, unit))
    chain = case_chain(case_id)
    payload = {"case_type": case_type.slug}
    mac = link_mac(
        chain=chain,
        seq=1,
        prev="",
        body=event_body(code="case.created", actor_id=None, at=received, payload=payload),
    )
    cid = prep_value(Case, "id", case_id)
    stamp = connection.ops.adapt_datetimefield_value(received)
    on = connection.ops.adapt_datefield_value(day)
    case_columns = history_columns(Case, HistoricalCase)
    clock_columns = history_columns(Clock, HistoricalClock)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO intake_submissionkey (digest, used_on) VALUES (%s, %s)",
            [prep_value(SubmissionKey, "digest", submission_digest(form["submission_key"])), on],
        )
        cursor.execute(
            "INSERT INTO cases_case (id, reference, case_type_id, category_id, org_unit_id,"
            " state, received_on, reporter_named, outcome, checkin_answer, answers,"
            " token_digest, channel)"
            " VALUES (%s, %s, %s, %s, %s, 'received', %s, %s, '', '', %s, %s, %s)",
            [
                cid,
                reference_generate(),
                case_type.pk,
                setting.category_id,
                setting.org_unit_id,
                on,
                False,
                prep_value(Case, "answers", sealed),
                prep_value(Case, "token_digest", token_digest(token)),
                Channel.WEB,
            ],
        )
        cursor.execute(
            f"INSERT INTO cases_historicalcase ({case_columns}, history_date,"  # noqa: S608 (names from the models)
            " history_change_reason, history_type, history_user_id)"
            f" SELECT {case_columns}, %s, NULL, '+', NULL FROM cases_case WHERE id = %s",
            [stamp, cid],
        )
        cursor.execute(
            "INSERT INTO cases_datakey (case_id, master_key_id, wrapped) VALUES (%s, %s, %s)",
            [cid, data_key.master_key_id, prep_value(DataKey, "wrapped", data_key.wrapped)],
        )
        cursor.execute(
            "INSERT INTO cases_audithead (chain, seq, mac, purged_through, purged_mac,"
            " purged_seal) VALUES (%s, 1, %s, 0, '', '')",
            [chain, mac],
        )
        cursor.execute(
            "INSERT INTO cases_caseevent (case_id, code, actor_id, at, payload, seq, mac)"
            " VALUES (%s, 'case.created', NULL, %s, %s, 1, %s)",
            [cid, stamp, json.dumps(payload), mac],
        )
        cursor.execute(
            "INSERT INTO workflows_clock (case_id, kind, stage, working_days, started_on,"
            " due_on, stopped_on, met, missed_recorded, reason)"
            " VALUES (%s, %s, '', %s, %s, %s, NULL, NULL, %s, NULL)",
            [
                cid,
                ClockKind.ACKNOWLEDGE,
                unit == "working_days",
                on,
                connection.ops.adapt_datefield_value(due),
                False,
            ],
        )
        cursor.execute(
            f"INSERT INTO workflows_historicalclock ({clock_columns}, history_date,"  # noqa: S608 (names from the models)
            " history_change_reason, history_type, history_user_id)"
            f" SELECT {clock_columns}, %s, NULL, '+', NULL FROM workflows_clock"
            " WHERE case_id = %s",
            [stamp, cid],
        )
        cursor.execute(  # the news for the triage team's next round (decision 0009)
            "INSERT INTO notifications_staffnews (case_id, kind, since) VALUES (%s, %s, %s)",
            [cid, "new_report", on],
        )
    return token


def rows_of(case: Case) -> dict[str, Any]:
    """What a report left behind, in terms both sides must agree on."""
    columns = (
        "case_type_id",
        "category_id",
        "org_unit_id",
        "state",
        "received_on",
        "reporter_named",
        "outcome",
        "reporter_contact",
    )
    events = list(CaseEvent.objects.filter(case=case).order_by("seq"))
    opened = case_cipher(case.pk).open(
        bytes(case.answers), model_label="cases.case", field="answers", row_id=case.pk
    )
    return {
        "case": {name: getattr(case, name) for name in columns},
        "answers": json.loads(opened),
        "history": list(
            HistoricalCase.objects.filter(id=case.pk).values_list(
                "state", "history_type", "history_date", "history_user_id"
            )
        ),
        "clocks": list(
            Clock.objects.filter(case=case).values_list(
                "kind", "stage", "working_days", "started_on", "due_on", "stopped_on"
            )
        ),
        "clock history": list(
            HistoricalClock.objects.filter(case_id=case.pk).values_list(
                "kind", "history_type", "history_date"
            )
        ),
        "events": [(e.seq, e.code, e.actor_id, e.at, e.payload) for e in events],
        "staff news": list(StaffNews.objects.filter(case=case).values_list("kind", "since")),
        "chain problems": chain_problems(case.pk),
    }


def _same_rows(setting: Setting) -> None:
    """One report each way: the same rows; each token opens its case; the keys are used."""
    by_view = fresh_post(setting)
    page = through_view(setting, by_view)
    found = _TOKEN.search(page)
    if found is None:
        raise AssertionError("B3's token page shows no token")
    by_raw = fresh_post(setting)
    raw_token = raw_report(setting, by_raw)
    cases = [case_for_reporter_token(found.group(1).decode()), case_for_reporter_token(raw_token)]
    a, b = (rows_of(case) for case in cases)
    keys = SubmissionKey.objects.filter(
        digest__in=[submission_digest(p[1]["submission_key"]) for p in (by_view, by_raw)]
    ).count()
    if a != b or a["chain problems"] or keys != 2 or token_normalize(raw_token) is None:
        raise AssertionError(f"B3 sides disagree:\n view {a}\n raw  {b}\n keys {keys}")


def measure(context: Context, rounds: int) -> Measurement:
    setting = _setting()
    _same_rows(setting)
    fresh = partial(fresh_post, setting)
    return compare(
        item="B3",
        title=f"anonymous report through the view, token page included ({context.scale:,} cases)",
        target="≤3x",
        max_ratio=3.0,
        a=Side("view", partial(through_view, setting), fresh),
        b=Side("raw", partial(raw_report, setting), fresh),
        rounds=max(rounds, MIN_ROUNDS),
    )


ITEM = Item("B3", "anonymous submission", measure)
