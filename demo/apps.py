from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demonstration data and helpers for development (``seed_demo``, ``demo_totp``).

    The one app allowed to import every other: it files cases, assigns them and walks them
    through their workflows the way people would. Nothing imports it."""

    name = "demo"
    verbose_name = "Demonstration data"
