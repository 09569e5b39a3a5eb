"""Template filters for the staff layout: which links a person's role shows; and the case page's
header deadlines."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.contrib.auth.models import User

from permissions.predicates import (
    is_confidential_contact,
    may_configure,
    may_hold_cases,
    may_manage_retention,
    may_see_operations,
    may_see_reports,
)
from permissions.roles import may_manage_access
from staff.case_header import HeaderDeadline, deadlines_now

register = template.Library()


@register.filter
def manages_access(user: Any) -> bool:
    return may_manage_access(user)


@register.filter
def sees_operations(user: Any) -> bool:
    return isinstance(user, User) and may_see_operations(user)


@register.filter
def sees_reports(user: Any) -> bool:
    return may_see_reports(user)


@register.simple_tag
def attention_count(user: Any) -> int:
    """How many cases wait for ``user`` in their notifications (the header): one query."""
    from notifications.selectors import attention_count as count

    return count(user) if getattr(user, "is_authenticated", False) else 0


@register.filter
def manages_retention(user: Any) -> bool:
    return may_manage_retention(user)


@register.filter
def holds_cases(user: Any) -> bool:
    return may_hold_cases(user)


@register.simple_tag
def idle_seconds() -> int:
    """How long a staff session may stay idle (``StaffSessionMiddleware``), for the warning."""
    return int(settings.SPEAKUP_STAFF_IDLE_SECONDS)


@register.filter
def configures(user: Any) -> bool:
    return isinstance(user, User) and may_configure(user)


@register.filter
def confidential_contact(user: Any) -> bool:
    return isinstance(user, User) and is_confidential_contact(user)


@register.simple_tag
def header_deadlines(clocks: Any, today: Any) -> list[HeaderDeadline]:
    """The case page's running and paused deadlines, tagged (``staff.case_header``), from
    the clocks the page read already."""
    return deadlines_now(clocks, today)
