"""Who may do what with a case they already reach: one named answer per decision.

The gate (``permissions/access.py``) answers whether someone reaches a case at all. These
answer the finer questions a page or a service asks once a case is in hand: may this person
redact it, change a deadline, see how to contact the reporter, triage it, confirm an
exclusion or a change of access. Each predicate takes the user and what the question is
about, reads only what the answer needs (roles, a per-case grant, a team), writes nothing and
returns a bool.

Services call them and raise their domain error when one says no, so an API, an admin action
or a task calling the service is held to the same rule as a page. Views pass their answers
into templates, which show what the answers allow and decide nothing themselves (a test reads
every view and template for role checks). Rules about workflow steps need the workflow
registry, which this layer may not import: they live in ``workflows/predicates.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cases.page_scope import page_kept
from permissions.access import user_has_case_perm
from permissions.models import CaseExclusion, ChangeKind
from permissions.roles import CasePerm, Role, may_manage_access, roles_of
from permissions.selectors import people_for_appeal

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from cases.models import Case, CaseType
    from permissions.models import AccessChange


def _holds(user: User, case: Case, perm: CasePerm) -> bool:
    """The gate's answer (``user_has_case_perm``), asked once in a page scope: a case page's
    panels ask whether the viewer may work the case a dozen times (``cases.page_scope``)."""
    return page_kept(
        ("holds", user.pk, case.pk, perm), lambda: user_has_case_perm(user, case, perm)
    )


def _active(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def may_work(user: User, case: Case) -> bool:
    """Move the case, write to the reporter, add notes and actions, record what was done."""
    return _holds(user, case, CasePerm.WORK)


def may_see_contact(user: User, case: Case) -> bool:
    """See how to contact the reporter: handlers' grant carries it, investigators' never."""
    return _holds(user, case, CasePerm.VIEW_CONTACT)


def _handler_working(user: User, case: Case) -> bool:
    return Role.HANDLER in roles_of(user) and may_work(user, case)


def may_redact(user: User, case: Case) -> bool:
    """Write the redacted version external investigators read: a handler working the case
    (an investigator must not choose what they themselves are shown)."""
    return _handler_working(user, case)


def may_change_deadline(user: User, case: Case) -> bool:
    """Pause, resume or extend a statutory deadline: a handler working the case, because the
    organisation answers for the deadline, not an outside investigator."""
    return _handler_working(user, case)


def _investigator_only(user: User) -> bool:
    # Someone from outside the case's handling: an external investigator or an appeal
    # decision-maker (decision 0032), who is not also a handler.
    roles = roles_of(user)
    outside = {Role.EXTERNAL_INVESTIGATOR, Role.APPEAL_DECISION_MAKER}
    return bool(roles & outside) and Role.HANDLER not in roles


def sees_redacted_only(user: User) -> bool:
    """Shown the redacted version of a report (once there is one) instead of the reporter's
    words: an external investigator or an appeal decision-maker who is not also a handler."""
    return _investigator_only(user)


# --- Sharing with external investigators (docs/decisions/0024-investigator-sharing.md) -----


def sees_shared_only(user: User) -> bool:
    """Shown only the messages, notes and evidence files a handler shared (as their redacted
    copies, where given), besides the notes they wrote themselves: an external investigator
    or an appeal decision-maker who is not also a handler. Everyone else who reaches the case
    sees all of it."""
    return _investigator_only(user)


def may_share(user: User, case: Case) -> bool:
    """Choose what the case's external investigators see, and write its redacted copies: a
    handler working the case (an investigator must not choose what they themselves are
    shown)."""
    return _handler_working(user, case)


def may_steer(user: User, case: Case) -> bool:
    """Keep the organisation's record of the case: set its category, record a police
    referral, support offered, actions and a check-in dealt with. A handler working the case;
    an external investigator investigates and writes notes, and the handler answers for the
    rest."""
    return _handler_working(user, case)


def may_write_to_reporter(user: User, case: Case) -> bool:
    """Write to the reporter (they read it on the follow-up page): a handler working the
    case. An external investigator writes internal notes only; the reporter's replies are
    shared with them by the handler, so a conversation never bypasses the sharing."""
    return _handler_working(user, case)


def may_link(user: User, case: Case, other: Case) -> bool:
    """Link two cases, or remove their link: a handler working both (a link joins two
    records, so it is made by someone answerable for each; an external investigator takes
    the investigation's steps only, as with sharing and the category:
    docs/decisions/0033-linked-cases.md). Who *sees* a link is the gate's answer for both
    cases (``permissions.links``)."""
    return may_link_from(user, case) and may_work(user, other)


def may_link_from(user: User, case: Case) -> bool:
    """The half of ``may_link`` that ``case`` alone answers: a handler working it (the
    linked cases panel asks the other half, works the other case, in its query)."""
    return _handler_working(user, case)


def case_being_worked(case: Case) -> bool:
    """Whether anyone has taken a step of the case's workflow yet: from then on, the people on
    it stay (``permissions.services.case_unassign``)."""
    return case.events.filter(code="case.transitioned").exists()


def may_unassign(user: User, case: Case) -> bool:
    """Take someone off the case: whoever may assign on it, while nobody has taken a step."""
    return may_assign(user, case) and not case_being_worked(case)


def may_assign(user: User, case: Case) -> bool:
    """Assign, unassign and exclude people on the case, and see who is excluded: a member of
    the team that triages its case type who is not excluded from it. The same rule as
    ``access.case_for_triage``, answered for a case already in hand."""
    team_id = case.case_type.triage_team_id
    return (
        _active(user)
        and team_id is not None
        and user.groups.filter(pk=team_id).exists()
        and not CaseExclusion.objects.filter(case=case, user_id=user.pk).exists()
    )


# --- Appeals decided by an independent decision-maker (decision 0032) -------------------------


def may_hear_appeal(user: User, case: Case) -> bool:
    """Be given access to decide the case's appeal: an active appeal decision-maker who took
    no part in the case (``selectors.people_for_appeal``, the picker's list: no event of
    theirs, no grant of their own or of a team of theirs, no exclusion)."""
    return people_for_appeal(case).filter(pk=user.pk).exists()


def may_decide_appeal(user: User, case: Case) -> bool:
    """Take the step that decides the case's appeal: a live grant to decide it, which only an
    appeal decision-maker is given, for that appeal, until it is decided or its end date. It
    lets them do nothing else: not work the case, so no message, note, action or other step."""
    return _holds(user, case, CasePerm.DECIDE_APPEAL)


def may_confirm_exclusion(user: User, exclusion: CaseExclusion) -> bool:
    """Confirm a proposed exclusion: someone who may triage the case, other than the person
    who proposed it, while it waits for confirmation."""
    return (
        exclusion.confirmed_by_id is None
        and exclusion.proposed_by_id != user.pk
        and may_assign(user, exclusion.case)
    )


def access_change_refusal(user: User, change: AccessChange) -> tuple[str, str] | None:
    """Why ``user`` may not confirm ``change``: (audit reason, message safe to show), or
    ``None`` when they may. The two-person rule: an administrator other than the proposer,
    not the person the change is about, and not in the team it makes triage a case type."""
    if not may_manage_access(user):
        return "not_administrator", "Only an administrator can confirm a change of access."
    if change.proposed_by_id == user.pk:
        return "own_proposal", "A second administrator must confirm this change."
    if change.user_id == user.pk:
        return "own_access", "Someone else must confirm a change to your own access."
    if (
        change.kind == ChangeKind.TRIAGE_TEAM_SET
        and change.team_id is not None
        and user.groups.filter(pk=change.team_id).exists()
    ):
        return "own_team", "Someone outside that team must confirm it."
    return None


def may_confirm_access_change(user: User, change: AccessChange) -> bool:
    return access_change_refusal(user, change) is None


def may_see_operations(user: User) -> bool:
    """See the service's health page (database, cache, broker, scheduler, audit check):
    administrators, who run the service. The page shows no case and links to none."""
    return may_manage_access(user)


def may_see_reports(user: User) -> bool:
    """Open the trend reports and their downloads: governance leads and administrators. The
    reports show counts only, never a case; handlers and investigators work cases instead and
    are shown no report (a governance lead, for their part, reaches no case)."""
    return _active(user) and bool(roles_of(user) & {Role.GOVERNANCE_LEAD, Role.ADMINISTRATOR})


# --- Retention ------------------------------------------------------------------------------
# Retention's own records (policies, their changes, holds) live above this layer; these
# predicates take only what the answer needs.


def may_manage_retention(user: User) -> bool:
    """See and propose retention policies, the purge preview and the overdue holds:
    administrators (who never see case content there: the pages show references only)."""
    return may_manage_access(user)


def may_confirm_retention_change(user: User, *, proposed_by_id: int) -> bool:
    """Confirm a proposal that shortens a retention period (or sets a first one): an
    administrator other than the one who proposed it."""
    return may_manage_access(user) and proposed_by_id != user.pk


# --- Settings ---------------------------------------------------------------------------------


def may_configure(user: User) -> bool:
    """Open the settings pages and change what the organisation configures (case types,
    categories, units, deadlines, branding, support, campaigns): administrators, who see no
    case there. Being a superuser counts for nothing."""
    return may_manage_access(user)


def may_confirm_settings_change(user: User, *, proposed_by_id: int) -> bool:
    """Confirm a settings change that weakens protection: an administrator other than the
    one who proposed it."""
    return may_manage_access(user) and proposed_by_id != user.pk


def may_hold_cases(user: User) -> bool:
    """Place, review and lift legal holds: governance leads, who answer for litigation and
    inquiries and see no case content to do it (a hold names a case by its reference)."""
    return _active(user) and Role.GOVERNANCE_LEAD in roles_of(user)


# --- Confidential reporting (docs/decisions/0031-confidential-reporting.md) -----------------


def is_confidential_contact(user: User) -> bool:
    """Holds the confidential contact's role (active): shown the confidential reporters of
    every case type that offers confidential reporting, on a page of their own."""
    return _active(user) and Role.CONFIDENTIAL_CONTACT in roles_of(user)


def _contact_for(user: User, case: Case) -> bool:
    # An exclusion (conflict of interest) overrides the role, as it overrides every grant.
    return (
        is_confidential_contact(user)
        and not CaseExclusion.objects.filter(case=case, user_id=user.pk).exists()
    )


def may_see_identity(user: User, case: Case, *, shared: bool) -> bool:
    """See a confidential reporter's name and contact details: the confidential contact,
    always; once ``shared`` (the reporter agreed, or the contact revealed it), whoever may
    see how to contact the reporter (the handlers working the case). Never an external
    investigator or a triage lead by their role alone."""
    if _contact_for(user, case):
        return True
    return shared and may_see_contact(user, case)


def may_reveal_identity(user: User, case: Case, *, shared: bool) -> bool:
    """Reveal a confidential reporter's identity to those working the case, with a reason:
    the confidential contact, while it is not shared yet."""
    return not shared and _contact_for(user, case)


def may_record_on_behalf(user: User, case_type: CaseType) -> bool:
    """Record a report received by phone, in person or by post, and hand its token over: a
    member of the team that triages the case type (who would see the new case first anyway)."""
    team_id = case_type.triage_team_id
    return _active(user) and team_id is not None and user.groups.filter(pk=team_id).exists()
