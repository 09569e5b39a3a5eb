from django.urls import path

from staff import (
    access_views,
    appeal_views,
    confidential_views,
    link_views,
    list_views,
    notification_views,
    operations_views,
    record_views,
    report_views,
    retention_views,
    sharing_views,
    signin,
    views,
)

app_name = "staff"
urlpatterns = [
    path("", views.home, name="home"),
    path("reports/", report_views.reports_page, name="reports"),
    path("appeals/", appeal_views.appeals_page, name="appeals"),
    path("reports/download.<str:fmt>", report_views.report_download, name="report_download"),
    path("reports/packs/", report_views.report_packs, name="report_packs"),
    path(
        "reports/packs/<int:pack_id>/<str:fmt>",
        report_views.report_pack_download,
        name="report_pack_download",
    ),
    path("cases/", list_views.case_list, name="case_list"),
    path("cases/record/", record_views.report_record, name="report_record"),
    path("workflows/", views.workflows_page, name="workflows"),
    # The confidential contact's pages (decision 0031).
    path("confidential/", confidential_views.confidential_list, name="confidential_list"),
    path(
        "confidential/<str:case_id>/",
        confidential_views.confidential_case,
        name="confidential_case",
    ),
    path(
        "confidential/<str:case_id>/reveal/",
        confidential_views.confidential_reveal,
        name="confidential_reveal",
    ),
    path("account/", signin.account, name="account"),
    path("health/", operations_views.operations_page, name="operations"),
    path("account/email/", notification_views.email_choice, name="email_choice"),
    path("notifications/", notification_views.notification_list, name="notifications"),
    path("notifications/read/", notification_views.notification_read, name="notification_read"),
    path(
        "notifications/read-all/",
        notification_views.notification_read_all,
        name="notification_read_all",
    ),
    path("access/", access_views.access_page, name="access"),
    path("access/propose/", access_views.access_propose, name="access_propose"),
    path("access/teams/", access_views.access_team_create, name="access_team_create"),
    path(
        "access/changes/<int:change_id>/confirm/",
        access_views.access_confirm,
        name="access_confirm",
    ),
    path("access/changes/<int:change_id>/close/", access_views.access_close, name="access_close"),
    # Retention: administrators' policies and preview, governance leads' legal holds.
    path("retention/", retention_views.retention_page, name="retention"),
    path("retention/preview/", retention_views.retention_preview, name="retention_preview"),
    path(
        "retention/policies/<int:case_type_id>/",
        retention_views.retention_policy,
        name="retention_policy",
    ),
    path(
        "retention/changes/<int:change_id>/confirm/",
        retention_views.retention_change_confirm,
        name="retention_change_confirm",
    ),
    path(
        "retention/changes/<int:change_id>/close/",
        retention_views.retention_change_close,
        name="retention_change_close",
    ),
    path("holds/", retention_views.holds_page, name="holds"),
    path("holds/place/", retention_views.hold_place_view, name="hold_place"),
    path("holds/<int:hold_id>/review/", retention_views.hold_review_view, name="hold_review"),
    path("holds/<int:hold_id>/lift/", retention_views.hold_lift_view, name="hold_lift"),
    path("cases/export.csv", list_views.case_export, name="case_export"),
    path("cases/<str:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<str:case_id>/history/", views.case_history, name="case_history"),
    path(
        "cases/<str:case_id>/evidence/<str:evidence_id>/",
        views.evidence_download,
        name="evidence_download",
    ),
    # Sharing with external investigators (decision 0024).
    path(
        "cases/<str:case_id>/messages/<str:message_id>/share/",
        sharing_views.message_share_view,
        name="message_share",
    ),
    path(
        "cases/<str:case_id>/messages/<str:message_id>/unshare/",
        sharing_views.message_unshare_view,
        name="message_unshare",
    ),
    path(
        "cases/<str:case_id>/evidence/<str:evidence_id>/share/",
        sharing_views.evidence_share_view,
        name="evidence_share",
    ),
    path(
        "cases/<str:case_id>/evidence/<str:evidence_id>/unshare/",
        sharing_views.evidence_unshare_view,
        name="evidence_unshare",
    ),
    # Linked cases (decision 0033).
    path("cases/<str:case_id>/links/new/", link_views.case_link_view, name="case_link"),
    path(
        "cases/<str:case_id>/links/<str:link_id>/remove/",
        link_views.case_unlink_view,
        name="case_unlink",
    ),
    path("cases/<str:case_id>/assign/", views.case_assign_view, name="case_assign"),
    path(
        "cases/<str:case_id>/appeal/decider/",
        appeal_views.case_decider_page,
        name="case_decider",
    ),
    path("cases/<str:case_id>/unassign/", views.case_unassign_view, name="case_unassign"),
    path("cases/<str:case_id>/exclude/", views.case_exclude_view, name="case_exclude"),
    path(
        "cases/<str:case_id>/exclusions/<int:exclusion_id>/confirm/",
        views.exclusion_confirm_view,
        name="exclusion_confirm",
    ),
    path("cases/<str:case_id>/recuse/", views.case_recuse_view, name="case_recuse"),
    path("cases/<str:case_id>/step/", views.case_transition_view, name="case_transition"),
    path(
        "cases/<str:case_id>/step/<slug:step_name>/confirm/",
        views.case_step_confirm,
        name="case_step_confirm",
    ),
    path("cases/<str:case_id>/message/", views.case_message_view, name="case_message"),
    # Recording on a case: one URL and one form per operation.
    path("cases/<str:case_id>/category/", views.case_category_view, name="case_category"),
    path("cases/<str:case_id>/redaction/", views.case_redaction_view, name="case_redaction"),
    path("cases/<str:case_id>/actions/", views.case_action_add_view, name="case_action_add"),
    path(
        "cases/<str:case_id>/actions/done/",
        views.case_action_done_view,
        name="case_action_done",
    ),
    path("cases/<str:case_id>/deadlines/", views.case_deadline_view, name="case_deadline"),
    path("cases/<str:case_id>/police/", views.case_police_view, name="case_police"),
    path("cases/<str:case_id>/support/", views.case_support_view, name="case_support"),
    path("cases/<str:case_id>/attention/", views.case_attention_view, name="case_attention"),
]
