"""JPEG 2000 pictures inside PDFs (``/JPXDecode``): boxes that do not draw the picture go.

A JP2 file is a list of boxes (ISO/IEC 15444-1 annex I). Only the signature, file type,
reader requirements, header and codestream boxes are kept; XML, UUID (where XMP and EXIF
live), IPR and info boxes are dropped, a colour profile is made neutral, and comments in the
codestream's main header are removed. A bare codestream loses its main-header comments.
"""

from __future__ import annotations

import struct
from typing import Final

from intake.cleaning.common import Malformed
from intake.cleaning.icc import icc_neutral

JP2_SIGNATURE: Final = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
CODESTREAM_START: Final = b"\xff\x4f\xff\x51"
_KEEP: Final = frozenset({b"jP  ", b"ftyp", b"rreq", b"jp2h", b"jp2c", b"jpch", b"jplh"})
_XMP_UUID: Final = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")


def _boxes(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, contents) of each box in ``data``."""
    boxes, i = [], 0
    while i < len(data):
        if i + 8 > len(data):
            raise Malformed
        length, kind = struct.unpack(">I4s", data[i : i + 8])
        header = 8
        if length == 1:
            if i + 16 > len(data):
                raise Malformed
            (length,) = struct.unpack(">Q", data[i + 8 : i + 16])
            header = 16
        elif length == 0:
            length = len(data) - i
        if length < header or i + length > len(data):
            raise Malformed
        boxes.append((kind, data[i + header : i + length]))
        i += length
    return boxes


def _box(kind: bytes, contents: bytes) -> bytes:
    if len(contents) + 8 > 0xFFFFFFFF:
        return struct.pack(">I4sQ", 1, kind, len(contents) + 16) + contents
    return struct.pack(">I4s", len(contents) + 8, kind) + contents


def strip_jpeg2000(data: bytes) -> tuple[bytes, list[str]]:
    """The picture without its metadata boxes and comments, and what they were."""
    if data.startswith(CODESTREAM_START):
        return _strip_codestream(data)
    if not data.startswith(JP2_SIGNATURE):
        raise Malformed
    out, found = b"", []
    for kind, contents in _boxes(data):
        if kind == b"jp2h":
            contents, labels = _strip_header(contents)
            found += labels
        elif kind == b"jp2c":
            contents, labels = _strip_codestream(contents)
            found += labels
        elif kind not in _KEEP:
            is_xmp = kind == b"xml " or (kind == b"uuid" and contents[:16] == _XMP_UUID)
            found.append("XMP metadata" if is_xmp else "other hidden data")
            continue
        out += _box(kind, contents)
    return out, found


def _strip_header(contents: bytes) -> tuple[bytes, list[str]]:
    out, found = b"", []
    for kind, inner in _boxes(contents):
        if kind == b"colr" and inner[:1] in (b"\x02", b"\x03"):  # an ICC profile follows
            profile, labels = icc_neutral(inner[3:])
            inner = inner[:3] + profile
            found += labels
        out += _box(kind, inner)
    return out, found


def _strip_codestream(data: bytes) -> tuple[bytes, list[str]]:
    """Drops COM segments from the main header (SOC up to the first SOT)."""
    if not data.startswith(CODESTREAM_START):
        raise Malformed
    out, i = bytearray(data[:2]), 2
    found: list[str] = []
    while True:
        if i + 4 > len(data) or data[i] != 0xFF:
            raise Malformed
        marker = data[i + 1]
        if marker == 0x90:  # SOT: the first tile begins, the rest is copied as it is
            return bytes(out + data[i:]), found
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if length < 2 or i + 2 + length > len(data):
            raise Malformed
        if marker == 0x64:
            found.append("comment")
        else:
            out += data[i : i + 2 + length]
        i += 2 + length
