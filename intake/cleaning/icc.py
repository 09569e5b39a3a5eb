"""ICC colour profiles without the details that name a device, a person or a date.

A profile says how a picture's numbers become colours, and pictures keep theirs so colours
stay right. But a profile made for one screen or camera also names it: the device make and
model in the header and in ``dmnd``/``dmdd``/``mmod`` tags, a description such as "DELL
U2720Q calibrated", the date it was made, the software that made it (``calt``, ``meta``...).
``icc_neutral`` rebuilds a profile from its colour tags alone, with a fixed description,
zeroed device, creator and date fields, and no profile ID (ICC.1:2022 section 7.2: an ID of
zero means "not computed").
"""

from __future__ import annotations

import re
import struct
from typing import Final

from intake.cleaning.common import Malformed

MAX_PROFILE_BYTES: Final = 4_000_000
_MAX_TAGS: Final = 200
_HEADER_BYTES: Final = 128
NEUTRAL_DESCRIPTION: Final = "Colour profile"

# Tags that take part in colour conversion (ICC.1:2022 section 9.2). Everything else is
# dropped: descriptions, device names, dates, calibration targets and private tags.
_COLOUR_TAGS: Final = frozenset(
    re.findall(
        rb"\S+",
        b"A2B0 A2B1 A2B2 A2B3 B2A0 B2A1 B2A2 B2A3 D2B0 D2B1 D2B2 D2B3 B2D0 B2D1 B2D2 B2D3 "
        b"rXYZ gXYZ bXYZ rTRC gTRC bTRC kTRC wtpt bkpt chad chrm cicp clro clrt clot gamt "
        b"lumi meas ncl2 pre0 pre1 pre2 rig0 rig2 view",
    )
)
_DEVICE_TAGS: Final = frozenset({b"dmnd", b"dmdd", b"mmod"})
_DATE_TAGS: Final = frozenset({b"calt"})
_DEVICE: Final = "device named in the colour profile"
_DATE: Final = "date in the colour profile"


def icc_neutral(profile: bytes) -> tuple[bytes, list[str]]:
    """The profile with only its colour tags, and what it held besides them, in plain words.

    Raises ``Malformed`` for anything that is not a well-formed ICC profile.
    """
    if not _HEADER_BYTES + 4 <= len(profile) <= MAX_PROFILE_BYTES or profile[36:40] != b"acsp":
        raise Malformed
    (declared,) = struct.unpack(">I", profile[:4])
    (count,) = struct.unpack(">I", profile[128:132])
    if declared > len(profile) or count > _MAX_TAGS or 132 + 12 * count > declared:
        raise Malformed
    found: list[str] = []
    header = bytearray(profile[:_HEADER_BYTES])
    if any(header[48:56]):
        found.append(_DEVICE)
    if any(header[24:36]):
        found.append(_DATE)
    if any(header[4:8]) or any(header[40:44]) or any(header[80:84]):
        found.append("software named in the colour profile")
    for start, end in ((4, 8), (24, 36), (40, 44), (48, 56), (80, 100), (100, 128)):
        header[start:end] = bytes(end - start)
    kept: list[tuple[bytes, bytes]] = []
    for number in range(count):
        signature, offset, size = struct.unpack(
            ">4sII", profile[132 + 12 * number : 144 + 12 * number]
        )
        if offset + size > declared or size < 8:
            raise Malformed
        if signature in _COLOUR_TAGS:
            kept.append((signature, profile[offset : offset + size]))
        elif signature in _DEVICE_TAGS:
            found.append(_DEVICE)
        elif signature in _DATE_TAGS:
            found.append(_DATE)
        elif signature == b"desc":
            found.append("colour profile description")
        elif signature != b"cprt":
            found.append("other colour profile details")
    version = header[8]
    kept += [
        (b"desc", _text_tag(NEUTRAL_DESCRIPTION, version, description=True)),
        (b"cprt", _text_tag("", version, description=False)),
    ]
    return _assemble(header, kept), list(dict.fromkeys(found))


def _text_tag(text: str, version: int, *, description: bool) -> bytes:
    """A text tag as the profile's version expects it (ICC.1:2001-04 and ICC.1:2022)."""
    if version >= 4:
        encoded = text.encode("utf-16-be")
        return (
            b"mluc"
            + struct.pack(">IIIHHII", 0, 1, 12, 0x656E, 0x5553, len(encoded), 28)
            + (encoded)
        )
    ascii_text = text.encode("ascii") + b"\x00"
    if not description:
        return b"text" + bytes(4) + ascii_text
    # textDescriptionType: ASCII, then empty Unicode and ScriptCode descriptions.
    return (
        b"desc" + bytes(4) + struct.pack(">I", len(ascii_text)) + ascii_text + bytes(8) + bytes(70)
    )


def _assemble(header: bytearray, tags: list[tuple[bytes, bytes]]) -> bytes:
    table = struct.pack(">I", len(tags))
    data = b""
    offset = _HEADER_BYTES + 4 + 12 * len(tags)
    shared: dict[bytes, int] = {}  # identical data (rTRC = gTRC = bTRC) is stored once
    for signature, content in tags:
        if content not in shared:
            shared[content] = offset + len(data)
            data += content + bytes(-len(content) % 4)
        table += struct.pack(">4sII", signature, shared[content], len(content))
    profile = header + table + data
    profile[:4] = struct.pack(">I", len(profile))
    return bytes(profile)
