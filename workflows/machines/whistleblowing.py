"""Whistleblowing under EU Directive 2019/1937: acknowledge receipt within 7 days, give
feedback within 3 months of acknowledging (the lengths are case type data)."""

from django.utils.translation import gettext_lazy as _

from workflows.spec import HANDLER_OR_INVESTIGATOR, ClockKind, Need, State, Step, WorkflowSpec

REASON = frozenset({Need.REASON})

WORKFLOW = WorkflowSpec(
    key="whistleblowing",
    label=_("Whistleblowing"),
    model_name="WhistleblowingCase",
    description=_(
        "A concern about wrongdoing in the public interest, handled under the EU "
        "whistleblowing directive's time limits."
    ),
    states=(
        State("received", _("Received"), _("We have your report. Someone will look at it soon.")),
        State(
            "acknowledged",
            _("Acknowledged"),
            _("We have confirmed we received your report and will assess it."),
        ),
        State(
            "assessment", _("Being assessed"), _("We are deciding how to deal with your report.")
        ),
        State("investigation", _("Under investigation"), _("Your report is being investigated.")),
        State(
            "outcome",
            _("Outcome reached"),
            _("The investigation has reached an outcome. We will tell you what we can."),
        ),
        State("closed", _("Closed"), _("Your report is closed."), closed=True),
        State(
            "not_in_scope",
            _("Not in scope"),
            _("Your report is not something this process can deal with. Check the messages below."),
            closed=True,
        ),
        State(
            "referred",
            _("Referred to an external authority"),
            _("Your report has been passed to an outside body that can deal with it."),
            closed=True,
        ),
        State("withdrawn", _("Withdrawn"), _("Your report has been withdrawn."), closed=True),
    ),
    steps=(
        Step(
            "acknowledge",
            ("received",),
            "acknowledged",
            _("Acknowledge receipt"),
            stops=(ClockKind.ACKNOWLEDGE,),
            starts=(ClockKind.FEEDBACK,),
        ),
        Step("begin_assessment", ("acknowledged",), "assessment", _("Begin the assessment")),
        Step("open_investigation", ("assessment",), "investigation", _("Open an investigation")),
        Step(
            "record_outcome",
            ("assessment", "investigation"),
            "outcome",
            _("Record the outcome"),
            roles=HANDLER_OR_INVESTIGATOR,
            needs=frozenset({Need.OUTCOME}),
            stops=(ClockKind.FEEDBACK,),
        ),
        Step("close", ("outcome",), "closed", _("Close the case")),
        Step(
            "mark_not_in_scope",
            ("received", "acknowledged", "assessment"),
            "not_in_scope",
            _("Mark as not in scope"),
            needs=REASON,
            leaving=True,
        ),
        Step(
            "refer_externally",
            ("acknowledged", "assessment", "investigation"),
            "referred",
            _("Refer to an external authority"),
            needs=REASON,
            leaving=True,
        ),
        Step(
            "withdraw",
            ("received", "acknowledged", "assessment", "investigation"),
            "withdrawn",
            _("Withdraw the case"),
            needs=REASON,
            leaving=True,
        ),
        Step(
            "reopen",
            ("closed", "not_in_scope", "referred", "withdrawn"),
            "assessment",
            _("Reopen the case"),
            needs=REASON,
        ),
    ),
)
