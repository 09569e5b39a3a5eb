"""Administration of case configuration. Cases themselves are never registered here: the
admin must not become a way around the per-case access gate."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from cases.models import CaseType


# Kinds of report, categories, units, deadlines, branding, support and campaigns are changed
# on the settings pages (/staff/settings/, the ``administration`` app): one audited change each,
# a weakening one confirmed by a second administrator. The reporting levels (anonymous,
# confidential, named; decision 0031) are shown here but changed only there: opening a level
# needs a second administrator, and this form (or its history's "revert") would be a way around
# that. What is left to change here is the check-in after closure. Nothing is added here.
@admin.register(CaseType)
class CaseTypeAdmin(SimpleHistoryAdmin):
    list_display = ("name", "workflow", "reporting_levels", "is_active")
    fields = (
        "name",
        "slug",
        "workflow",
        "reporting_levels",
        "checkin_after_weeks",
        "checkin_yes_opens_case",
    )
    # Who triages a case type's new cases reads them: changed on the staff access page, by
    # two administrators (permissions.services.access_change_propose), never here.
    readonly_fields = ("name", "slug", "workflow", "reporting_levels")

    def has_add_permission(self, request: object) -> bool:
        return False
