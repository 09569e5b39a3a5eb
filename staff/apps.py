from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = "Staff pages"

    def ready(self) -> None:
        from staff import signals  # noqa: F401  (connects allauth signals)
