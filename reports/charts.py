"""Charts drawn on the server as SVG with matplotlib, from published numbers only.

Text stays text (``svg.fonttype = 'none'``), the colours are the Okabe-Ito palette (told
apart with the common colour-vision deficiencies) and every bar carries its number, so the
chart never relies on colour alone. The SVG is made safe to put inline under the strict
content security policy (``style-src 'self'``): matplotlib's ``<style>`` element and every
``style`` attribute are turned into SVG presentation attributes, which CSP does not block.
"""

from __future__ import annotations

import io
import re
import threading
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

from reports.disclosure import Published

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")
# matplotlib's global settings are not thread-safe: one drawing at a time.
_LOCK = threading.Lock()
_RC: Any = {
    "svg.fonttype": "none",
    "svg.hashsalt": "speak-up",  # stable ids, so the same numbers give the same file
    "font.family": "DejaVu Sans",
    "font.size": 10,
}


def chart_svg(table: Published, *, stacked: bool = False) -> str:
    """A horizontal bar chart of ``table``: a group of bars per row, a bar per column.
    Hidden numbers are drawn as nothing and labelled "[c]"."""
    rows, columns = table.rows, table.columns
    height = max(2.2, 0.45 * len(rows) * max(1, len(columns) if not stacked else 1) + 1.2)
    with _LOCK, matplotlib.rc_context(_RC):
        figure = Figure(figsize=(7.5, height))
        axes = figure.add_subplot()
        band = 0.8 / (1 if stacked else max(1, len(columns)))
        lefts = [0.0] * len(rows)
        for c, column in enumerate(columns):
            values = [table.cells[r][c] for r in range(len(rows))]
            widths = [v or 0 for v in values]
            positions = [
                r + (0 if stacked else (c - (len(columns) - 1) / 2) * band)
                for r in range(len(rows))
            ]
            bars = axes.barh(
                positions,
                widths,
                height=band,
                left=lefts if stacked else None,
                color=PALETTE[c % len(PALETTE)],
                label=column,
            )
            axes.bar_label(
                bars,
                labels=["[c]" if v is None else str(v) for v in values],
                label_type="center" if stacked else "edge",
                padding=3,
                color="#ffffff" if stacked else "#0b0c0c",
            )
            if stacked:
                lefts = [a + b for a, b in zip(lefts, widths, strict=True)]
        axes.set_yticks(range(len(rows)), rows)
        axes.invert_yaxis()
        axes.set_xlabel("Cases (rounded to the nearest 5)")
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        if len(columns) > 1:
            axes.legend(
                frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=len(columns)
            )
        figure.tight_layout()
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return inline_safe(out.getvalue())


_STYLE_ATTR = re.compile(r'\sstyle="([^"]*)"')
_STYLE_ELEMENT = re.compile(r"<style[^>]*>.*?</style>", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>", re.S)
_FONT = re.compile(
    r"^(?:(?P<style>italic|oblique|normal)\s+)?(?:(?P<weight>bold|\d00)\s+)?"
    r"(?P<size>[\d.]+)px\s+(?P<family>.+)$"
)


def _attributes(style: str) -> str:
    out = []
    for declaration in style.split(";"):
        if ":" not in declaration:
            continue
        name, value = (part.strip() for part in declaration.split(":", 1))
        value = value.replace('"', "'")
        if name == "font":
            found = _FONT.match(value)
            if found:
                out.append(f'font-size="{found["size"]}"')
                out.append(f'font-family="{found["family"]}"')
                if found["weight"]:
                    out.append(f'font-weight="{found["weight"]}"')
            continue
        out.append(f'{name}="{value}"')
    return (" " + " ".join(out)) if out else ""


def inline_safe(svg: str) -> str:
    """The SVG without an XML prologue, a ``<style>`` element or any ``style`` attribute."""
    svg = svg[svg.index("<svg") :]
    svg = _STYLE_ELEMENT.sub("", svg)
    svg = _METADATA.sub("", svg)
    svg = _STYLE_ATTR.sub(lambda m: _attributes(m.group(1)), svg)
    # The ``*{stroke-linejoin: round; stroke-linecap: butt}`` rule the element held:
    return svg.replace("<svg ", '<svg stroke-linejoin="round" stroke-linecap="butt" ', 1)
