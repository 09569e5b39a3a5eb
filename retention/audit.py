"""Retention's audit codes: case events for holds and purges (``cases.audit``), staff events
for policy changes and purge runs (``permissions.audit``). Identifiers and numbers only.

Imported by ``RetentionConfig.ready`` so the codes exist before anything records one.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cases.audit import register
from permissions.audit import staff_event_register

register(
    "retention.hold_placed",
    _("{actor} placed a legal hold on the case, to review by {review_on}."),
    "hold",
    "review_on",
)
register(
    "retention.hold_reviewed",
    _("{actor} reviewed the legal hold; next review by {review_on}."),
    "hold",
    "review_on",
)
register("retention.hold_lifted", _("{actor} lifted the legal hold."), "hold")
register(
    "retention.purged",
    _("The case's content was deleted under its retention policy (deletion record {record})."),
    "record",
)

# The periods after, and before (``was_*``, none for a first policy; events recorded before
# these keys existed lack them).
_POLICY_KEYS = (
    "case_type",
    "content_days",
    "token_days",
    "was_content_days",
    "was_token_days",
    "change",
)
staff_event_register(
    "retention.policy_changed",
    _("{actor} set the retention of {case_type}: {content_days} days, token {token_days} days."),
    *_POLICY_KEYS,
)
staff_event_register(
    "retention.policy_proposed",
    _(
        "{actor} proposed shorter retention for {case_type}: {content_days} days, "
        "token {token_days}."
    ),
    *_POLICY_KEYS,
)
staff_event_register(
    "retention.policy_confirmed",
    _("{actor} confirmed retention for {case_type}: {content_days} days, token {token_days} days."),
    *_POLICY_KEYS,
)
staff_event_register(
    "retention.policy_declined", _("{actor} declined a retention proposal ({change})."), "change"
)
staff_event_register(
    "retention.policy_withdrawn",
    _("{actor} withdrew their retention proposal ({change})."),
    "change",
)
staff_event_register(
    "retention.purge_run",
    _("The retention job deleted the content of {cases} case(s)."),
    "cases",
    "dry_run",
)
staff_event_register(
    "retention.audit_events_purged",
    _("The retention job removed {events} audit event(s) of {cases} case(s) purged long ago."),
    "cases",
    "events",
)
staff_event_register(
    "retention.audit_chains_purged",
    _(
        "The retention job removed {refusals} record(s) of refused access and {staff_events} "
        "staff event(s) older than the audit record's period."
    ),
    "refusals",
    "staff_events",
)
