"""Template filters for the staff layout: which links a person's role shows."""

from __future__ import annotations

from typing import Any

from django import template

from permissions.roles import may_manage_access

register = template.Library()


@register.filter
def manages_access(user: Any) -> bool:
    return may_manage_access(user)


@register.simple_tag
def attention_count(user: Any) -> int:
    """How many cases wait for ``user`` in their notifications (the header): one query."""
    from notifications.selectors import attention_count as count

    return count(user) if getattr(user, "is_authenticated", False) else 0
