from django.urls import path

from intake import receipt_views, views

app_name = "intake"
urlpatterns = [
    path("", views.start, name="start"),
    path("anonymity/", views.anonymity, name="anonymity"),
    path("logo", views.logo, name="logo"),
    path("brand.css", views.brand_css, name="brand_css"),
    path("report/<slug:slug>/", views.report, name="report"),
    path("report/<slug:slug>/send/", views.send, name="send"),
    path("your-token/", views.token, name="token"),
    path("next-steps/", views.next_steps, name="next_steps"),
    path("receipt/", views.receipt_download, name="receipt"),
    path("receipt/check/", receipt_views.receipt_check, name="receipt_check"),
    path("follow-up/", views.follow_up, name="follow_up"),
    path("follow-up/case/", views.follow_up_case, name="follow_up_case"),
    path("follow-up/reply/", views.follow_up_reply, name="follow_up_reply"),
    path("follow-up/evidence/", views.follow_up_evidence, name="follow_up_evidence"),
    path("follow-up/keep/", views.follow_up_keep, name="follow_up_keep"),
    path("follow-up/your-name/", views.follow_up_identity, name="follow_up_identity"),
    path("follow-up/check-in/", views.follow_up_checkin, name="follow_up_checkin"),
    path("follow-up/sign-out/", views.follow_up_sign_out, name="follow_up_sign_out"),
]
