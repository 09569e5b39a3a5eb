from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _prepare_storage(**kwargs: Any) -> None:
    """Evidence folders are made at deployment, never at a reporter's first upload."""
    from cases.storage import layout_prepare

    layout_prepare()


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from cases import checks  # noqa: F401  (registers the start-up checks)
        from cases.dbroles import grant_after_migrate

        post_migrate.connect(_prepare_storage, sender=self, dispatch_uid="cases.storage")
        # After a migrate by the owner, grant the application's role its privileges.
        post_migrate.connect(grant_after_migrate, sender=self)
