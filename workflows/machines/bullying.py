"""Bullying, harassment and discrimination: one process from initial assessment through
informal resolution or mediation, or a formal investigation, to a decision and an appeal heard
by an independent decision-maker."""

from django.utils.translation import gettext_lazy as _

from workflows.spec import APPEAL_DECISION_MAKER, ClockKind, Need, State, Step, WorkflowSpec

REASON = frozenset({Need.REASON})
OUTCOME = frozenset({Need.OUTCOME})

WORKFLOW = WorkflowSpec(
    key="bullying",
    label=_("Bullying, harassment and discrimination"),
    model_name="BullyingCase",
    description=_(
        "A complaint of bullying, harassment or discrimination, from initial assessment to a "
        "decision and an appeal."
    ),
    states=(
        State("received", _("Received"), _("We have your report. Someone will look at it soon.")),
        State(
            "initial_assessment",
            _("Initial assessment"),
            _("We are looking at your report to decide what should happen next."),
        ),
        State(
            "informal_resolution",
            _("Informal resolution"),
            _("We are trying to resolve this informally."),
        ),
        State(
            "mediation",
            _("Mediation"),
            _("Mediation has been arranged between the people involved."),
        ),
        State(
            "formal_investigation",
            _("Formal investigation"),
            _("A formal investigation is under way."),
        ),
        State(
            "decision",
            _("Decision made"),
            _("A decision has been made. We will tell you what we can."),
        ),
        State("appeal", _("Under appeal"), _("An appeal is being considered.")),
        State("closed", _("Closed"), _("Your report is closed."), closed=True),
        State("withdrawn", _("Withdrawn"), _("Your report has been withdrawn."), closed=True),
    ),
    steps=(
        # Starting the assessment is the acknowledgement: the reporter has been heard.
        Step(
            "begin_initial_assessment",
            ("received",),
            "initial_assessment",
            _("Begin the initial assessment"),
            stops=(ClockKind.ACKNOWLEDGE,),
            starts=(ClockKind.FEEDBACK,),
        ),
        Step(
            "resolve_informally",
            ("initial_assessment",),
            "informal_resolution",
            _("Resolve informally"),
            stops=(ClockKind.FEEDBACK,),
        ),
        Step(
            "begin_mediation",
            ("initial_assessment",),
            "mediation",
            _("Begin mediation"),
            needs=frozenset({Need.CONSENT}),
        ),
        Step(
            "open_formal_investigation",
            ("initial_assessment", "informal_resolution", "mediation"),
            "formal_investigation",
            _("Open a formal investigation"),
        ),
        # The investigator investigates; the decision is someone else's (separation of roles).
        Step(
            "record_decision",
            ("formal_investigation",),
            "decision",
            _("Record the decision"),
            needs=OUTCOME,
            stops=(ClockKind.FEEDBACK,),
        ),
        Step("open_appeal", ("decision",), "appeal", _("Open an appeal"), needs=REASON),
        # Decided by someone from the pool of appeal decision-makers who took no part in the
        # case, given access for the appeal only (docs/decisions/0032).
        Step(
            "decide_appeal",
            ("appeal",),
            "closed",
            _("Decide the appeal"),
            roles=APPEAL_DECISION_MAKER,
            needs=OUTCOME,
            independent=True,
        ),
        Step(
            "close",
            ("informal_resolution", "mediation", "decision"),
            "closed",
            _("Close the case"),
        ),
        Step(
            "withdraw",
            ("received", "initial_assessment", "informal_resolution", "mediation"),
            "withdrawn",
            _("Withdraw the case"),
            needs=REASON,
            leaving=True,
        ),
    ),
)
