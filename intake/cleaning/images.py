"""JPEG and PNG pictures, on their own or inside a document.

A picture uploaded on its own is re-encoded from its pixels (turned the way its EXIF says),
so nothing but the picture survives. A picture inside a document keeps its pixels byte for
byte (the document's layout was made for them) and loses every segment or chunk that is not
needed to draw it. Either way the colour profile is kept only in its neutral form
(``intake.cleaning.icc``), and what was found is reported in plain words.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

from PIL import Image, ImageFile, ImageOps, ImageSequence, JpegImagePlugin
from PIL.ExifTags import IFD, Base

from intake.cleaning import common
from intake.cleaning.common import (
    DAMAGED,
    JPEG,
    TOO_MANY_PIXELS,
    FileRejected,
    Kind,
    Malformed,
)
from intake.cleaning.icc import MAX_PROFILE_BYTES, icc_neutral

JPEG_MAGIC: Final = b"\xff\xd8\xff"
PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
GIF_MAGIC: Final = (b"GIF87a", b"GIF89a")
BMP_MAGIC: Final = b"BM"
CONTENT_CREDENTIALS: Final = "C2PA content credentials"
TRAILING: Final = "data hidden after the end of the picture"

# --- What EXIF says ------------------------------------------------------------------------

_EXIF_FINDINGS: Final[dict[int, str]] = {
    Base.Make: "camera make and model",
    Base.Model: "camera make and model",
    Base.DateTimeOriginal: "date taken",
    Base.DateTimeDigitized: "date taken",
    Base.DateTime: "date modified",
    Base.OffsetTimeOriginal: "time zone",
    Base.Software: "creator tool",
    Base.HostComputer: "computer name",
    Base.Artist: "author",
    Base.XPAuthor: "author",
    Base.CameraOwnerName: "camera owner name",
    Base.BodySerialNumber: "camera serial number",
    Base.LensSerialNumber: "camera serial number",
    Base.LensMake: "lens make and model",
    Base.LensModel: "lens make and model",
    Base.ImageUniqueID: "unique picture ID",
    Base.Copyright: "copyright",
    Base.ImageDescription: "description",
    Base.UserComment: "description",
    Base.XPComment: "description",
    Base.XPTitle: "title",
    Base.XPSubject: "subject",
    Base.XPKeywords: "keywords",
    Base.MakerNote: "camera maker notes",
}


def exif_findings(raw: bytes) -> tuple[list[str], int]:
    """What an EXIF block holds, in plain words, and its orientation (1 when none)."""
    exif = Image.Exif()
    try:
        exif.load(raw)
        tags = dict(exif) | dict(exif.get_ifd(IFD.Exif))
        found = [label for tag, label in _EXIF_FINDINGS.items() if tag in tags]
        if exif.get_ifd(IFD.GPSInfo):
            found.insert(0, "GPS location")
        if exif.get_ifd(IFD.IFD1):
            found.append("thumbnail picture")
        orientation = tags.get(Base.Orientation, 1)
    except Exception:  # hostile EXIF can break the parser in many ways; drop it all the same
        return ["photo details (EXIF)"], 1
    return found or ["photo details (EXIF)"], orientation if orientation in range(1, 9) else 1


def _minimal_exif(orientation: int) -> bytes:
    """A JPEG APP1 segment holding only the orientation: the one EXIF tag a viewer needs."""
    tiff = b"MM\x00\x2a\x00\x00\x00\x08" + struct.pack(
        ">HHHIHHI", 1, 0x0112, 3, 1, orientation, 0, 0
    )
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def _neutral_profile(profile: bytes) -> tuple[bytes | None, list[str]]:
    """The profile in its neutral form, or None (dropped) if it is not a valid profile."""
    try:
        return icc_neutral(profile)
    except Malformed:
        return None, ["colour profile"]


# --- JPEG structure ------------------------------------------------------------------------

_SOF_MARKERS: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_RESTART_MARKERS: Final = frozenset(range(0xD0, 0xD8))
_STANDALONE_MARKERS: Final = _RESTART_MARKERS | {0x01}
_ICC_SIGNATURE: Final = b"ICC_PROFILE\x00"
_ICC_CHUNK: Final = 65_519  # an APP2 segment's payload limit, less its 14-byte header


@dataclass
class JpegScan:
    segments: list[bytes]
    found: list[str]
    pixels: int = 0
    orientation: int = 1
    profile: bytes | None = None  # neutral

    def kept(self, *, with_profile: bool) -> bytes:
        """SOI, then JFIF if there was one, the profile, and the segments that draw."""
        head, rest = b"\xff\xd8", self.segments
        if rest and rest[0][:2] == b"\xff\xe0" and rest[0][4:9] == b"JFIF\x00":
            head, rest = head + rest[0], rest[1:]
        if self.orientation != 1:
            head += _minimal_exif(self.orientation)
        if with_profile and self.profile is not None:
            chunks = [
                self.profile[i : i + _ICC_CHUNK] for i in range(0, len(self.profile), _ICC_CHUNK)
            ]
            for number, chunk in enumerate(chunks, 1):
                payload = _ICC_SIGNATURE + bytes([number, len(chunks)]) + chunk
                head += b"\xff\xe2" + struct.pack(">H", len(payload) + 2) + payload
        return head + b"".join(rest) + b"\xff\xd9"


def _jpeg_segments(data: bytes) -> Iterator[tuple[int, bytes, bytes]]:
    """Yields (marker, whole segment, payload) up to and including the first image's end.

    Entropy-coded scan data is yielded as marker 0 so a rewrite can copy it untouched. The
    end-of-image marker comes with whatever follows it (appended pictures, hidden data) as
    its payload; that is never kept.
    """
    i, end = 2, len(data)
    while i < end:
        if data[i] != 0xFF:
            raise Malformed
        while i < end and data[i] == 0xFF:  # fill bytes before a marker
            i += 1
        if i >= end:
            raise Malformed
        marker, start = data[i], i - 1
        i += 1
        if marker == 0xD9:
            yield marker, b"", data[i:]
            return
        if marker in _STANDALONE_MARKERS:
            yield marker, bytes(data[start:i]), b""
            continue
        if i + 2 > end:
            raise Malformed
        (length,) = struct.unpack(">H", data[i : i + 2])
        if length < 2 or i + length > end:
            raise Malformed
        yield marker, data[start : i + length], data[i + 2 : i + length]
        i += length
        if marker == 0xDA:  # start of scan: copy up to the next real marker
            j = i
            while (j := data.find(b"\xff", j)) != -1 and j + 1 < end:
                if data[j + 1] == 0x00 or data[j + 1] in _RESTART_MARKERS:
                    j += 2  # a stuffed 0xFF byte or a restart marker belong to the scan
                elif data[j + 1] == 0xFF:
                    j += 1
                else:
                    break
            else:  # no end-of-image marker: accept the scan as it is, as viewers do
                j = end
            yield 0, data[i:j], b""
            i = j
    # Ran out of data without an end-of-image marker: JpegScan.kept adds one.


def scan_jpeg(data: bytes) -> JpegScan:
    """Walks a JPEG, keeping only what draws the picture and noting what else was there."""
    scan = JpegScan(segments=[], found=[])
    icc_chunks: list[tuple[int, bytes]] = []
    for marker, segment, payload in _jpeg_segments(data):
        if marker in _SOF_MARKERS and len(payload) >= 5:
            height, width = struct.unpack(">HH", payload[1:5])
            scan.pixels = scan.pixels or height * width  # the first frame is the picture
        if marker == 0xD9:
            if payload.strip(b"\x00"):
                scan.found.append(TRAILING)
            continue
        if marker == 0xE2 and payload.startswith(_ICC_SIGNATURE) and len(payload) > 14:
            icc_chunks.append((payload[12], payload[14:]))
            continue
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            keep, label = _jpeg_app_segment(marker, payload)
            if marker == 0xE1 and payload.startswith(b"Exif\x00\x00"):
                labels, scan.orientation = exif_findings(payload)
                scan.found += labels
            elif label:
                scan.found.append(label)
            if not keep:
                continue
        scan.segments.append(segment)
    if icc_chunks:
        profile = b"".join(chunk for _, chunk in sorted(icc_chunks, key=lambda c: c[0]))
        scan.profile, labels = _neutral_profile(profile)
        scan.found += labels
    return scan


def _jpeg_app_segment(marker: int, payload: bytes) -> tuple[bool, str]:
    """Whether an APPn/COM segment is kept, and what to call it if it is dropped."""
    if marker == 0xE0:
        if payload.startswith(b"JFIF\x00"):
            return True, ""  # pixel density only
        return False, "thumbnail picture" if payload.startswith(b"JFXX\x00") else ""
    if marker == 0xE1:
        return False, "XMP metadata" if payload.startswith(b"http://ns.adobe.com/") else ""
    if marker == 0xE2:
        return False, "extra pictures" if payload.startswith(b"MPF\x00") else ""
    if marker == 0xEB:
        return False, CONTENT_CREDENTIALS  # JUMBF boxes, where C2PA manifests live
    if marker == 0xED:
        return False, "IPTC captions and credits"
    if marker == 0xEE and payload.startswith(b"Adobe"):
        return True, ""  # colour transform flags: without it CMYK pictures decode wrongly
    if marker == 0xFE:
        return False, "comment"
    return False, "other hidden data"


# --- PNG structure -------------------------------------------------------------------------

# Chunks that draw the picture (including APNG animation and colour handling).
_PNG_KEEP: Final = frozenset(
    {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT"}
    | {b"bKGD", b"pHYs", b"hIST", b"acTL", b"fcTL", b"fdAT", b"cICP", b"mDCV", b"cLLI"}
)
_PNG_TEXT_FINDINGS: Final = {
    b"Author": "author",
    b"Title": "title",
    b"Description": "description",
    b"Comment": "comment",
    b"Copyright": "copyright",
    b"Creation Time": "date created",
    b"Software": "creator tool",
    b"Source": "camera make and model",
    b"XML:com.adobe.xmp": "XMP metadata",
}


@dataclass
class PngScan:
    chunks: list[bytes] = field(default_factory=list)
    found: list[str] = field(default_factory=list)
    pixels: int = 0
    profile: bytes | None = None  # neutral
    profile_at: int = -1  # where the iCCP chunk was

    def kept(self, *, with_profile: bool) -> bytes:
        chunks = list(self.chunks)
        if with_profile and self.profile is not None:
            payload = b"ICC Profile\x00\x00" + zlib.compress(self.profile)
            chunks.insert(self.profile_at, png_chunk(b"iCCP", payload))
        return PNG_MAGIC + b"".join(chunks)


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


def inflate(data: bytes, limit: int) -> bytes:
    """zlib data inflated to at most ``limit`` bytes; more than that is malformed."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        raise Malformed from None
    if len(out) > limit or not inflater.eof:
        raise Malformed
    return out


def scan_png(data: bytes) -> PngScan:
    """Walks a PNG's chunks, keeping those that draw the picture and noting the rest."""
    scan = PngScan()
    i = len(PNG_MAGIC)
    while True:
        if i + 8 > len(data):
            raise Malformed
        length, kind = struct.unpack(">I4s", data[i : i + 8])
        chunk, payload = data[i : i + 12 + length], data[i + 8 : i + 8 + length]
        if len(chunk) != 12 + length:
            raise Malformed
        i += 12 + length
        if kind == b"IHDR" and length >= 8:
            width, height = struct.unpack(">II", payload[:8])
            scan.pixels = width * height
        if kind in _PNG_KEEP:
            scan.chunks.append(chunk)
        elif kind in (b"tEXt", b"zTXt", b"iTXt"):
            # The keyword comes before a NUL; compressed text is never inflated.
            keyword = payload.partition(b"\x00")[0]
            scan.found.append(_PNG_TEXT_FINDINGS.get(keyword, "text notes"))
        elif kind == b"eXIf":
            scan.found += exif_findings(payload)[0]
        elif kind == b"tIME":
            scan.found.append("date modified")
        elif kind == b"iCCP":
            compressed = payload.partition(b"\x00")[2][1:]  # after the name and the method
            try:
                profile = inflate(compressed, MAX_PROFILE_BYTES)
            except Malformed:
                scan.found.append("colour profile")
            else:
                scan.profile, labels = _neutral_profile(profile)
                scan.profile_at = len(scan.chunks)
                scan.found += labels + ["colour profile name"] * (
                    payload.partition(b"\x00")[0] != b"ICC Profile"
                )
        elif kind == b"caBX":
            scan.found.append(CONTENT_CREDENTIALS)
        elif kind[0] & 0x20 == 0:  # an unknown critical chunk: no viewer could draw it
            raise Malformed
        else:
            scan.found.append("other hidden data")
        if kind == b"IEND":
            if data[i:].strip(b"\x00"):
                scan.found.append(TRAILING)
            return scan  # anything appended after the end is dropped


# --- Pictures on their own -----------------------------------------------------------------


def clean_picture(data: bytes, kind: Kind) -> tuple[bytes, list[str]]:
    """Re-encodes a picture from its pixels alone, turned the way its EXIF says."""
    damaged = FileRejected(DAMAGED.format(label=kind.label))
    try:
        scan: JpegScan | PngScan = scan_jpeg(data) if kind is JPEG else scan_png(data)
    except Malformed:
        raise damaged from None
    # Checked from the header before Pillow decodes anything. Pillow's own guard
    # (DecompressionBombWarning/Error, at 89 and 179 megapixels) stays as a second line.
    if scan.pixels > common.MAX_PIXELS:
        raise FileRejected(TOO_MANY_PIXELS)
    out = io.BytesIO()
    try:
        formats = ["JPEG", "MPO"] if kind is JPEG else ["PNG"]
        with Image.open(io.BytesIO(data), formats=formats) as original:
            if original.width * original.height > common.MAX_PIXELS:
                raise FileRejected(TOO_MANY_PIXELS)
            # Pillow's switch is process-wide, and a library may turn it on when imported
            # (WeasyPrint does, for the reports' PDFs): keep it off, so that a truncated file
            # raises here instead of being filled in with grey.
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            original.load()
            picture = ImageOps.exif_transpose(original)
            # Only pixels, transparency and the neutral colour profile survive.
            picture.info = {k: v for k, v in original.info.items() if k == "transparency"}
            options: dict[str, object] = {}
            if scan.profile is not None:
                options["icc_profile"] = scan.profile
            if kind is JPEG:
                options["quality"] = 95
                if isinstance(original, JpegImagePlugin.JpegImageFile) and original.quantization:
                    # The original's tables keep the re-encoding loss as small as possible.
                    del options["quality"]
                    options["qtables"] = original.quantization
                    options["subsampling"] = JpegImagePlugin.get_sampling(original)
                picture.save(out, "JPEG", **options)
            else:
                picture.save(out, "PNG", **options)
    except FileRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise FileRejected(TOO_MANY_PIXELS) from None
    except Exception:  # Pillow reports broken files with many exception types
        raise damaged from None
    return out.getvalue(), scan.found


# --- Pictures inside documents -------------------------------------------------------------


def strip_embedded_picture(data: bytes) -> tuple[bytes, list[str]] | None:
    """Metadata out of a picture inside a document; None if it is no picture we can clean.

    JPEG and PNG keep their pixels byte for byte; a JPEG keeps its orientation (in a fresh
    EXIF block of that one tag), since the document's layout was made for the picture as
    displayed. GIF and BMP, which carry little but comments, are re-encoded by Pillow.
    Raises ``Malformed`` for a damaged picture.
    """
    if data.startswith(JPEG_MAGIC):
        jpeg = scan_jpeg(data)
        return jpeg.kept(with_profile=True), jpeg.found
    if data.startswith(PNG_MAGIC):
        png = scan_png(data)
        return png.kept(with_profile=True), png.found
    if data.startswith(GIF_MAGIC):
        return _reencode(data, "GIF")
    if data.startswith(BMP_MAGIC):
        return _reencode(data, "BMP")
    return None


def _reencode(data: bytes, image_format: str) -> tuple[bytes, list[str]]:
    out = io.BytesIO()
    try:
        with Image.open(io.BytesIO(data), formats=[image_format]) as picture:
            frames = getattr(picture, "n_frames", 1)
            if picture.width * picture.height * frames > common.MAX_PIXELS:
                raise FileRejected(TOO_MANY_PIXELS)
            found = ["comment"] * any(
                "comment" in frame.info for frame in ImageSequence.Iterator(picture)
            )
            found += ["XMP metadata"] * ("xmp" in picture.info)
            picture.seek(0)
            if image_format == "GIF":
                sequence = [frame.copy() for frame in ImageSequence.Iterator(picture)]
                for frame in sequence:
                    frame.info = {
                        k: v
                        for k, v in frame.info.items()
                        if k in ("transparency", "duration", "loop", "disposal", "background")
                    }
                sequence[0].save(out, "GIF", save_all=True, append_images=sequence[1:])
            else:
                picture.load()
                picture.info = {}
                picture.save(out, image_format)
    except FileRejected:
        raise
    except Exception:
        raise Malformed from None
    return out.getvalue(), found
