from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Workflows"

    def ready(self) -> None:
        from django.db.models import signals

        from cases.models import CASE_HISTORY
        from workflows.models import WORKFLOW_MODELS

        # Django sends post_save with the proxy class as sender, and simple-history listens
        # for the concrete Case only: connect each workflow proxy to the same history table.
        for proxy in WORKFLOW_MODELS.values():
            signals.post_save.connect(CASE_HISTORY.post_save, sender=proxy, weak=False)
            signals.pre_delete.connect(CASE_HISTORY.pre_delete, sender=proxy, weak=False)
            signals.post_delete.connect(CASE_HISTORY.post_delete, sender=proxy, weak=False)
