"""Template helpers for the two languages of the reporter side (``intake/language.py``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from intake import language

register = template.Library()


@register.filter
def org(obj: object, field: str) -> language.OrgText:
    """``{{ branding|org:"welcome" }}``: the organisation's text in the page's language."""
    return language.org_text(obj, field)


@register.filter
def lang_attr(value: object) -> SafeString:
    """`` lang="en"`` for a text that is not in the page's language, else nothing."""
    lang = getattr(value, "lang", "")
    return format_html(' lang="{}"', lang) if lang else SafeString("")


@register.inclusion_tag("intake/includes/language_switch.html", takes_context=True)
def language_switch(
    context: template.Context, form_id: str = "", action: str = "", change: bool = False
) -> dict[str, Any]:
    """The switcher: the current language, and a link to the other one. With ``form_id``, a
    button that posts that form to ``action`` (the same page in the other language) instead,
    so what was typed comes along; ``change`` posts it as "change your answers" (the form
    again, not checked)."""
    request: HttpRequest = context["request"]
    other = language.other_language()
    return {
        "current_name": language.NAMES[translation_of(other)],
        "other_name": language.NAMES[other],
        "other_lang": "cy" if other == language.WELSH else "en",
        "other_url": action or language.switch_url(request),
        "form_id": form_id,
        "change": change,
    }


def translation_of(other: str) -> str:
    return language.ENGLISH if other == language.WELSH else language.WELSH


@register.simple_tag
def url_in_other_language(name: str, *args: Any) -> str:
    """``{% url %}`` in the other language."""
    return language.url_in(language.other_language(), name, *args)
