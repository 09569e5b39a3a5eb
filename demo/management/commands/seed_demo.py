"""Demo data for development: case types, categories, units, staff of each role, and cases.

Idempotent: configuration is created or left as it is, and cases are added only up to the
target per case type, so running it twice changes nothing. Everything goes through the
services, so demo cases are encrypted, tokenised and audited like real ones. Refuses to run
outside development mode: demo logins must never reach production.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from cases.models import (
    DEFAULT_OUTCOMES,
    Case,
    CaseLink,
    CaseType,
    Category,
    LinkKind,
    MessageKind,
    OrganisationalUnit,
    OutcomeCode,
    ReportingLevel,
    ReportingLevels,
)
from cases.outcomes import outcomes_offered
from cases.selectors import case_count
from cases.services import Confidential, identity_consent, message_add
from intake.models import Branding, SupportResource
from permissions.access import case_queryset_for_user
from permissions.links import case_link
from permissions.roles import CasePerm, Role, roles_of
from permissions.services import case_assign, role_grant, roles_ensure, team_join
from retention.models import RetentionPolicy
from retention.services import policy_seed
from workflows import registry
from workflows.services import (
    case_file,
    case_record_redaction,
    case_record_share,
    case_transition,
)
from workflows.spec import Need

DEMO_PASSWORD = "speak-up-demo-2026"  # noqa: S105  (development only; the command refuses otherwise)
# Every staff role signs in with a TOTP code; demo accounts share this secret, so a developer
# can add it to an authenticator app or print today's code with `manage.py demo_totp`.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105

CASE_TYPES: list[dict[str, Any]] = [
    {
        "slug": "whistleblowing",
        "name": "Whistleblowing",
        "description": "Wrongdoing in the public interest: fraud, danger to health and safety, "
        "damage to the environment, a breach of the law, or a cover-up of any of these.",
        "workflow": "whistleblowing",
        # All three levels: the demo's confidential contact ("guardian") sees the names given
        # in confidence (docs/decisions/0031-confidential-reporting.md).
        "reporting_levels": ReportingLevels.ALL,
        "acknowledge_within_days": 7,
        "feedback_within_months": 3,
        "retention_days": 5 * 365,
        "token_days": 2 * 365,
        "position": 1,
        "categories": [
            ("fraud", "Fraud, bribery or corruption"),
            ("health-safety", "Danger to health and safety"),
            ("environment", "Damage to the environment"),
            ("data-protection", "Misuse of personal data"),
            ("other-wrongdoing", "Other wrongdoing"),
        ],
    },
    {
        "slug": "bullying-harassment",
        "name": "Bullying, harassment or discrimination",
        "description": "Behaviour towards you or someone else that is offensive, intimidating, "
        "or unfair because of who they are.",
        "workflow": "bullying",
        "reporting_levels": ReportingLevels.ALL,
        "acknowledge_within_days": 5,
        "feedback_within_days": 60,
        "deadlines_in_working_days": True,
        "stage_limits": {
            "initial_assessment": {"days": 10, "working": True},
            "formal_investigation": {"days": 60, "working": True},
            "appeal": {"days": 20, "working": True},
        },
        "retention_days": 3 * 365,
        "token_days": 365,
        "position": 2,
        "categories": [
            ("bullying", "Bullying"),
            ("harassment", "Harassment"),
            ("sexual-harassment", "Sexual harassment"),
            ("discrimination", "Discrimination"),
            ("victimisation", "Victimisation"),
        ],
    },
    {
        "slug": "trends",
        "name": "Report for trends only",
        "description": "Tell us what happened so that we can see patterns and offer support "
        "where it is needed. Nobody will investigate or contact you.",
        "workflow": "trend_only",
        "reporting_levels": ReportingLevels.ANONYMOUS,
        "retention_days": 365,
        "token_days": 180,
        "position": 3,
        "categories": [
            ("bullying", "Bullying"),
            ("harassment", "Harassment"),
            ("discrimination", "Discrimination"),
            ("incivility", "Incivility"),
        ],
    },
]

UNITS = [
    ("corporate-services", "Corporate Services"),
    ("digital", "Digital and Technology"),
    ("finance", "Finance"),
    ("operations-north", "Operations (North)"),
    ("operations-south", "Operations (South)"),
    ("policy", "Policy"),
]

ROLES = [
    ("triage", Role.TRIAGE_LEAD),
    ("handler", Role.HANDLER),
    ("investigator", Role.EXTERNAL_INVESTIGATOR),
    ("governance", Role.GOVERNANCE_LEAD),
    ("admin", Role.ADMINISTRATOR),
    # A second administrator: role and team changes need two (the access page).
    ("admin2", Role.ADMINISTRATOR),
    # The confidential contact (a Freedom to Speak Up Guardian): sees who the confidential
    # reporters are, and nothing of their reports.
    ("guardian", Role.CONFIDENTIAL_CONTACT),
    # From the pool of appeal decision-makers: decides an appeal the triage team gives them,
    # on a case they took no part in, and sees nothing else (decision 0032).
    ("adjudicator", Role.APPEAL_DECISION_MAKER),
]
# The names demo reporters give in confidence (made up).
CONFIDENTIAL_NAMES = ["Sam Carter", "Priya Shah", "Owen Hughes", "Ffion Evans", "Tom Becker"]

SUPPORT = [
    (
        "Employee assistance programme",
        "Free, confidential counselling and advice, 24 hours a day.",
        "0800 000 0000",
        [],
    ),
    (
        "Bullying and harassment advisers",
        "Trained colleagues who can listen and explain your options. They are not part of any "
        "investigation.",
        "",
        ["bullying", "harassment", "sexual-harassment", "incivility"],
    ),
    (
        "Equality networks",
        "Staff networks for people who have faced discrimination.",
        "",
        ["discrimination", "victimisation"],
    ),
    (
        "Counter-fraud team",
        "Can advise on what counts as fraud and how evidence should be kept.",
        "",
        ["fraud"],
    ),
]

WHAT_HAPPENED = [
    "In a team meeting my line manager shouted at me and called my work useless.",
    "Invoices from one supplier are being approved without the usual checks.",
    "A colleague keeps making comments about my religion in front of others.",
    "The fire exit on the second floor has been blocked by boxes for weeks.",
    "I was left out of training that everyone else in my grade was offered.",
    "Someone shared customer records with a friend outside the organisation.",
    "A senior colleague sends messages late at night that make me uncomfortable.",
]
WHEN = [
    "This month",
    "Last month",
    "2 to 6 months ago",
    "6 to 12 months ago",
    "More than a year ago",
]
# Every kind of report has the usual outcomes (as migration cases/0020 gave the kinds that
# existed); the complaints procedure adds its own (decision 0032): (code, label, substantiated).
OUTCOMES_ADDED = {
    "bullying-harassment": [
        ("censure_with_consent", "Upheld: censure with consent", True),
        ("upheld_sanction", "Upheld: sanction applied", True),
    ]
}
# Ways out of a workflow other than its main path; demo cases take them now and then.
TARGET_PER_TYPE = {"whistleblowing": 120, "bullying-harassment": 140, "trends": 60}


class Command(BaseCommand):
    help = "Create demo configuration, staff and cases (development only; idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--scale", type=float, default=1.0, help="Multiply the number of demo cases."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEV:
            raise CommandError("seed_demo only runs in development mode (SPEAKUP_DEV=true).")
        rng = random.Random(options["seed"])  # noqa: S311  (demo data, not security)
        with transaction.atomic():
            users = self._staff()
            case_types = self._configuration(triage_lead=users["triage"])
        created = 0
        for case_type in case_types:
            target = round(TARGET_PER_TYPE[case_type.slug] * options["scale"])
            missing = target - case_count(case_type=case_type)
            for _ in range(max(missing, 0)):
                self._demo_case(case_type, rng, users)
                created += 1
        self._demo_links(users)
        self.stdout.write(f"Demo data ready: {created} cases added, {case_count()} in all.")
        self.stdout.write(f"Demo staff logins (password {DEMO_PASSWORD!r}):")
        for username, role in ROLES:
            self.stdout.write(f"  {username:<13} {role.value}")
        self.stdout.write(
            "Two-factor codes: run `.venv/bin/python manage.py demo_totp`, or add the secret "
            f"{DEMO_TOTP_SECRET} to an authenticator app."
        )

    def _configuration(self, triage_lead: Any) -> list[CaseType]:
        case_types = []
        for spec in CASE_TYPES:
            fields = {
                k: v
                for k, v in spec.items()
                if k not in ("slug", "categories", "retention_days", "token_days")
            }
            team, _ = Group.objects.get_or_create(name=f"{spec['name']}: triage")
            if not triage_lead.groups.filter(pk=team.pk).exists():
                team_join(user=triage_lead, team=team, actor=None)
            fields["triage_team"] = team
            case_type, _ = CaseType.objects.get_or_create(slug=spec["slug"], defaults=fields)
            if case_type.reporting_levels != spec["reporting_levels"]:
                # A demo database made before confidential reporting (cases/0017 gave its
                # types "anonymous or named"): offer the demo's levels.
                case_type.reporting_levels = spec["reporting_levels"]
                case_type.save(update_fields=["reporting_levels"])
            if not RetentionPolicy.objects.filter(case_type=case_type).exists():
                policy_seed(
                    case_type=case_type,
                    content_days=spec["retention_days"],
                    token_days=spec["token_days"],
                )
            for slug, name in spec["categories"]:
                Category.objects.get_or_create(
                    case_type=case_type, slug=slug, defaults={"name": name}
                )
            outcomes = [*DEFAULT_OUTCOMES, *OUTCOMES_ADDED.get(spec["slug"], [])]
            for position, (code, label, substantiated) in enumerate(outcomes, start=1):
                OutcomeCode.objects.get_or_create(
                    case_type=case_type,
                    code=code,
                    defaults={"label": label, "substantiated": substantiated, "position": position},
                )
            case_types.append(case_type)
        for slug, name in UNITS:
            OrganisationalUnit.objects.get_or_create(slug=slug, defaults={"name": name})
        if not Branding.objects.exists():
            Branding.objects.create(
                organisation_name="Demo Department",
                welcome="If something at work is wrong, you can tell us here, safely.",
            )
        for title, description, phone, slugs in SUPPORT:
            resource, created = SupportResource.objects.get_or_create(
                title=title, defaults={"description": description, "phone": phone}
            )
            if created and slugs:
                resource.categories.set(Category.objects.filter(slug__in=slugs))
        return case_types

    def _staff(self) -> dict[str, Any]:
        user_model = get_user_model()
        users = {}
        for username, role in ROLES:
            user, created = user_model.objects.get_or_create(username=username)
            if created:
                user.set_password(DEMO_PASSWORD)
                # An address at a reserved example domain: in development e-mails are files
                # in .local/mail/, so reminders and notifications can be seen there.
                user.email = f"{username}@example.org"
                user.save(update_fields=["password", "email"])
                TOTP.activate(user, DEMO_TOTP_SECRET)
            # Through the one service that gives roles (audited), as the operator would.
            if role not in roles_of(user):
                role_grant(user=user, role=role, actor=None)
            users[username] = user
        # The Administrator role's configuration permissions come from roles_ensure (run
        # after every migration); nobody is given anything else.
        roles_ensure()
        return users

    def _demo_links(self, users: dict[str, Any]) -> None:
        """Two pairs of the demo handler's cases linked as repeat reports (decision 0033), the
        first time only: through the checked service, as the handler would on the page."""
        handler = users["handler"]
        if CaseLink.objects.exists():
            return
        worked = list(case_queryset_for_user(handler, CasePerm.WORK).order_by("reference")[:4])
        pairs = [
            (LinkKind.SAME_PERSON, "The same manager is named in both reports."),
            (LinkKind.SAME_TEAM, "Both reports are about the night shift."),
        ]
        for (case, other), (kind, note) in zip(
            zip(worked[::2], worked[1::2], strict=False), pairs, strict=False
        ):
            case_link(case=case, reference=other.reference, kind=kind, note=note, actor=handler)

    def _demo_case(self, case_type: CaseType, rng: random.Random, users: dict[str, Any]) -> None:
        handler = users["handler"]
        categories = list(case_type.categories.all())
        units = list(OrganisationalUnit.objects.all())
        received = timezone.localdate() - dt.timedelta(days=rng.randint(0, 540))
        level = rng.random()
        named = case_type.allows(ReportingLevel.NAMED) and level < 0.15
        confidential = None
        if not named and case_type.allows(ReportingLevel.CONFIDENTIAL) and level < 0.3:
            confidential = Confidential(
                name=rng.choice(CONFIDENTIAL_NAMES),
                contact="demo.confidential@example.invalid" if level < 0.22 else "",
            )
        answers = {
            "what_happened": rng.choice(WHAT_HAPPENED),
            "when": rng.choice(WHEN),
            "people_involved": "",
        }
        case, _token = case_file(
            case_type=case_type,
            answers=answers,
            category=rng.choice(categories),
            org_unit=rng.choice(units),
            reporter_named=named,
            reporter_contact="demo.reporter@example.invalid" if named else "",
            received_on=received,
            confidential=confidential,
        )
        if confidential is not None and rng.random() < 0.3:
            identity_consent(case=case)  # the reporter agreed to share it
        # Most cases are assigned to the demo handler, a few also to the investigator.
        assigned = rng.random() < 0.7
        investigated = False
        if assigned:
            case_assign(case=case, assignee=handler, actor=users["triage"])
            investigated = rng.random() < 0.2
            if investigated:
                case_assign(
                    case=case,
                    assignee=users["investigator"],
                    actor=users["triage"],
                    expires_on=timezone.localdate() + dt.timedelta(days=90),
                )
                # An investigator reads only the version a handler prepared (decision 0024).
                case_record_redaction(case=case, actor=handler, answers=answers)
        # Walk a random path through the workflow; older cases tend to be further along.
        spec = registry.spec_of(case_type.workflow)
        steps = rng.randint(0, 6) if received < timezone.localdate() - dt.timedelta(days=14) else 1
        moved: Case = case
        outcomes = [code for code, _ in outcomes_offered(case_type.pk)]
        for _ in range(steps):
            # Never back out of a closed state: a reopened demo case only adds noise.
            if moved.state in spec.closed_states:
                break
            choices = spec.steps_from(moved.state)
            forward = [step for step in choices if not step.leaving]
            if not choices:
                break
            pick = rng.choice(forward if forward and rng.random() < 0.9 else choices)
            moved = case_transition(
                case=moved,
                name=pick.name,
                # Unassigned cases and steps only someone independent may take move as the system.
                actor=handler if assigned and not pick.independent else None,
                outcome=rng.choice(outcomes) if Need.OUTCOME in pick.needs else "",
                consent=Need.CONSENT in pick.needs,
                reason="Recorded for the demonstration." if Need.REASON in pick.needs else "",
            )
        if moved.state != spec.initial and spec.investigates:
            message_add(
                case=moved,
                kind=MessageKind.TO_REPORTER,
                body="Thank you for raising this. We have your report and will be in touch.",
                author=handler,
            )
            if rng.random() < 0.4:
                reply = message_add(
                    case=moved,
                    kind=MessageKind.FROM_REPORTER,
                    body="Thank you. I can add more detail if that would help.",
                )
                # The investigator sees only what a handler shares (decision 0024).
                if investigated:
                    case_record_share(case=moved, actor=handler, message=reply)
