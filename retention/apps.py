from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "retention"
    verbose_name = "Retention"

    def ready(self) -> None:
        from cases.models import case_type_rule_register
        from retention import audit  # noqa: F401  (registers the audit codes)
        from retention.services import checkin_within_token_period

        case_type_rule_register(checkin_within_token_period)
