"""The page where anyone checks a receipt: a reporter, or someone they show it to (issue 16).

A receipt (``intake/receipts.py``) names no case and no person, so checking one looks nothing
up: the page verifies the signature and says what the receipt says, to the day. Nothing typed or
uploaded is kept or logged, and the page sets no cookie. The upload is held in memory, and only
up to ``RECEIPT_MAX_BYTES``: a receipt is a few hundred bytes.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from intake.receipts import receipt_read
from intake.uploads import BoundedMemoryUploadHandler
from intake.views import _render, reporter_page  # every reporter page renders through it

RECEIPT_MAX_BYTES = 8 * 1024


class ReceiptUploadHandler(BoundedMemoryUploadHandler):
    """The evidence handler's rules (in memory, a file over the limit dropped and named), with a
    receipt's limit."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.limit = RECEIPT_MAX_BYTES


class ReceiptCheckForm(forms.Form):
    receipt_file = forms.FileField(required=False, label=gettext_lazy("Upload the receipt"))
    receipt_text = forms.CharField(
        required=False,
        max_length=RECEIPT_MAX_BYTES,
        label=gettext_lazy("Or paste the receipt's text"),
        widget=forms.Textarea,
    )

    def __init__(self, *args: Any, oversized: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.oversized = oversized

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload, pasted = data.get("receipt_file"), (data.get("receipt_text") or "").strip()
        if self.oversized:
            self.add_error("receipt_file", _("The file is too big to be a receipt."))
        elif upload and pasted:
            self.add_error("receipt_file", _("Upload the receipt or paste its text, not both."))
        elif upload:
            try:
                data["text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                self.add_error(
                    "receipt_file",
                    _("The file is not a receipt. Choose the text file you downloaded."),
                )
        elif pasted:
            data["text"] = pasted
        elif not self.errors:
            self.add_error("receipt_file", _("Upload the receipt, or paste its text into the box."))
        return data


@csrf_exempt  # changes nothing and acts in no session: nothing for another site to ride on
@reporter_page
@require_http_methods(["GET", "POST"])
def receipt_check(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _render(request, "intake/receipt_check.html", {"form": ReceiptCheckForm()})
    request.upload_handlers = [ReceiptUploadHandler(request)]
    posted, files = request.POST, request.FILES  # parsed here, through the handler above
    form = ReceiptCheckForm(
        posted, files, oversized=bool(getattr(request, "oversized_uploads", []))
    )
    if not form.is_valid():
        return _render(request, "intake/receipt_check.html", {"form": form}, status=400)
    receipt = receipt_read(form.cleaned_data["text"])
    return _render(request, "intake/receipt_checked.html", {"receipt": receipt})
