from django.contrib import admin

from reports.models import MonitoringQuestion


@admin.register(MonitoringQuestion)
class MonitoringQuestionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The organisation's optional equality monitoring questions. ``answers`` is a list of
    ``["slug", "Label"]`` pairs; "Prefer not to say" is always added first by the form."""

    list_display = ("text", "slug", "is_active", "position")
    fields = ("slug", "text", "hint", "answers", "is_active", "position")
