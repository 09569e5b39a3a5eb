from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from cases import checks  # noqa: F401  (registers the start-up checks)
        from cases.dbroles import grant_after_migrate

        # After a migrate by the owner, grant the application's role its privileges.
        post_migrate.connect(grant_after_migrate, sender=self)
