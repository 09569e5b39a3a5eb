from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _roles_ensure(*, sender: AppConfig, using: str, **kwargs: Any) -> None:
    """Once per migrate (or flush), after the last app's signal: Django sends ``post_migrate``
    once for each app with models, and every app's permissions must exist first."""
    from django.apps import apps

    *_, last = (config for config in apps.get_app_configs() if config.models_module is not None)
    if sender.label != last.label:
        return
    from permissions.services import roles_ensure

    # On the database just migrated: with two roles that is the owner's connection, whose
    # migration transaction a query on the application's connection would wait behind.
    roles_ensure(using=using)


def _roles_changed(*, instance: object, reverse: bool, action: str, **kwargs: Any) -> None:
    """A user's groups changed through the user object (``user.groups.add``): the roles it
    remembered from a locked read (``permissions.roles.roles_remember``) are forgotten."""
    if not reverse and action.startswith("post_"):
        from permissions.roles import roles_forget

        roles_forget(instance)


class PermissionsConfig(AppConfig):
    name = "permissions"
    verbose_name = "Permissions"

    def ready(self) -> None:
        # After every migration (and every test database flush), the role groups exist and
        # the Administrator role holds exactly its configuration permissions.
        post_migrate.connect(_roles_ensure, dispatch_uid="permissions.roles_ensure")

        from django.contrib.auth import get_user_model
        from django.db.models.signals import m2m_changed

        m2m_changed.connect(
            _roles_changed,
            sender=get_user_model().groups.through,
            dispatch_uid="permissions.roles_changed",
        )

        from cases.audit import REFUSAL_CHAIN, audit_chain_register
        from permissions.audit import STAFF_CHAIN, refusal_links, staff_event_links

        # Refused access attempts and staff events (roles, teams, accounts) are chains of
        # their own; the audit check verifies them with the cases' events.
        audit_chain_register(REFUSAL_CHAIN, refusal_links)
        audit_chain_register(STAFF_CHAIN, staff_event_links)
