"""A report for trend mapping only: read, counted and closed, never investigated. The
reporter is told so before they send it."""

from django.utils.translation import gettext_lazy as _

from workflows.spec import ClockKind, State, Step, WorkflowSpec

WORKFLOW = WorkflowSpec(
    key="trend_only",
    label=_("Report for trends only"),
    model_name="TrendOnlyCase",
    description=_("A report counted for trends; no investigation follows."),
    investigates=False,
    states=(
        State("received", _("Received"), _("We have your report. Someone will look at it soon.")),
        State(
            "reviewed",
            _("Reviewed"),
            _("Your report has been read and counted. It will help us see patterns."),
        ),
        State("closed", _("Closed"), _("Your report is closed."), closed=True),
    ),
    steps=(
        Step(
            "review",
            ("received",),
            "reviewed",
            _("Mark as reviewed"),
            stops=(ClockKind.ACKNOWLEDGE, ClockKind.FEEDBACK),
        ),
        Step("close", ("reviewed",), "closed", _("Close the case")),
    ),
)
