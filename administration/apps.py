from django.apps import AppConfig


class AdministrationConfig(AppConfig):
    """The settings area: staff pages above both sides, since they edit what the reporter
    side shows (branding, support, campaigns) and preview its start page, while the staff and
    reporter sides never import each other."""

    name = "administration"
    verbose_name = "Settings"
