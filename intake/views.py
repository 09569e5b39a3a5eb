"""The reporter side. Shares no view, template base or middleware assumption with staff pages.

Rules every page here keeps (tested in tests/intake/):
- no cookie until one is needed (the start page and the empty form set none; only a correct
  case token starts the follow-up cookie);
- nothing from a third party; ``Referrer-Policy: no-referrer``, ``Cache-Control: no-store``,
  a strict Content Security Policy (config/settings.py);
- no address, user agent or token is stored or logged; reporter times are stored to the day;
- every wrong or malformed token gets the same answer, and guesses are throttled per client.

CSRF: these pages send no Referer and, under ``no-referrer``, browsers post ``Origin: null``,
so Django's origin check cannot work here. Posts that act inside a follow-up session carry the
session's own form key instead (``intake/followup.py``); the report form and the token form act
in no session, so there is nothing for another site to ride on (and both are throttled).
"""

from __future__ import annotations

import io
import logging
import re
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from cases.audit import event_record
from cases.exceptions import CaseNotFound
from cases.models import Case, CaseType, Category, Evidence, MessageKind
from cases.selectors import message_list_for_case
from cases.services import (
    case_create,
    evidence_attach,
    evidence_path,
    evidence_staging,
    message_add,
    reporter_time,
)
from cases.tokens import token_display
from intake.files import CleanedFile, FileRejected, clean_evidence
from intake.followup import (
    FollowUp,
    follow_up_end,
    follow_up_of,
    follow_up_refresh,
    follow_up_start,
    form_key_ok,
)
from intake.forms import ReplyForm, ReportForm, TokenForm
from intake.models import SubmissionKey, SupportResource, branding
from intake.progress import progress_of
from intake.receipts import receipt_make, receipt_verify
from intake.throttle import (
    report_allowed,
    report_record,
    token_attempt_allowed,
    token_attempt_record,
)
from ops.clients import client_address
from permissions.access import case_for_follow_up, case_for_reporter_token
from workflows.clocks import clocks_ensure

MAX_FILES = 5
logger = logging.getLogger("speakup.intake")


def _foreign_origin(request: HttpRequest) -> bool:
    """A post that names another site as its origin. Our own pages post ``Origin: null``
    (no-referrer) or their own origin; a form on another site names that site."""
    origin = request.headers.get("Origin")
    if request.method != "POST" or origin in (None, "null"):
        return False
    return origin != f"{request.scheme}://{request.get_host()}"


def reporter_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Headers every reporter page carries, whatever the answer."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if _foreign_origin(request):
            response = HttpResponse(status=403)
        else:
            response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Cache-Control"] = "no-store, max-age=0"
        return response

    return never_cache(wrapped)


def _support(categories: list[Category] | None = None) -> list[SupportResource]:
    resources = SupportResource.objects.filter(is_active=True).prefetch_related("categories")
    chosen = {c.pk for c in categories or []}
    return [
        r
        for r in resources
        if not r.categories.all() or chosen & {c.pk for c in r.categories.all()}
    ]


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(request, template, {"branding": branding(), **context}, status=status)


@reporter_page
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """The start page: the kinds of report, how anonymity works, and where to get support."""
    brand = branding()
    return _render(
        request,
        "intake/start.html",
        {
            "case_types": CaseType.objects.filter(is_active=True).order_by("position", "name"),
            "support": _support(),
            "on_work_network": brand.on_corporate_network(client_address(request)),
        },
    )


@reporter_page
@require_GET
def anonymity(request: HttpRequest) -> HttpResponse:
    return _render(request, "intake/anonymity.html", {})


@reporter_page
@require_GET
def logo(request: HttpRequest) -> HttpResponse:
    brand = branding()
    if not brand.logo:
        raise Http404
    response = HttpResponse(bytes(brand.logo), content_type=brand.logo_type or "image/png")
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


def _open_case_type(slug: str) -> CaseType:
    return get_object_or_404(CaseType, slug=slug, is_active=True)


@reporter_page
@require_GET
def brand_css(request: HttpRequest) -> HttpResponse:
    """The organisation's colour, as a style sheet from our own origin (no inline styles)."""
    colour = branding().colour
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
        colour = "#1d70b8"
    css = f".speakup-header{{background-color:{colour};border-bottom-color:{colour}}}\n"
    return HttpResponse(css, content_type="text/css")


@csrf_exempt
@reporter_page
def report(request: HttpRequest, slug: str) -> HttpResponse:
    """The questions (GET), then check your answers (POST); nothing is stored until "Send"."""
    case_type = _open_case_type(slug)
    if request.method == "POST":
        form = ReportForm(request.POST, case_type=case_type)
        if form.is_valid() and "change" not in request.POST:
            return _check_answers(request, form)
        if "change" in request.POST:
            form = ReportForm(initial=request.POST.dict(), case_type=case_type)
    else:
        form = ReportForm(case_type=case_type)
    return _render(
        request,
        "intake/report.html",
        {"case_type": case_type, "form": form},
        status=400 if request.method == "POST" and form.errors else 200,
    )


def _check_answers(
    request: HttpRequest, form: ReportForm, *, file_error: str = "", status: int = 200
) -> HttpResponse:
    return _render(
        request,
        "intake/check.html",
        {
            "case_type": form.case_type,
            "form": form,
            "summary": form.summary(),
            "hidden": {k: v for k, v in form.data.items() if k in form.fields},
            "submission_key": request.POST.get("submission_key") or secrets.token_urlsafe(24),
            "file_error": file_error,
            "max_files": MAX_FILES,
            "max_mb": settings.SPEAKUP_EVIDENCE_MAX_BYTES // 1_000_000,
        },
        status=status,
    )


def _clean_files(request: HttpRequest) -> list[CleanedFile]:
    uploads = [f for f in request.FILES.getlist("evidence") if f.size]
    oversized = getattr(request, "oversized_uploads", [])
    if oversized:
        raise FileRejected(
            _("%(name)s is too big: files can be up to %(mb)d MB.")
            % {"name": oversized[0], "mb": settings.SPEAKUP_EVIDENCE_MAX_BYTES // 1_000_000}
        )
    if len(uploads) > MAX_FILES:
        raise FileRejected(_("You can add up to %(n)d files.") % {"n": MAX_FILES})
    cleaned = []
    for upload in uploads:
        result = clean_evidence(upload.read(), declared_name=upload.name or "file")
        # Cleaning can make a file a little larger (a re-encoded picture): check the result.
        if len(result.content) > settings.SPEAKUP_EVIDENCE_MAX_BYTES:
            raise FileRejected(
                _("%(name)s is too big: files can be up to %(mb)d MB.")
                % {"name": result.safe_name, "mb": settings.SPEAKUP_EVIDENCE_MAX_BYTES // 1_000_000}
            )
        cleaned.append(result)
    return cleaned


@csrf_exempt
@reporter_page
@require_POST
def send(request: HttpRequest, slug: str) -> HttpResponse:
    """File the report, once, and show the token: the only time it is ever shown."""
    case_type = _open_case_type(slug)
    form = ReportForm(request.POST, case_type=case_type)
    if not form.is_valid():
        return _render(request, "intake/report.html", {"case_type": case_type, "form": form}, 400)
    if not report_allowed(request):
        return _render(request, "intake/busy.html", {}, status=429)
    try:
        files = _clean_files(request)
    except FileRejected as error:
        return _check_answers(request, form, file_error=error.message, status=400)
    key = str(request.POST.get("submission_key", ""))[:64]
    if len(key) < 16:
        # No key from a check-your-answers page: this post cannot be a repeat of one.
        key = secrets.token_urlsafe(24)
    digest = salted_hmac("speakup.submission", key, algorithm="sha256").digest()
    stored: list[Evidence] = []
    try:
        # All or nothing: the case, its key, its deadline and its files, so a failure leaves
        # the reporter free to send again (the submission key is rolled back too).
        with evidence_staging(), transaction.atomic():
            SubmissionKey.objects.create(digest=digest, used_on=reporter_time().date())
            case, token = case_create(
                case_type=case_type,
                answers=form.answers(),
                category=form.chosen_category(),
                org_unit=form.chosen_unit(),
                reporter_named=form.named,
                reporter_contact=form.cleaned_data.get("contact", ""),
            )
            clocks_ensure(case)  # the acknowledgement deadline starts today
            for cleaned in files:
                stored.append(
                    evidence_attach(
                        case=case,
                        source=io.BytesIO(cleaned.content),
                        original_name=cleaned.safe_name,
                        content_type=cleaned.content_type,
                    )
                )
    except IntegrityError:
        # The same check-your-answers form was sent before (back button, double click).
        return _render(request, "intake/already_sent.html", {}, status=409)
    except Exception:
        logger.exception("a report could not be saved; nothing was kept")
        for evidence in stored:
            evidence_path(evidence.stored_name).unlink(missing_ok=True)
        return _check_answers(
            request,
            form,
            file_error=_(
                "Your report could not be saved just now. Nothing was kept. Please send it again."
            ),
            status=503,
        )
    report_record(request)
    receipt = receipt_make(case_type=case_type, day=case.received_on)
    return _render(
        request,
        "intake/receipt.html",
        {
            "case_type": case_type,
            "token": token_display(token),
            "receipt": receipt,
            "files": files,
            "support": _support([c for c in [form.chosen_category()] if c]),
            "progress": progress_of(case),
        },
    )


@csrf_exempt
@reporter_page
@require_POST
def token_kept(request: HttpRequest) -> HttpResponse:
    if request.POST.get("kept") != "yes":
        return _render(request, "intake/kept_missing.html", {}, status=400)
    return _render(request, "intake/next_steps.html", {"support": _support()})


@csrf_exempt
@reporter_page
@require_POST
def receipt_download(request: HttpRequest) -> HttpResponse:
    text = receipt_verify(request.POST.get("receipt", ""))
    if text is None:
        return _render(request, "intake/receipt_invalid.html", {}, status=400)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="speak-up-receipt.txt"'
    return response


@csrf_exempt
@reporter_page
def follow_up(request: HttpRequest) -> HttpResponse:
    """Type the token (POST only: it never appears in an address); a correct one starts a
    short follow-up session. Every wrong answer is the same, and guesses are throttled."""
    if request.method != "POST":
        if follow_up_of(request):
            return redirect("intake:follow_up_case")
        return _render(request, "intake/follow_up.html", {"form": TokenForm()})
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _render(request, "intake/follow_up.html", {"form": form}, status=400)
    if not token_attempt_allowed(request):
        return _render(request, "intake/busy.html", {}, status=429)
    try:
        case = case_for_reporter_token(form.cleaned_data["token"])
    except CaseNotFound:
        token_attempt_record(request, found=False)
        form.add_error("token", _("No report matches that token. Check it and try again."))
        return _render(request, "intake/follow_up.html", {"form": form}, status=404)
    token_attempt_record(request, found=True)
    response = redirect("intake:follow_up_case")
    follow_up_start(response, case.pk)
    return response


def _followed_case(request: HttpRequest) -> tuple[FollowUp, Case] | None:
    session = follow_up_of(request)
    if session is None:
        return None
    try:
        return session, case_for_follow_up(session.case_id)
    except CaseNotFound:
        return None


@reporter_page
@require_GET
def follow_up_case(request: HttpRequest) -> HttpResponse:
    found = _followed_case(request)
    if found is None:
        return _render(request, "intake/follow_up_ended.html", {}, status=403)
    session, case = found
    event_record(case=case, code="case.viewed_by_reporter", at=reporter_time())
    response = _follow_up_page(request, session, case)
    follow_up_refresh(response, session)
    return response


def _follow_up_page(
    request: HttpRequest,
    session: FollowUp,
    case: Case,
    *,
    reply_form: ReplyForm | None = None,
    file_error: str = "",
    files: list[CleanedFile] | None = None,
    status: int = 200,
) -> HttpResponse:
    messages = message_list_for_case(case, include_internal=False)
    return _render(
        request,
        "intake/follow_up_case.html",
        {
            "case": case,
            "progress": progress_of(case),
            "messages_": messages,
            "reply_form": reply_form or ReplyForm(),
            "form_key": session.form_key,
            "file_error": file_error,
            "files": files or [],
            "support": _support([c for c in [case.category] if c]),
            "max_files": MAX_FILES,
            "max_mb": settings.SPEAKUP_EVIDENCE_MAX_BYTES // 1_000_000,
        },
        status=status,
    )


def follow_up_action(
    view: Callable[[HttpRequest, FollowUp, Case], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """A POST inside a live follow-up session, carrying that session's form key."""

    @wraps(view)
    def wrapped(request: HttpRequest) -> HttpResponse:
        found = _followed_case(request)
        if found is None or not form_key_ok(request, found[0]):
            return _render(request, "intake/follow_up_ended.html", {}, status=403)
        return view(request, *found)

    return csrf_exempt(reporter_page(require_POST(wrapped)))


@follow_up_action
def follow_up_reply(request: HttpRequest, session: FollowUp, case: Case) -> HttpResponse:
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _follow_up_page(request, session, case, reply_form=form, status=400)
    message_add(case=case, kind=MessageKind.FROM_REPORTER, body=form.cleaned_data["body"])
    response = redirect("intake:follow_up_case")
    follow_up_refresh(response, session)
    return response


@follow_up_action
def follow_up_evidence(request: HttpRequest, session: FollowUp, case: Case) -> HttpResponse:
    try:
        files = _clean_files(request)
        if not files:
            raise FileRejected(_("Choose a file to add."))
        if case.evidence.count() + len(files) > 4 * MAX_FILES:
            raise FileRejected(_("This report already has as many files as it can hold."))
    except FileRejected as error:
        return _follow_up_page(request, session, case, file_error=error.message, status=400)
    with evidence_staging(), transaction.atomic():  # all the files, or none
        for cleaned in files:
            evidence_attach(
                case=case,
                source=io.BytesIO(cleaned.content),
                original_name=cleaned.safe_name,
                content_type=cleaned.content_type,
            )
    response = _follow_up_page(request, session, case, files=files)
    follow_up_refresh(response, session)
    return response


@follow_up_action
def follow_up_sign_out(request: HttpRequest, session: FollowUp, case: Case) -> HttpResponse:
    response = _render(request, "intake/signed_out.html", {})
    follow_up_end(response)
    return response
