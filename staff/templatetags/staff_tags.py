"""Template tags for the staff layout: which links a person's roles show; and the case page's
header deadlines."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.contrib.auth.models import User

from cases.page_scope import page_scope
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


@register.simple_tag
def staff_links(user: Any) -> dict[str, bool]:
    """Which of the header's links ``user``'s roles show, by link. Worked out together in a
    page scope (``cases.page_scope``), so the roles are read once for the header, not once
    for each link (seven queries on every staff page before); inside a page's own scope (the
    case page) they are the roles the page read."""
    if not isinstance(user, User) or not user.is_authenticated:
        return {}
    with page_scope():
        return {
            "reports": may_see_reports(user),
            "access": may_manage_access(user),
            "operations": may_see_operations(user),
            "settings": may_configure(user),
            "retention": may_manage_retention(user),
            "confidential": is_confidential_contact(user),
            "holds": may_hold_cases(user),
        }


@register.simple_tag
def attention_count(user: Any) -> int:
    """How many cases wait for ``user`` in their notifications (the header): one query."""
    from notifications.selectors import attention_count as count

    return count(user) if getattr(user, "is_authenticated", False) else 0


@register.simple_tag
def idle_seconds() -> int:
    """How long a staff session may stay idle (``StaffSessionMiddleware``), for the warning."""
    return int(settings.SPEAKUP_STAFF_IDLE_SECONDS)


@register.simple_tag
def header_deadlines(clocks: Any, today: Any) -> list[HeaderDeadline]:
    """The case page's running and paused deadlines, tagged (``staff.case_header``), from
    the clocks the page read already."""
    return deadlines_now(clocks, today)
