"""No migration of ours drops data, and the models match the migrations."""

from django.apps import apps
from django.db import migrations
from django.db.migrations.loader import MigrationLoader

OUR_APPS = {"cases", "workflows", "permissions", "retention", "intake", "ops", "staff"}
DESTRUCTIVE = (migrations.RemoveField, migrations.DeleteModel, migrations.RemoveConstraint)


def test_no_migration_drops_a_column_or_table():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    offenders = [
        f"{app}.{name}: {type(operation).__name__}"
        for (app, name), migration in loader.disk_migrations.items()
        if app in OUR_APPS
        for operation in migration.operations
        if isinstance(operation, DESTRUCTIVE)
    ]
    assert offenders == []


def test_every_app_of_ours_is_installed():
    assert {config.label for config in apps.get_app_configs()} >= OUR_APPS
