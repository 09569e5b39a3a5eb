"""The staff header's links by role: each shows only the links its role may follow, and the
header reads the viewer's roles once, not once for each link."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from permissions.roles import Role

LINKS = {
    "reports": "staff:reports",
    "access": "staff:access",
    "health": "staff:operations",
    "settings": "administration:index",
    "retention": "staff:retention",
    "confidential": "staff:confidential_list",
    "holds": "staff:holds",
}

# Written by hand from the roles' rules (permissions/predicates.py and docs/roles).
SHOWN = [
    ("handler", (Role.HANDLER,), set()),
    ("triage", (Role.TRIAGE_LEAD,), set()),
    ("investigator", (Role.EXTERNAL_INVESTIGATOR,), set()),
    ("governance", (Role.GOVERNANCE_LEAD,), {"reports", "holds"}),
    ("admin", (Role.ADMINISTRATOR,), {"reports", "access", "health", "settings", "retention"}),
    ("contact", (Role.CONFIDENTIAL_CONTACT,), {"confidential"}),
    ("adjudicator", (Role.APPEAL_DECISION_MAKER,), set()),
    ("governance-contact", (Role.GOVERNANCE_LEAD, Role.CONFIDENTIAL_CONTACT),
     {"reports", "holds", "confidential"}),
]  # fmt: skip


def _member(django_user_model, username, roles):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username=username, password="a-long-password-1")
    user.groups.add(*(Group.objects.get_or_create(name=role)[0] for role in roles))
    return user


def _menu(page: str) -> str:
    return re.search(r'<nav aria-label="Menu"[^>]*>(.*?)</nav>', page, re.S).group(1)


@pytest.mark.parametrize(("username", "roles", "shown"), SHOWN, ids=[row[0] for row in SHOWN])
def test_each_role_sees_only_its_links(django_user_model, sign_in, client, username, roles, shown):
    sign_in(_member(django_user_model, username, roles))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("staff:account"))
    assert response.status_code == 200
    menu = _menu(response.content.decode())
    links = {name for name, url in LINKS.items() if f'href="{reverse(url)}"' in menu}
    assert links == shown
    # The roles are read once for the whole header (seven reads before, one for each link).
    roles_read = [q for q in captured if 'SELECT "auth_group"."name" AS "name"' in q["sql"]]
    assert len(roles_read) == 1


def test_a_role_taken_away_takes_its_links_with_it_on_the_next_page(
    django_user_model, sign_in, client
):
    from django.contrib.auth.models import Group

    user = _member(django_user_model, "governance", (Role.GOVERNANCE_LEAD,))
    sign_in(user)
    assert f'href="{reverse("staff:reports")}"' in _menu(client.get("/staff/account/").text)
    user.groups.remove(Group.objects.get(name=Role.GOVERNANCE_LEAD))
    assert f'href="{reverse("staff:reports")}"' not in _menu(client.get("/staff/account/").text)
