"""Bring existing clocks in line with the rules the workflows now keep:

- every case still at its first state has its acknowledgement clock, started the day it was
  received (before, the clock was made the first time someone opened the case);
- no closed case has a running clock (before, only some steps stopped them): each is stopped
  on the day the case closed, met if that was on or before its due day.

No audit event is written for these corrections: they restate what the record already shows
(the day received, the day closed).
"""

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    from workflows import registry
    from workflows.calendar import Period, add_period

    Case = apps.get_model("cases", "Case")
    Clock = apps.get_model("workflows", "Clock")
    alias = schema_editor.connection.alias
    closed = {spec.key: spec.closed_states for spec in registry.specs()}
    initial = {spec.key: spec.initial for spec in registry.specs()}

    waiting = Case.objects.using(alias).select_related("case_type").exclude(clocks__kind="acknowledge")
    for case in waiting.iterator():
        case_type = case.case_type
        if case.state != initial.get(case_type.workflow) or not case_type.acknowledge_within_days:
            continue
        working = case_type.deadlines_in_working_days
        unit = "working_days" if working else "days"
        Clock.objects.using(alias).create(
            case=case,
            kind="acknowledge",
            stage="",
            working_days=working,
            started_on=case.received_on,
            due_on=add_period(case.received_on, Period(case_type.acknowledge_within_days, unit)),
        )

    running = Clock.objects.using(alias).select_related("case__case_type").filter(stopped_on__isnull=True)
    for clock in running.iterator():
        case = clock.case
        if case.state in closed.get(case.case_type.workflow, ()):
            clock.stopped_on = case.closed_on or timezone.localdate()
            clock.met = clock.stopped_on <= clock.due_on
            clock.save(update_fields=["stopped_on", "met"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_feedback_in_months_stage_calendars"),
        ("workflows", "0003_reasons_bound_to_their_row"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
