"""The staff workspace's notifications: the list, marking read, and the e-mail choice on
one's own account. Thin: reads through ``notifications.selectors``, writes through
``notifications.services``; one URL and one form per operation. A notification's link goes
to the case page, which asks the access gate as always."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from notifications.kinds import KINDS
from notifications.selectors import notifications_of
from notifications.services import (
    NotificationNotFound,
    email_preference_set,
    notification_mark_read,
    notifications_mark_all_read,
)
from staff.forms import (
    EmailChoiceForm,
    NotificationReadForm,
    NotificationsAllReadForm,
    form_problem,
)


def _user(request: HttpRequest) -> User:
    if not isinstance(request.user, User):  # staff.middleware lets only signed-in people here
        raise PermissionDenied()
    return request.user


def _list(request: HttpRequest, status: int = 200) -> HttpResponse:
    rows = []
    for n in notifications_of(_user(request)):
        kind = KINDS.get(n.kind)
        page = reverse(kind.page) if kind and kind.page and n.case_id is None else ""
        rows.append((n, kind.headline if kind else "", page))
    return render(request, "staff/notifications.html", {"rows": rows}, status=status)


@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    return _list(request)


@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    form = NotificationReadForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_problem(form))
        return _list(request, status=400)
    try:
        notification_mark_read(
            user=_user(request), notification_id=form.cleaned_data["notification"]
        )
    except NotificationNotFound as error:
        raise Http404(error.message) from error
    return redirect("staff:notifications")


@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    NotificationsAllReadForm(request.POST).is_valid()
    count = notifications_mark_all_read(user=_user(request))
    messages.success(request, f"{count} marked as read." if count else "Nothing was unread.")
    return redirect("staff:notifications")


@require_POST
def email_choice(request: HttpRequest) -> HttpResponse:
    form = EmailChoiceForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_problem(form))
        return redirect("staff:account")
    email_preference_set(user=_user(request), email=form.cleaned_data["email"])
    messages.success(request, "Your choice of e-mails is saved.")
    return redirect("staff:account")
