"""Per-case grants as direct foreign-key permission tables (django-guardian).

Rows point at the case with a real foreign key, so they cascade when a case goes, and lists
join an indexed table instead of guardian's generic (content type, text id) pair. Never grant
a model-level case permission: guardian would treat it as access to every case.
"""

from __future__ import annotations

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from cases.models import Case


class CaseUserPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [models.Index(fields=("user", "permission", "content_object"))]


class CaseGroupPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        indexes = [models.Index(fields=("group", "permission", "content_object"))]
