"""What the reporter pages show, as kinds of setting (``permissions.settings_changes``): the
branding, the corporate network ranges, support resources and campaigns. Each reads its
row's values, makes new ones, and says when a change weakens protection: only dropping a
corporate network range does (reporters on it would no longer be warned that the
organisation's network may see them).

Values are setting values only: texts the organisation shows, a colour, a logo (as base64,
so that a change waiting for a second person holds what it will make), address ranges.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
from typing import Any

from intake.models import Branding, Campaign, SupportResource
from permissions.settings_changes import SettingsRefused, Subject, Values, settings_row_save
from permissions.settings_changes import settings_row_locked as _locked

BRANDING_FIELDS = (
    "organisation_name",
    "organisation_name_cy",
    "welcome",
    "welcome_cy",
    "colour",
    "logo",
    "logo_type",
)
SUPPORT_FIELDS = (
    "title",
    "title_cy",
    "description",
    "description_cy",
    "link",
    "phone",
    "categories",
    "stages",
    "position",
    "is_active",
)
CAMPAIGN_FIELDS = ("title", "title_cy", "message", "message_cy", "starts_on", "ends_on")


def _branding_locked() -> Branding | None:
    return Branding.objects.select_for_update().order_by("pk").first()


# --- Branding ---------------------------------------------------------------------------------


def _branding_values(row: Branding | None) -> Values:
    if row is None:
        return {}
    values: Values = {name: getattr(row, name) for name in BRANDING_FIELDS if name != "logo"}
    values["logo"] = base64.b64encode(bytes(row.logo)).decode() if row.logo else ""
    return values


def _branding_apply(target_id: int | None, after: Values) -> int:
    row = _branding_locked() or Branding()
    for name in BRANDING_FIELDS:
        if name in after and name != "logo":
            setattr(row, name, after[name])
    if "logo" in after:
        row.logo = base64.b64decode(after["logo"]) if after["logo"] else None
    return settings_row_save(row)


BRANDING = Subject(
    key="branding",
    current=lambda target: _branding_values(_branding_locked()),
    apply=_branding_apply,
)


# --- Corporate network ranges -----------------------------------------------------------------


def networks_of(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(line.strip(), strict=False)
        for line in text.splitlines()
        if line.strip()
    ]


def networks_weaken(before: Values, after: Values) -> str:
    """Whether a range that was warned about is no longer wholly covered: reporters on it
    would not be told the organisation's network may see them."""
    new = networks_of(after.get("corporate_networks", ""))
    dropped = [
        str(old)
        for old in networks_of(before.get("corporate_networks", ""))
        if not any(old.version == n.version and old.subnet_of(n) for n in new)  # type: ignore[arg-type]
    ]
    if not dropped:
        return ""
    return "Reporters on " + ", ".join(dropped) + " would no longer be warned."


def _networks_values(row: Branding | None) -> Values:
    return {"corporate_networks": row.corporate_networks} if row is not None else {}


def _networks_apply(target_id: int | None, after: Values) -> int:
    row = _branding_locked() or Branding()
    row.corporate_networks = after["corporate_networks"]
    return settings_row_save(row)


NETWORKS = Subject(
    key="networks",
    current=lambda target: _networks_values(_branding_locked()),
    apply=_networks_apply,
    weakens=networks_weaken,
)


# --- Support resources and campaigns ----------------------------------------------------------


def _support_values(row: SupportResource | None) -> Values:
    if row is None:
        return {}
    values: Values = {name: getattr(row, name) for name in SUPPORT_FIELDS if name != "categories"}
    values["categories"] = sorted(row.categories.values_list("pk", flat=True))
    values["stages"] = sorted(row.stages or [])
    return values


def _support_apply(target_id: int | None, after: Values) -> int:
    row = _locked(SupportResource.objects.all(), target_id) or SupportResource()
    for name in SUPPORT_FIELDS:
        if name != "categories":
            setattr(row, name, after[name])
    pk = settings_row_save(row)
    row.categories.set(after["categories"])
    return pk


SUPPORT = Subject(
    key="support",
    current=lambda target: _support_values(_locked(SupportResource.objects.all(), target)),
    apply=_support_apply,
)


def _campaign_values(row: Campaign | None) -> Values:
    if row is None:
        return {}
    values: dict[str, Any] = {name: getattr(row, name) for name in CAMPAIGN_FIELDS}
    values["starts_on"] = row.starts_on.isoformat()
    values["ends_on"] = row.ends_on.isoformat()
    return values


def _campaign_apply(target_id: int | None, after: Values) -> int:
    row = _locked(Campaign.objects.all(), target_id) or Campaign()
    for name in CAMPAIGN_FIELDS:
        setattr(row, name, after[name])
    row.starts_on = dt.date.fromisoformat(after["starts_on"])
    row.ends_on = dt.date.fromisoformat(after["ends_on"])
    if row.ends_on < row.starts_on:
        raise SettingsRefused("A campaign must end on or after the day it starts.")
    return settings_row_save(row)


CAMPAIGN = Subject(
    key="campaign",
    current=lambda target: _campaign_values(_locked(Campaign.objects.all(), target)),
    apply=_campaign_apply,
)

SUBJECTS = (BRANDING, NETWORKS, SUPPORT, CAMPAIGN)
