"""Template filters for the staff layout: which links a person's role shows."""

from __future__ import annotations

from typing import Any

from django import template

from permissions.predicates import may_see_reports
from permissions.roles import may_manage_access

register = template.Library()


@register.filter
def manages_access(user: Any) -> bool:
    return may_manage_access(user)


@register.filter
def sees_reports(user: Any) -> bool:
    return may_see_reports(user)
