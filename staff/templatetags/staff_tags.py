"""Template filters for the staff layout: which links a person's role shows."""

from __future__ import annotations

from typing import Any

from django import template

from permissions.predicates import may_hold_cases, may_manage_retention
from permissions.roles import may_manage_access

register = template.Library()


@register.filter
def manages_access(user: Any) -> bool:
    return may_manage_access(user)


@register.filter
def manages_retention(user: Any) -> bool:
    return may_manage_retention(user)


@register.filter
def holds_cases(user: Any) -> bool:
    return may_hold_cases(user)
