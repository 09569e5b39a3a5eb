"""The suite's items, one module each, in the order they run. An item module defines
``ITEM = Item(...)``; its ``measure(context, rounds)`` returns a ``Measurement``."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

from bench.harness import Measurement


@dataclass(frozen=True)
class Context:
    scale: int  # cases in the database
    vendor: str  # "sqlite" or "postgresql"
    handler_id: int  # the user whose list is measured
    handler_cases: int  # the cases granted to that user


@dataclass(frozen=True)
class Item:
    id: str  # "B1"
    title: str
    measure: Callable[[Context, int], Measurement]


def items() -> list[Item]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        item = getattr(module, "ITEM", None)
        if isinstance(item, Item):
            found.append(item)
    return sorted(found, key=lambda item: int(item.id.lstrip("B")))
