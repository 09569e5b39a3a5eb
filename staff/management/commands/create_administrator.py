"""Make one of the first administrators of a new deployment, from the server's command line.

Role changes otherwise need two administrators (the staff access page), so a deployment starts
with two made here by the operator (who holds the master keys anyway). Refused once two active
administrators exist. The account gets no password: the command prints a one-time link to set
one, and the second factor is set up at the first sign-in.
"""

from __future__ import annotations

from typing import Any

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse

from permissions.audit import staff_event_record
from permissions.roles import Role
from permissions.services import account_create, role_grant

FIRST_ADMINISTRATORS = 2


class Command(BaseCommand):
    help = "Create one of the first two administrators (prints a link to set the password)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", required=True)
        parser.add_argument(
            "--base-url",
            default="",
            help="The service's address, e.g. https://speakup.example.org, to print a full link.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        existing = User.objects.filter(
            is_active=True, groups__name=Role.ADMINISTRATOR.value
        ).count()
        if existing >= FIRST_ADMINISTRATORS:
            raise CommandError(
                "There are already two administrators: give the role on the staff access page "
                "(one proposes, another confirms)."
            )
        if User.objects.filter(username__iexact=options["username"]).exists():
            raise CommandError("An account with that username exists already.")
        with transaction.atomic():
            user = account_create(actor=None, username=options["username"], email=options["email"])
            role_grant(user=user, role=Role.ADMINISTRATOR, actor=None)
            staff_event_record(
                code="access.bootstrapped",
                actor=None,
                user=user,
                payload={"role": Role.ADMINISTRATOR.name},
            )
        path = reverse(
            "account_reset_password_from_key",
            kwargs={
                "uidb36": user_pk_to_url_str(user),
                "key": default_token_generator.make_token(user),
            },
        )
        self.stdout.write(f"Administrator {user.username} created.")
        self.stdout.write(
            f"Give them this link to set a password (it works once): "
            f"{options['base_url'].rstrip('/')}{path}"
        )
        self.stdout.write("They set up their second factor when they first sign in.")
