from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Workflows"

    def ready(self) -> None:
        from permissions.settings_changes import settings_subject_register
        from workflows.outcome_settings import OUTCOME
        from workflows.settings_subjects import SUBJECTS

        # Case types, their deadlines, categories, outcomes and units, changed on the settings
        # pages.
        for subject in (*SUBJECTS, OUTCOME):
            settings_subject_register(subject)
