"""Structured log lines for this app: an event name, then ``key=value`` pairs of ids, codes
and counts (also kept as the record's attributes for a JSON formatter). Never content."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any


class StructuredLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        fields = kwargs.get("extra") or {}
        if fields:
            msg = f"{msg} " + " ".join(f"{key}={value}" for key, value in fields.items())
        return msg, kwargs


log = StructuredLog(logging.getLogger("speakup.notifications"), {})
