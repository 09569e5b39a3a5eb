"""The reporter side. Shares no view, template base or middleware assumption with staff pages.

Rules every page here keeps (tested in tests/intake/):
- no cookie until one is needed (the start page and the empty form set none; the token page
  sets its short-lived "show again", and a correct case token starts the follow-up cookie);
- nothing from a third party; ``Referrer-Policy: no-referrer``, ``Cache-Control: no-store``,
  a strict Content Security Policy (config/settings.py), error pages included
  (``intake/errors.py``);
- no address, user agent or token is stored or logged; reporter times are stored to the day;
- every wrong or malformed token gets the same answer, and guesses are throttled;
- a fault never costs a reporter what they typed, their report or their token.

CSRF: these pages send no Referer and, under ``no-referrer``, browsers post ``Origin: null``,
so Django's origin check cannot work here. Posts that act inside a follow-up session carry the
session's own form key instead (``intake/followup.py``); the report form and the token form act
in no session, so there is nothing for another site to ride on (and both are throttled).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.audit import event_record
from cases.checkin import CheckinStatus, checkin_status
from cases.exceptions import CaseNotFound, CheckinClosed
from cases.models import Case, CaseType, CheckinAnswer
from cases.selectors import message_list_for_reporter, reporter_identity_of, reveal_reason_open
from cases.services import identity_consent, reporter_time
from intake.configuration import campaigns_on, case_type_open
from intake.errors import branding_or_default, permission_denied, reporter_headers
from intake.files import CleanedFile, FileRejected, clean_evidence
from intake.followup import (
    IDLE_SECONDS,
    FollowUp,
    follow_up_end,
    follow_up_of,
    follow_up_refresh,
    follow_up_start,
    form_key_ok,
)
from intake.forms import CheckinForm, ReplyForm, ReportForm, TokenForm, TokenWithMessageForm
from intake.models import Branding
from intake.progress import progress_of
from intake.receipts import receipt_verify
from intake.selectors import support_list_for
from intake.services import (
    AlreadySent,
    CheckinNotSaved,
    CheckinThanks,
    Filed,
    FilesNotSaved,
    ReportNotSaved,
    checkin_answer,
    evidence_add_for_reporter,
    report_file,
    reporter_message_send,
    submission_digest,
)
from intake.showagain import (
    show_again_make,
    show_again_of,
    show_again_set,
    show_again_spend,
)
from intake.throttle import (
    GuessRefused,
    checkin_admit,
    checkin_release,
    report_admit,
    report_release,
    ticket_for,
    token_guess_begin,
    token_guess_end,
)
from intake.uploads import MAX_FILES, upload_problem
from ops.cache import CacheUnavailable
from ops.clients import client_address
from permissions.access import case_for_follow_up, case_for_reporter_token
from reports.monitoring import monitoring_count
from retention.selectors import content_days, deletion_date, token_opens
from workflows.registry import spec_of

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
            response = permission_denied(request, PermissionError())
        else:
            response = view(request, *args, **kwargs)
        return reporter_headers(request, response)

    return never_cache(wrapped)


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context = {"branding": branding_or_default(), **context}
    return render(request, template, context, status=status)


def _support_or_none(category_ids: list[int], case: Case | None = None) -> list[Any]:
    """Support resources (for where ``case`` is, given one), or none when the database cannot
    say: never a reason to fail."""
    stage = f"{case.case_type.workflow}:{case.state}" if case is not None else ""
    try:
        return support_list_for(category_ids, stage)
    except DatabaseError:
        return []


@reporter_page
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """The start page: the kinds of report, how anonymity works, and where to get support."""
    return start_page(request, branding_or_default())


def start_page(
    request: HttpRequest, brand: Branding, preview: dict[str, str] | None = None
) -> HttpResponse:
    """The start page with ``brand``: the live page, or, given ``preview`` (a banner template
    and where the draft's style sheet and logo are), the settings area's preview of a branding
    not saved yet."""
    case_types = CaseType.objects.filter(is_active=True).order_by("position", "name")
    looked_into = [c for c in case_types if spec_of(c.workflow).investigates]
    return render(
        request,
        "intake/start.html",
        {
            "branding": brand,
            "preview": preview,
            # The kinds someone looks into, then those for trends only, under their own words.
            "looked_into": looked_into,
            "trends_only": [c for c in case_types if c not in looked_into],
            "support": support_list_for(),
            "campaigns": campaigns_on(timezone.localdate()),
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
    brand = branding_or_default()
    if not brand.logo:
        raise Http404
    response = HttpResponse(bytes(brand.logo), content_type=brand.logo_type or "image/png")
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


def _open_case_type(slug: str) -> CaseType:
    found = case_type_open(slug)
    if found is None:
        raise Http404
    return found


@reporter_page
@require_GET
def brand_css(request: HttpRequest) -> HttpResponse:
    """The organisation's colour, as a style sheet from our own origin (no inline styles)."""
    colour = branding_or_default().colour
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
        colour = "#1d70b8"
    css = f".speakup-header{{background-color:{colour};border-bottom-color:{colour}}}\n"
    return HttpResponse(css, content_type="text/css")


def _submission_key(request: HttpRequest) -> str:
    """The random key that makes a second "Send" of the same answers file nothing twice. Made
    with the questions page and carried through check-your-answers, so that going back and
    sending again is still recognised as the same report."""
    key = str(request.POST.get("submission_key", ""))[:64]
    return key if len(key) >= 16 else secrets.token_urlsafe(24)


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
        {"case_type": case_type, "form": form, "submission_key": _submission_key(request)},
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
            "hidden": form.carried(),
            "submission_key": _submission_key(request),
            "file_error": file_error,
            "max_files": MAX_FILES,
            "max_mb": settings.SPEAKUP_EVIDENCE_MAX_BYTES // 1_000_000,
        },
        status=status,
    )


def _clean_files(request: HttpRequest) -> list[CleanedFile]:
    """The request's files, checked and cleaned; ``FileRejected`` (with words for the
    reporter) for the first that cannot be taken, and for too many or too big."""
    problem = upload_problem(request)
    if problem:
        raise FileRejected(problem)
    uploads = [f for f in request.FILES.getlist("evidence") if f.size]
    cleaned = []
    for upload in uploads:
        try:
            result = clean_evidence(upload.read(), declared_name=upload.name or "file")
        except FileRejected:
            raise
        except Exception as error:
            # A fault in the checks must not cost the report: refuse this file, keep the rest.
            logger.warning("an evidence file could not be checked (%s)", type(error).__name__)
            raise FileRejected(
                _(
                    "We could not check %(name)s, so we cannot keep it. Save it as a PDF and "
                    "try again, or send your report without it."
                )
                % {"name": (upload.name or "file")[:100]}
            ) from None
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
    """File the report, once, and show the token: rendered from memory, so nothing after the
    commit can stop it reaching the reporter."""
    case_type = _open_case_type(slug)
    form = ReportForm(request.POST, case_type=case_type)
    if not form.is_valid():
        return _render(request, "intake/report.html", {"case_type": case_type, "form": form}, 400)
    if request.POST.get("files_not_carried"):
        # Sent again from the "try again" page, which cannot carry files: let them choose.
        return _check_answers(
            request, form, file_error=_("Choose your files again, then send your report.")
        )
    # Counted before the files are cleaned (the costly part), so an address over its limit
    # cannot keep the server re-encoding files; a refused file gives the count back.
    if not report_admit(request):
        return _render(request, "intake/busy.html", {}, status=429)
    try:
        files = _clean_files(request)
    except FileRejected as error:
        report_release(request)
        return _check_answers(request, form, file_error=error.message, status=400)
    key = _submission_key(request)
    try:
        filed = report_file(
            case_type=case_type,
            answers=form.answers(),
            category=form.chosen_category(),
            org_unit=form.chosen_unit(),
            reporter_named=form.named,
            reporter_contact=form.kept_contact(),
            confidential=form.confidential(),
            files=files,
            submission_key=key,
        )
    except AlreadySent:
        # The same check-your-answers form again (back button, reload, double click): show
        # its token again while its "show again" lasts.
        report_release(request)
        shown = show_again_of(request, submission=submission_digest(key))
        if shown is not None:
            return _token_page(request, *shown)
        return _render(request, "intake/already_sent.html", {}, status=409)
    except ReportNotSaved as error:
        report_release(request)
        return _check_answers(
            request, form, file_error=f"{error.message} {_('Please send it again.')}", status=503
        )
    _count_monitoring(form)
    sealed = show_again_make(filed, submission=submission_digest(key))
    response = _filed_page(request, filed, sealed)
    show_again_set(response, sealed)
    return response


def _count_monitoring(form: ReportForm) -> None:
    """Count the monitoring answers after the report has committed, in a transaction of
    their own and with nothing that names the report; a fault here never costs the report."""
    answers = form.monitoring_answers()
    if not answers:
        return
    try:
        monitoring_count(answers=answers, on=timezone.localdate())
    except DatabaseError as error:
        logger.warning("monitoring answers could not be counted (%s)", type(error).__name__)


def _filed_page(request: HttpRequest, filed: Filed, sealed: str) -> HttpResponse:
    """The token page straight from what ``report_file`` read before its commit."""
    return render(
        request,
        "intake/receipt.html",
        {
            "branding": filed.branding,
            "token": filed.token,
            "receipt": filed.receipt,
            "case_type_name": filed.case_type_name,
            "commitments": filed.commitments,
            "trend_only": filed.trend_only,
            "files": filed.files,
            "support": filed.support,
            "show_again": sealed,
        },
    )


def _token_page(
    request: HttpRequest, sealed: str, shown: dict[str, Any], *, unconfirmed: bool = False
) -> HttpResponse:
    """The token page again, from its sealed "show again" value."""
    files = [
        {"safe_name": str(name), "removed": [str(r) for r in removed], "kept": bool(kept)}
        for name, removed, kept in shown.get("f", [])
    ]
    category = shown.get("cat")
    return _render(
        request,
        "intake/receipt.html",
        {
            "token": shown["t"],
            "receipt": shown["r"],
            "case_type_name": shown["n"],
            "commitments": shown.get("c", []),
            "trend_only": bool(shown.get("tr")),
            "files": files,
            "support": _support_or_none([category] if isinstance(category, int) else []),
            "show_again": sealed,
            "unconfirmed": unconfirmed,
        },
        status=400 if unconfirmed else 200,
    )


@csrf_exempt
@reporter_page
def token(request: HttpRequest) -> HttpResponse:
    """The token page until the reporter confirms they have kept the token (GET: reload and
    Back; POST: the Continue button, which without the box ticked shows the page again)."""
    shown = show_again_of(request)
    if shown is None:
        return _render(request, "intake/token_gone.html", {}, status=410)
    if request.method != "POST":
        return _token_page(request, *shown)
    if request.POST.get("kept") != "yes":
        return _token_page(request, *shown, unconfirmed=True)
    response = redirect("intake:next_steps")
    show_again_spend(response, shown[1])
    return response


@reporter_page
@require_GET
def next_steps(request: HttpRequest) -> HttpResponse:
    return _render(request, "intake/next_steps.html", {"support": _support_or_none([])})


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


def _token_form(
    request: HttpRequest, form: TokenForm, *, status: int = 200, error: str = ""
) -> HttpResponse:
    return _render(
        request,
        "intake/follow_up.html",
        {"form": form, "ticket": ticket_for(request), "page_error": error},
        status=status,
    )


@csrf_exempt
@reporter_page
def follow_up(request: HttpRequest) -> HttpResponse:
    """Type the token (POST only: it never appears in an address); a correct one starts a
    short follow-up session. Every wrong answer is the same, and guesses are throttled. A
    message typed while an earlier session ended comes with the token, and is sent once the
    token opens the case."""
    if request.method != "POST":
        if follow_up_of(request):
            return redirect("intake:follow_up_case")
        return _token_form(request, TokenWithMessageForm())
    form = TokenWithMessageForm(request.POST)
    if not form.is_valid():
        return _token_form(request, form, status=400)
    try:
        guess = token_guess_begin(request)
    except GuessRefused:
        return _render(request, "intake/busy.html", {}, status=429)
    except CacheUnavailable:
        # Unthrottled guessing is not safe: wait for the cache. Reports still go through.
        response = _token_form(
            request,
            form,
            status=503,
            error=_("We cannot check case tokens just now. Try again in a minute."),
        )
        response["Retry-After"] = "30"
        return response
    try:
        case = case_for_reporter_token(form.cleaned_data["token"])
        # Past its retention policy's token period (or purged), a token opens nothing.
        if not token_opens(case):
            raise CaseNotFound()
    except CaseNotFound:
        token_guess_end(guess, found=False)
        form.add_error("token", _("No report matches that token. Check it and try again."))
        return _token_form(request, form, status=404)
    except DatabaseError:
        token_guess_end(guess, found=True)  # not answered: give the count back
        raise
    token_guess_end(guess, found=True)
    # A trend-only report takes no messages: its page has no message form to keep one from.
    kept = "" if progress_of(case).trend_only else form.cleaned_data["body"].strip()
    if kept:
        reporter_message_send(case=case, body=kept)
    response = _to_case_page(sent=bool(kept))
    follow_up_start(response, case.pk)
    return response


def _to_case_page(*, sent: bool = False) -> HttpResponse:
    """Back to the follow-up page; ``sent`` has it say that a message went."""
    address = reverse("intake:follow_up_case")
    return redirect(f"{address}?sent=1" if sent else address)


def _ended(request: HttpRequest, *, kept: str = "") -> HttpResponse:
    """The follow-up has ended (or was never there): say so, with the token form, keeping a
    message that was being sent so that entering the token sends it."""
    form = TokenWithMessageForm(initial={"body": kept[:10_000]}) if kept else None
    return _render(
        request,
        "intake/follow_up_ended.html",
        {"form": form, "ticket": ticket_for(request) if kept else ""},
        status=403,
    )


def _followed_case(request: HttpRequest) -> tuple[FollowUp, Case] | None:
    session = follow_up_of(request)
    if session is None:
        return None
    try:
        case = case_for_follow_up(session.case_id)
    except CaseNotFound:
        return None
    return (session, case) if token_opens(case) else None


@reporter_page
@require_GET
def follow_up_case(request: HttpRequest) -> HttpResponse:
    found = _followed_case(request)
    if found is None:
        return _ended(request)
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
    identity_error: str = "",
    status: int = 200,
) -> HttpResponse:
    # A form sent back with its errors shows the latest messages, beside it.
    page = request.GET.get("messages") if request.method == "GET" else None
    messages = message_list_for_reporter(case, page)
    identity = reporter_identity_of(case)
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
            "support": _support_or_none([case.category_id] if case.category_id else [], case),
            "max_files": MAX_FILES,
            "max_mb": settings.SPEAKUP_EVIDENCE_MAX_BYTES // 1_000_000,
            "checkin": checkin_status(case).value,
            "deleted_on": deletion_date(case),
            "kept_days": content_days(case),
            "sent": request.method == "GET" and request.GET.get("sent") == "1",
            "idle_minutes": IDLE_SECONDS // 60,
            "idle_seconds": IDLE_SECONDS,
            "identity": identity,
            "reveal_reason": reveal_reason_open(case, identity) if identity else None,
            "identity_error": identity_error,
        },
        status=status,
    )


def follow_up_action(
    view: Callable[[HttpRequest, FollowUp, Case], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """A POST inside a live follow-up session, carrying that session's form key. When the
    session has ended, a message being sent is kept in the answer's token form."""

    @wraps(view)
    def wrapped(request: HttpRequest) -> HttpResponse:
        found = _followed_case(request)
        if found is None:
            return _ended(request, kept=str(request.POST.get("body", "")))
        if not form_key_ok(request, found[0]):
            return _ended(request)
        return view(request, *found)

    return csrf_exempt(reporter_page(require_POST(wrapped)))


@follow_up_action
def follow_up_reply(request: HttpRequest, session: FollowUp, case: Case) -> HttpResponse:
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _follow_up_page(request, session, case, reply_form=form, status=400)
    reporter_message_send(case=case, body=form.cleaned_data["body"])
    response = _to_case_page(sent=True)
    follow_up_refresh(response, session)
    return response


@follow_up_action
def follow_up_keep(request: HttpRequest, session: FollowUp, case: Case) -> HttpResponse:
    """ "Keep my follow-up open": counts as activity. The page's script asks with ``js=1`` and
    gets an empty answer; without a script the button's form comes back to the page."""
    response = HttpResponse(status=204) if request.POST.get("js") == "1" else _to_case_page()
    follow_up_refresh(response, session)
    return response


@follow_up_action
def follow_up_evidence(request: HttpRequest, session: FollowUp, case: Case) -> HttpResponse:
    """Add files to the report: all of them, or none with a clear error."""
    try:
        files = _clean_files(request)
        if not files:
            raise FileRejected(_("Choose a file to add."))
        if case.evidence.count() + len(files) > 4 * MAX_FILES:
            raise FileRejected(_("This report already has as many files as it can hold."))
    except FileRejected as error:
        return _follow_up_page(request, session, case, file_error=error.message, status=400)
    try:
        evidence_add_for_reporter(case=case, files=files)
    except FilesNotSaved as error:
        return _follow_up_page(
            request,
            session,
            case,
            file_error=f"{error.message} {_('Try again in a minute.')}",
            status=503,
        )
    response = _follow_up_page(request, session, case, files=files)
    follow_up_refresh(response, session)
    return response


def _checkin_page(
    request: HttpRequest,
    session: FollowUp,
    case: Case,
    *,
    form: CheckinForm | None = None,
    thanks: CheckinThanks | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """The check-in question, or, once answered, the thank-you and what happens next."""
    answered = thanks is not None or bool(case.checkin_answer)
    answer = thanks.answer if thanks is not None else case.checkin_answer
    new_case = thanks.new_case if thanks is not None else case.checkin_case_id is not None
    response = _render(
        request,
        "intake/checkin.html",
        {
            "case": case,
            "form": form or CheckinForm(),
            "form_key": session.form_key,
            "answered": answered,
            "said_yes": answer == CheckinAnswer.YES,
            "new_case": new_case,
            "page_error": error,
            "support": thanks.support
            if thanks is not None
            else _support_or_none([case.category_id] if case.category_id else [], case),
        },
        status=status,
    )
    follow_up_refresh(response, session)
    return response


@csrf_exempt
@reporter_page
@require_http_methods(["GET", "HEAD", "POST"])
def follow_up_checkin(request: HttpRequest) -> HttpResponse:
    """The check-in after closure (docs/decisions/0020-reporter-check-in.md): GET shows the
    question (or the thank-you once answered); POST, with the session's form key, records the
    answer once. Without a live session, or before the question is asked, the reporter gets
    the same answers as every other follow-up page."""
    found = _followed_case(request)
    if found is None or (request.method == "POST" and not form_key_ok(request, found[0])):
        return _render(request, "intake/follow_up_ended.html", {}, status=403)
    session, case = found
    status = checkin_status(case)
    if status is CheckinStatus.NOT_ASKED:
        return redirect("intake:follow_up_case")
    if request.method != "POST":
        event_record(case=case, code="case.viewed_by_reporter", at=reporter_time())
        return _checkin_page(request, session, case)
    if status is CheckinStatus.ANSWERED:
        return _checkin_page(request, session, case, status=409)
    form = CheckinForm(request.POST)
    if not form.is_valid():
        return _checkin_page(request, session, case, form=form, status=400)
    if not checkin_admit(request):
        return _render(request, "intake/busy.html", {}, status=429)
    try:
        thanks = checkin_answer(
            case=case,
            answer=CheckinAnswer(form.cleaned_data["answer"]),
            message=form.cleaned_data["message"],
        )
    except CheckinClosed:
        # Answered in another tab a moment ago: the thank-you, as for a double post.
        checkin_release(request)
        return _checkin_page(request, session, case_for_follow_up(case.pk), status=409)
    except CheckinNotSaved as error:
        checkin_release(request)
        return _checkin_page(
            request,
            session,
            case,
            form=form,
            error=f"{error.message} {_('Please send it again.')}",
            status=503,
        )
    return _checkin_page(request, session, case, thanks=thanks)


@follow_up_action
def follow_up_identity(request: HttpRequest, session: FollowUp, case: Case) -> HttpResponse:
    """A confidential reporter agrees that the people handling their report may see their
    name and contact details (docs/decisions/0031-confidential-reporting.md): only with the
    box ticked, once; a report made anonymously or by name has nothing to share."""
    if reporter_identity_of(case) is None:
        return redirect("intake:follow_up_case")
    if request.POST.get("agree") != "yes":
        return _follow_up_page(
            request,
            session,
            case,
            identity_error=_(
                "Tick the box to agree that the people handling your report may see your name"
            ),
            status=400,
        )
    identity_consent(case=case)
    response = redirect("intake:follow_up_case")
    follow_up_refresh(response, session)
    return response


@follow_up_action
def follow_up_sign_out(request: HttpRequest, session: FollowUp, case: Case) -> HttpResponse:
    response = _render(request, "intake/signed_out.html", {})
    follow_up_end(response)
    return response
