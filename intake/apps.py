from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "intake"

    def ready(self) -> None:
        from intake.errors import is_reporter_path, reporter_unavailable
        from ops.middleware import unavailable_page_register

        # Outages on reporter paths answer with the reporter side's own page.
        unavailable_page_register(is_reporter_path, reporter_unavailable)

        from django.apps import apps
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from intake.configuration import forget

        # The configuration the reporter pages keep in the cache is dropped as soon as an
        # administrator saves or deletes any of it, or changes which categories a support
        # resource is offered for.
        for label in (
            "cases.CaseType",
            "cases.Category",
            "cases.OrganisationalUnit",
            "reports.MonitoringQuestion",
            "intake.SupportResource",
            "intake.Branding",
            "intake.Campaign",
        ):
            model = apps.get_model(label)
            for signal in (post_save, post_delete):
                signal.connect(forget, sender=model, dispatch_uid=f"intake.forget.{label}")
        categories = apps.get_model("intake.SupportResource").categories.through
        m2m_changed.connect(forget, sender=categories, dispatch_uid="intake.forget.categories")

        from django.core.signals import request_finished, request_started

        from intake.configuration import request_began, request_ended

        # A request reads the kept configuration once, however many parts of it ask.
        request_started.connect(request_began, dispatch_uid="intake.configuration.began")
        request_finished.connect(request_ended, dispatch_uid="intake.configuration.ended")

        from intake.settings_subjects import SUBJECTS
        from permissions.settings_changes import settings_subject_register

        # Branding, network ranges, support and campaigns, changed on the settings pages.
        for subject in SUBJECTS:
            settings_subject_register(subject)

        import datetime as dt

        from intake.services import submission_keys_purge
        from retention.ancillary import ancillary_register

        # Used submission keys go once they can no longer stop a second "Send".
        ancillary_register(
            "submission keys", every=dt.timedelta(days=1), purge=submission_keys_purge
        )
