"""The operator makes the first two administrators from the command line, and no more."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from permissions.models import StaffEvent
from permissions.roles import Role, roles_of


def _create(username):
    out = StringIO()
    call_command("create_administrator", username, email=f"{username}@example.org", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_first_two_administrators_come_from_the_command_line_and_no_more():
    output = _create("alice")
    alice = User.objects.get(username="alice")
    assert roles_of(alice) == {Role.ADMINISTRATOR} and alice.is_staff
    assert not alice.has_usable_password() and not alice.is_superuser
    assert StaffEvent.objects.filter(code="access.bootstrapped", user=alice).count() == 1
    # The printed link sets a password once; the first sign-in then sets up the second factor.
    path = output.split("(it works once): ")[1].split()[0]
    browser = Client()
    form = browser.get(path, follow=True)
    browser.post(
        form.redirect_chain[-1][0],
        {"password1": "Alice-password-2026", "password2": "Alice-password-2026"},
    )
    step = browser.post("/accounts/login/", {"login": "alice", "password": "Alice-password-2026"})
    assert step["Location"] == "/accounts/2fa/enrol/"
    _create("bob")
    with pytest.raises(CommandError, match="already two administrators"):
        _create("carol")
    assert not User.objects.filter(username="carol").exists()
