"""English and Welsh on the reporter side (docs/decisions/0025-welsh.md).

The language rides in the address: English at ``/``, Welsh at ``/cy/``, so nothing needs a
cookie to remember it. The switcher on each page points at the same page in the other
language; a page that answered a form points where a GET can go (the form's own page, or the
follow-up page), and the report form and check-your-answers pages post their answers to the
other language instead (their templates), so switching loses nothing typed.

Organisation texts (branding, case types, categories, units, support) have a Welsh version
each; when it is empty the English is shown and marked ``lang="en"``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import Resolver404, resolve, reverse
from django.utils import translation

WELSH = "cy"
ENGLISH = settings.LANGUAGE_CODE
# Each language's name in itself, as the switcher shows it.
NAMES = {ENGLISH: "English", WELSH: "Cymraeg"}
# Answers to a POST whose address a GET cannot open: where the switcher goes instead.
_AFTER_POST = {
    "follow_up_reply": "intake:follow_up_case",
    "follow_up_evidence": "intake:follow_up_case",
    "follow_up_sign_out": "intake:start",
    "receipt": "intake:start",
    # The token page: a GET shows it again from its short-lived cookie.
    "send": "intake:token",
}
# Pages that answer a GET at the address a POST went to.
_GET_TOO = {"token", "follow_up", "follow_up_checkin", "receipt_check", "report"}


def other_language() -> str:
    return ENGLISH if translation.get_language() == WELSH else WELSH


def url_in(language: str, name: str, *args: Any) -> str:
    """``reverse(name, args)`` in ``language``: ``/cy/...`` for Welsh."""
    with translation.override(language):
        return reverse(name, args=args)


def switch_url(request: HttpRequest) -> str:
    """This page in the other language, or where a GET in the other language can go."""
    other = other_language()
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return url_in(other, "intake:start")
    if match.namespace != "intake":
        return url_in(other, "intake:start")
    if request.method in ("GET", "HEAD") or match.url_name in _GET_TOO:
        return url_in(other, f"intake:{match.url_name}", *match.args, *match.kwargs.values())
    return url_in(other, _AFTER_POST.get(match.url_name or "", "intake:start"))


class OrgText(str):
    """An organisation's text in the page's language when it has one; ``lang`` names the
    language it is in when that is not the page's (``"en"``: no Welsh version yet). A string,
    so it goes wherever the text went before (form labels, choices, receipts)."""

    lang: str

    def __new__(cls, text: str, lang: str = "") -> OrgText:
        made = super().__new__(cls, text)
        made.lang = lang
        return made


def org_text(obj: object, field: str) -> OrgText:
    """``obj.<field>`` in the active language: the Welsh version ``<field>_cy`` on Welsh pages
    when it is filled in, else the English, marked as English on a Welsh page."""
    return org_words(getattr(obj, field, ""), getattr(obj, f"{field}_cy", ""))


def org_words(english: str, welsh: str = "") -> OrgText:
    """An organisation's words in the active language: ``welsh`` on Welsh pages when it is
    filled in, else ``english``, marked as English on a Welsh page."""
    english = str(english or "")
    if translation.get_language() != WELSH:
        return OrgText(english)
    welsh = str(welsh or "").strip()
    if welsh:
        return OrgText(welsh)
    return OrgText(english, "en" if english else "")
