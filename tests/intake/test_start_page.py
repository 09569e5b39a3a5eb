import pytest

from cases.models import CaseType
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
    assert "not investigated" in text  # the plain notice for trend-only reports


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
