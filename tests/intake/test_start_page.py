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
