from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from permissions.settings_changes import settings_subject_register
        from reports.settings_subjects import SUBJECTS

        # The equality monitoring questions, changed on the settings pages.
        for subject in SUBJECTS:
            settings_subject_register(subject)
