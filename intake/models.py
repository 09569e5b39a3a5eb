"""What the reporter side shows and remembers: branding, support resources, and the one-use
keys that stop a report being filed twice. Nothing here identifies a reporter."""

from __future__ import annotations

import ipaddress

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.history import history_records
from cases.models import Category, HistoryTrackedQuerySet


def validate_networks(value: str) -> None:
    for line in value.splitlines():
        if line.strip():
            try:
                ipaddress.ip_network(line.strip(), strict=False)
            except ValueError:
                raise ValidationError(
                    _("%(line)s is not an address range."), params={"line": line}
                ) from None


class Branding(models.Model):
    """How the reporter pages look and greet people; one row, edited by administrators."""

    organisation_name = models.CharField(max_length=120, default="Your organisation")
    welcome = models.TextField(
        blank=True, help_text=_("Shown at the top of the start page, in plain words.")
    )
    # Welsh versions for the Welsh reporter pages (/cy/); empty, the English is shown, marked
    # as English (docs/decisions/0025-welsh.md).
    organisation_name_cy = models.CharField(
        _("organisation name in Welsh"), max_length=120, blank=True
    )
    welcome_cy = models.TextField(_("welcome in Welsh"), blank=True)
    colour = models.CharField(
        max_length=7,
        default="#1d70b8",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour like #1d70b8."))],
        help_text=_("The header colour. Pick one that white text can be read on."),
    )
    logo = models.BinaryField(null=True, blank=True, editable=True)
    logo_type = models.CharField(max_length=32, blank=True)
    corporate_networks = models.TextField(
        blank=True,
        validators=[validate_networks],
        help_text=_(
            "Address ranges of the organisation's own network, one a line (e.g. 10.0.0.0/8). "
            "Reporters on them are told so; it is never recorded."
        ),
    )

    objects = HistoryTrackedQuerySet.as_manager()
    history = history_records(excluded_fields=["logo"])

    class Meta:
        verbose_name_plural = "branding"

    def __str__(self) -> str:
        return self.organisation_name

    def on_corporate_network(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(
            ip in ipaddress.ip_network(line.strip(), strict=False)
            for line in self.corporate_networks.splitlines()
            if line.strip()
        )


def branding() -> Branding:
    found = Branding.objects.first()
    return found if found is not None else Branding()


class SupportResource(models.Model):
    """Help offered beside the form, after a report and on the follow-up page."""

    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    title_cy = models.CharField(_("title in Welsh"), max_length=120, blank=True)
    description_cy = models.TextField(_("description in Welsh"), blank=True)
    link = models.URLField(blank=True, help_text=_("A web address, if there is one."))
    phone = models.CharField(max_length=40, blank=True)
    categories = models.ManyToManyField(
        Category, blank=True, help_text=_("Shown for these categories; none means everywhere.")
    )
    # Where a case is ("workflow:state", e.g. "bullying:formal_investigation"): shown on the
    # follow-up page of a case at one of these stages; none means at every stage.
    stages = models.JSONField(default=list, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    objects = HistoryTrackedQuerySet.as_manager()
    history = history_records()

    class Meta:
        ordering = ("position", "title")

    def __str__(self) -> str:
        return self.title


class Campaign(models.Model):
    """A message on the start page for a while (an anti-bullying week), from its first day to
    its last, inclusive."""

    title = models.CharField(max_length=120)
    message = models.TextField()
    title_cy = models.CharField(_("title in Welsh"), max_length=120, blank=True)
    message_cy = models.TextField(_("message in Welsh"), blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField()

    objects = HistoryTrackedQuerySet.as_manager()
    history = history_records()

    class Meta:
        ordering = ("starts_on", "title")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="campaign_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return self.title


class SubmissionKey(models.Model):
    """A used check-your-answers form: a second press of "Send" files nothing twice.

    Holds an HMAC of the form's random key and the day it was used, nothing else.
    """

    digest = models.BinaryField(max_length=32, unique=True)
    used_on = models.DateField(db_index=True)

    def __str__(self) -> str:
        return f"submission key used {self.used_on}"
