from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "intake"

    def ready(self) -> None:
        from intake.errors import is_reporter_path, reporter_unavailable
        from ops.middleware import unavailable_page_register

        # Outages on reporter paths answer with the reporter side's own page.
        unavailable_page_register(is_reporter_path, reporter_unavailable)

        import datetime as dt

        from intake.services import submission_keys_purge
        from retention.ancillary import ancillary_register

        # Used submission keys go once they can no longer stop a second "Send".
        ancillary_register(
            "submission keys", every=dt.timedelta(days=1), purge=submission_keys_purge
        )
