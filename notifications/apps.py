from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Declare this app's audit events (a reminder sent, an e-mail choice) in every
        # process, so that the web's timeline and staff-events pages can read them back.
        from notifications import receivers, reminders, services  # noqa: F401
        from notifications.settings_subjects import SUBJECTS
        from permissions.settings_changes import settings_subject_register

        # Reminder policies per case type, changed on the settings pages.
        for subject in SUBJECTS:
            settings_subject_register(subject)
