"""Reminder policies per case type, edited by administrators (staff settings pages later).
Nothing else of this app is here: notifications and reminder claims are not configuration."""

from django.contrib import admin

from notifications.models import ReminderPolicy


@admin.register(ReminderPolicy)
class ReminderPolicyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "case_type",
        "soon_working_days",
        "on_the_day",
        "overdue",
        "escalate_lead_after_days",
        "escalate_contact_after_days",
    )
    fields = (
        "case_type",
        "soon_working_days",
        "on_the_day",
        "overdue",
        "escalate_lead_after_days",
        "escalate_contact_after_days",
        "escalation_contact",
    )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        if db_field.name == "escalation_contact":
            from django.contrib.auth.models import User

            kwargs["queryset"] = User.objects.filter(is_active=True).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
