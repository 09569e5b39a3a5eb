"""Administration of case configuration. Cases themselves are never registered here: the
admin must not become a way around the per-case access gate."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from cases.models import CaseType, Category, OrganisationalUnit


class CategoryInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Category
    extra = 0
    fields = ("name", "slug", "is_active")


@admin.register(CaseType)
class CaseTypeAdmin(SimpleHistoryAdmin):
    list_display = ("name", "workflow", "reporting_levels", "is_active")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (CategoryInline,)
    # Who triages a case type's new cases reads them: changed on the staff access page, by
    # two administrators (permissions.services.access_change_propose), never here.
    readonly_fields = ("triage_team",)


@admin.register(OrganisationalUnit)
class OrganisationalUnitAdmin(SimpleHistoryAdmin):
    list_display = ("name", "is_active")
    prepopulated_fields = {"slug": ("name",)}
