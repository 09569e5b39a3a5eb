import html
import re
from html.parser import HTMLParser

import pytest

from cases.models import CaseType
from intake.models import Branding, Campaign, SupportResource
from tests.builders import make_case_type


@pytest.mark.django_db
def test_the_start_page_lists_open_case_types_only(client):
    make_case_type(name="Whistleblowing", description="Wrongdoing in the public interest.")
    make_case_type(name="Closed type", is_active=False)
    make_case_type(name="Trends", workflow="trend_only")
    page = client.get("/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Wrongdoing in the public interest." in text
    assert "Closed type" not in text
    assert "Nobody looks into them or contacts you about them." in text  # trends only


@pytest.mark.django_db
def test_the_start_page_sets_no_cookie_and_is_not_cached(client):
    CaseType.objects.all()
    page = client.get("/")
    assert page.cookies == {}
    assert "no-store" in page["Cache-Control"]
    assert page["Referrer-Policy"] == "no-referrer"


@pytest.mark.django_db
def test_the_start_page_loads_nothing_from_elsewhere(client):
    make_case_type()
    text = client.get("/").content.decode()
    for outside in ("http:", "https:", 'src="//', 'href="//'):
        assert outside not in text


@pytest.mark.django_db
def test_the_start_page_refuses_post(client):
    assert client.post("/").status_code == 405


@pytest.mark.django_db
def test_reporters_on_the_work_network_are_told_so_and_nothing_is_recorded(client):
    from intake.models import Branding
    from tests.dbdump import dump_values

    Branding.objects.create(
        organisation_name="Dept", corporate_networks="10.20.0.0/16\n192.0.2.0/24"
    )
    inside = client.get("/", REMOTE_ADDR="10.20.3.4").content.decode()
    outside = client.get("/", REMOTE_ADDR="198.51.100.1").content.decode()
    assert "organisation's own network" in inside
    assert "organisation's own network" not in outside
    assert not any(b"10.20.3.4" in value for _, value in dump_values())


@pytest.mark.django_db
def test_branding_sets_the_name_colour_and_logo(client):
    import io

    from PIL import Image

    from intake.models import Branding

    logo = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(logo, "PNG")
    Branding.objects.create(
        organisation_name="Ministry of Examples",
        colour="#005a30",
        logo=logo.getvalue(),
        logo_type="image/png",
    )
    page = client.get("/").content.decode()
    assert "Ministry of Examples" in page and 'src="/logo"' in page
    assert (
        client.get("/brand.css")
        .content.decode()
        .startswith(".speakup-header{background-color:#005a30")
    )
    served = client.get("/logo")
    assert (
        served["Content-Type"] == "image/png"
        and served["Content-Security-Policy"] == "default-src 'none'"
    )


@pytest.mark.django_db
def test_a_tampered_colour_never_reaches_the_style_sheet(client):
    from intake.models import Branding

    Branding.objects.create(colour="0}*{a:b")  # seven characters, as the column allows
    css = client.get("/brand.css").content.decode()
    assert "*{" not in css and "#1d70b8" in css
    assert client.get("/logo").status_code == 404


def test_a_bad_network_range_is_refused_by_the_admin_form():
    from django.core.exceptions import ValidationError

    from intake.models import validate_networks

    validate_networks("10.0.0.0/8\n\n2001:db8::/32")
    with pytest.raises(ValidationError):
        validate_networks("not a range")


# --- Plain English (issue 16 §3) -------------------------------------------------------------

# Where a run of text ends: a new block of the page, whatever its tags.
_BLOCKS = {
    "p",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "div",
    "dt",
    "dd",
    "legend",
    "label",
    "footer",
    "header",
    "section",
    "main",
    "ul",
    "ol",
    "form",
    "button",
    "title",
    "strong",
    "a",
    "span",
}


class _Blocks(HTMLParser):
    """The page's visible text, one string per block (the head and scripts left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._text: list[str] = []
        self._skip = 0

    def _end_block(self) -> None:
        text = " ".join("".join(self._text).split())
        if text:
            self.blocks.append(text)
        self._text = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("head", "script", "style"):
            self._skip += 1
        elif tag in _BLOCKS:
            self._end_block()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("head", "script", "style"):
            self._skip -= 1
        elif tag in _BLOCKS:
            self._end_block()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._text.append(data)


def sentences(page: str) -> list[str]:
    """The sentences a reader meets on the page: each block of text cut after ".", "!" or
    "?" (a list item is a sentence of its own)."""
    reader = _Blocks()
    reader.feed(html.unescape(page))
    reader.close()
    found = []
    for block in reader.blocks:
        found += [s.strip() for s in re.split(r"(?<=[.!?])\s+", block) if s.strip()]
    return found


@pytest.fixture
def start_page_cast(db):
    """Every kind of thing the start page can show: two kinds that are looked into, two for
    trends only, a campaign, a support resource, and a reporter on the work network."""
    from django.utils import timezone

    make_case_type(name="Whistleblowing", workflow="whistleblowing")
    make_case_type(name="Bullying and harassment", workflow="bullying")
    make_case_type(name="Trends", workflow="trend_only")
    make_case_type(name="Staff survey", workflow="trend_only")
    Branding.objects.create(organisation_name="Acme", corporate_networks="10.0.0.0/8")
    today = timezone.localdate()
    Campaign.objects.create(
        title="Respect week", message="Tell us.", starts_on=today, ends_on=today
    )
    SupportResource.objects.create(title="Helpline", description="Call us.")


@pytest.mark.parametrize("path", ["/", "/cy/"])
def test_the_start_page_is_in_plain_short_sentences_said_once(client, start_page_cast, path):
    page = client.get(path, REMOTE_ADDR="10.1.2.3").content.decode()
    said = sentences(page)
    assert len(said) > 20  # the reader really read the page
    if path == "/":
        too_long = [s for s in said if len(s.split()) >= 25]
        assert too_long == []
        # The case token is explained where it is first named.
        assert "It is a code of letters and numbers that only you will have." in said
    repeated = sorted({s for s in said if said.count(s) > 1})
    assert repeated == []
    assert "trend mapping" not in page.lower()
    assert "mapio" not in page.lower()


def test_the_sentence_reader_finds_a_long_and_a_repeated_sentence():
    page = (
        "<p>One short sentence. " + "word " * 25 + "end.</p>"
        "<ul><li>a list item;</li><li>a list item;</li></ul>"
    )
    said = sentences(page)
    assert said == [
        "One short sentence.",
        ("word " * 25 + "end.").strip(),
        "a list item;",
        "a list item;",
    ]
