"""The settings area, under /staff/settings/ (config/urls.py)."""

from django.urls import path

from administration import outcome_views, views

app_name = "administration"

urlpatterns = [
    path("", views.settings_index, name="index"),
    path("changes/<int:change_id>/confirm/", views.change_confirm, name="change_confirm"),
    path("changes/<int:change_id>/close/", views.change_close, name="change_close"),
    path("kinds/new/", views.case_type_edit, name="case_type_new"),
    path("kinds/<int:case_type_id>/", views.case_type_page, name="case_type"),
    path("kinds/<int:case_type_id>/change/", views.case_type_edit, name="case_type_edit"),
    path("kinds/<int:case_type_id>/levels/", views.levels_edit, name="levels"),
    path("kinds/<int:case_type_id>/deadlines/", views.clocks_edit, name="clocks"),
    path("kinds/<int:case_type_id>/reminders/", views.reminders_edit, name="reminders"),
    path("kinds/<int:case_type_id>/check-in/", views.checkin_edit, name="checkin"),
    path("kinds/<int:case_type_id>/categories/new/", views.category_edit, name="category_new"),
    path(
        "kinds/<int:case_type_id>/categories/<int:category_id>/",
        views.category_edit,
        name="category_edit",
    ),
    path(
        "kinds/<int:case_type_id>/categories/<int:category_id>/retire/",
        views.category_retire,
        name="category_retire",
    ),
    # Outcomes (decision 0032): their own module, administration/outcome_views.py.
    path("outcomes/", outcome_views.outcomes_page, name="outcomes"),
    path("kinds/<int:case_type_id>/outcomes/new/", outcome_views.outcome_edit, name="outcome_new"),
    path(
        "kinds/<int:case_type_id>/outcomes/usual/",
        outcome_views.outcomes_usual,
        name="outcomes_usual",
    ),
    path(
        "kinds/<int:case_type_id>/outcomes/<int:outcome_id>/",
        outcome_views.outcome_edit,
        name="outcome_edit",
    ),
    path(
        "kinds/<int:case_type_id>/outcomes/<int:outcome_id>/retire/",
        outcome_views.outcome_retire,
        name="outcome_retire",
    ),
    path("units/", views.units_page, name="units"),
    path("units/new/", views.unit_edit, name="unit_new"),
    path("units/<int:unit_id>/", views.unit_edit, name="unit_edit"),
    path("branding/", views.branding_edit, name="branding"),
    path("branding/preview/", views.branding_preview, name="branding_preview"),
    path("branding/preview/brand.css", views.branding_preview_css, name="branding_preview_css"),
    path("branding/preview/logo", views.branding_preview_logo, name="branding_preview_logo"),
    path("branding/save/", views.branding_save, name="branding_save"),
    path("networks/", views.networks_edit, name="networks"),
    path("support/", views.support_page, name="support"),
    path("support/new/", views.support_edit, name="support_new"),
    path("support/<int:resource_id>/", views.support_edit, name="support_edit"),
    path("campaigns/", views.campaigns_page, name="campaigns"),
    path("campaigns/new/", views.campaign_edit, name="campaign_new"),
    path("campaigns/<int:campaign_id>/", views.campaign_edit, name="campaign_edit"),
    path("monitoring/", views.monitoring_page, name="monitoring"),
    path("monitoring/new/", views.monitoring_edit, name="monitoring_new"),
    path("monitoring/<int:question_id>/", views.monitoring_edit, name="monitoring_edit"),
]
