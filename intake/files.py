"""Checks and cleans a reporter's evidence file before ``evidence_attach`` stores it.

The rule this module keeps: a file is accepted only for what its *content* is (magic bytes
and structure, never its name or the type the browser declared), hostile shapes (bombs,
encrypted or damaged containers) are refused before anything large is unpacked, and what is
stored is a rewritten copy without the metadata that could identify the reporter. All work
happens on bytes in memory: plaintext never touches the disk, so nothing here may use a
temporary file.
"""

from __future__ import annotations

import io
import re
import struct
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final
from xml.etree import ElementTree
from xml.sax.saxutils import quoteattr

import pikepdf
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from PIL import Image, ImageOps, JpegImagePlugin
from PIL.ExifTags import IFD, Base

from cases.exceptions import SpeakUpError

MAX_PIXELS: Final = 50_000_000
MAX_ZIP_ENTRIES: Final = 1_000
MAX_UNZIPPED_BYTES: Final = 100_000_000
MAX_ZIP_RATIO: Final = 100
# Only entries bigger than this are held to MAX_ZIP_RATIO: tiny parts such as printer settings
# or a blank EMF picture legitimately compress 200:1, and cannot make a bomb on their own since
# the total is capped at MAX_UNZIPPED_BYTES anyway.
ZIP_RATIO_FLOOR: Final = 1_000_000
MAX_NAME_CHARS: Final = 100


class FileRejected(SpeakUpError):
    message = "This file can't be accepted."

    def __init__(self, message: object = None) -> None:
        # Messages may be lazy translations: render them in the reporter's language now.
        super().__init__(str(message) if message is not None else None)


@dataclass(frozen=True)
class Kind:
    """One kind of file we accept: how to name it to a reporter, and how to store it."""

    label: str
    content_type: str
    extension: str


JPEG: Final = Kind("JPEG picture", "image/jpeg", "jpg")
PNG: Final = Kind("PNG picture", "image/png", "png")
PDF: Final = Kind("PDF document", "application/pdf", "pdf")
DOCX: Final = Kind(
    "Word document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "docx",
)
XLSX: Final = Kind(
    "Excel workbook", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
)
PPTX: Final = Kind(
    "PowerPoint presentation",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pptx",
)
TEXT: Final = Kind("plain text file", "text/plain", "txt")
ALLOWED: Final = (JPEG, PNG, PDF, DOCX, XLSX, PPTX, TEXT)
ALLOWED_SUMMARY: Final = (
    "photos (JPEG or PNG), PDF, Word (.docx), Excel (.xlsx), PowerPoint (.pptx) "
    "and plain text files"
)


@dataclass(frozen=True)
class CleanedFile:
    """A file fit to store. ``safe_name`` is for display only, never for a storage path."""

    content: bytes
    content_type: str
    extension: str
    removed: list[str]
    safe_name: str


def clean_evidence(data: bytes, *, declared_name: str) -> CleanedFile:
    """Identify ``data`` by its content, refuse it or return a copy without metadata.

    ``removed`` lists, in plain words and without values, what was found and taken out.
    Raises ``FileRejected`` with a message safe to show the reporter for an empty, unknown,
    damaged, password-protected or oversized file, and for image and zip bombs.
    """
    if not data:
        raise FileRejected(_("The file is empty."))
    if data.startswith(_JPEG_MAGIC):
        kind, (content, removed) = JPEG, _clean_image(data, JPEG)
    elif data.startswith(_PNG_MAGIC):
        kind, (content, removed) = PNG, _clean_image(data, PNG)
    elif data.startswith(b"%PDF-"):
        kind, (content, removed) = PDF, _clean_pdf(data)
    elif data.startswith(b"PK\x03\x04"):
        kind, content, removed = _clean_office(data)
    elif data.startswith(_OLE_MAGIC):
        raise FileRejected(
            _(
                "Older Office files (.doc, .xls, .ppt) and password-protected Office files "
                "can't be accepted. Please save it as .docx, .xlsx or .pptx without a "
                "password, or as PDF."
            )
        )
    elif _is_text(data):
        kind, content, removed = TEXT, data, []
    else:
        raise FileRejected(_unknown_message(declared_name))
    return CleanedFile(
        content=content,
        content_type=kind.content_type,
        extension=kind.extension,
        removed=list(dict.fromkeys(removed)),  # each finding once, in the order found
        safe_name=_safe_name(declared_name, kind.extension),
    )


# --- Messages ------------------------------------------------------------------------------

_DAMAGED = _lazy(
    "This {label} seems to be damaged and can't be opened. Please check it and try again."
)
_TOO_MANY_PIXELS = _lazy(
    "This picture is too large (over 50 megapixels). Please upload a smaller version."
)
_ZIP_TOO_BIG = _lazy(
    "This document is too large once unpacked (over 100 MB). Please split it or save it as PDF."
)
_ZIP_BOMB = _lazy(
    "This document unpacks to far more data than its size suggests, so it can't be accepted."
)
_ZIP_ENTRIES = _lazy(
    "This document has too many parts (over 1,000). Please save it as PDF instead."
)
_LOCKED = _lazy("Password-protected files can't be accepted. Please remove the password first.")
_NAME_HINTS: Final = {kind.extension: kind for kind in ALLOWED} | {"jpeg": JPEG}


def _unknown_message(declared_name: str) -> str:
    suffix = declared_name.rpartition(".")[2].lower() if "." in declared_name else ""
    named_as = _NAME_HINTS.get(suffix)
    lead = (
        _("This file is named like a %(kind)s, but its contents are not one. ")
        % {"kind": named_as.label}
        if named_as is not None
        else _("This type of file can't be accepted. ")
    )
    return lead + _("We accept %(kinds)s.") % {"kinds": ALLOWED_SUMMARY}


# --- Names ---------------------------------------------------------------------------------

# Characters that are not allowed in Windows file names, so a download keeps the name.
_NAME_UNSAFE = re.compile(r'[<>:"|?*]')
# A trailing ".abc" that reads as a file extension ("report.pdf"), not ".5" in "version 3.5".
_NAME_SUFFIX = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,4}$")


def _safe_name(declared_name: str, extension: str) -> str:
    """The declared name's last path part, printable, at most 100 characters, our extension."""
    name = unicodedata.normalize("NFC", declared_name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # "../../x" and "C:\\Users\\x" → "x"
    # isprintable() is False for NUL, control characters and invisible format characters
    # (right-to-left overrides that would make "gpj.exe" read as "exe.jpg").
    name = "".join(ch if ch.isprintable() else "" for ch in name)
    name = _NAME_UNSAFE.sub("_", name)
    name = re.sub(r"\.{2,}", ".", name)  # no ".." anywhere
    name = _NAME_SUFFIX.sub("", name.strip(" .")).strip(" .") or "evidence"
    return f"{name[: MAX_NAME_CHARS - len(extension) - 1].rstrip(' .')}.{extension}"


# --- Plain text ----------------------------------------------------------------------------

# What a browser would sniff as a web page or XML (WHATWG MIME sniffing): refused even though
# it is valid text, so no stored file can ever be rendered as active content.
_MARKUP = re.compile(
    rb"<(?:!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p"
    rb"|svg)[\s>]|<!--|<\?xml",
    re.IGNORECASE,
)


def _is_text(data: bytes) -> bool:
    """Whether ``data`` is UTF-8 text without NUL bytes; raises if it is web-page markup."""
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")  # a UTF-8 byte-order mark is valid too
    except UnicodeDecodeError:
        return False
    if _MARKUP.match(data.removeprefix(b"\xef\xbb\xbf").lstrip()[:64]):
        raise FileRejected(
            _(
                "Web pages and other markup files (HTML, XML, SVG) can't be accepted. "
                "Please save the page as PDF or take a screenshot instead."
            )
        )
    return True


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


def _exif_findings(raw: bytes) -> tuple[list[str], int]:
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


# --- JPEG structure ------------------------------------------------------------------------

_JPEG_MAGIC: Final = b"\xff\xd8\xff"
_SOF_MARKERS: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_RESTART_MARKERS: Final = frozenset(range(0xD0, 0xD8))
_STANDALONE_MARKERS: Final = _RESTART_MARKERS | {0x01}


class _Malformed(Exception):
    """The bytes break the format's structure: reported to the reporter as damaged."""


@dataclass
class _JpegScan:
    kept: bytearray
    found: list[str]
    pixels: int = 0
    orientation: int = 1


def _jpeg_segments(data: bytes) -> Iterator[tuple[int, bytes, bytes]]:
    """Yields (marker, whole segment, payload) up to and including the first image's end.

    Entropy-coded scan data is yielded as marker 0 so a rewrite can copy it untouched;
    anything after the end-of-image marker (appended pictures, trailing junk) is never read.
    """
    i, end = 2, len(data)
    while i < end:
        if data[i] != 0xFF:
            raise _Malformed
        while i < end and data[i] == 0xFF:  # fill bytes before a marker
            i += 1
        if i >= end:
            raise _Malformed
        marker, start = data[i], i - 1
        i += 1
        if marker == 0xD9:
            yield marker, b"\xff\xd9", b""
            return
        if marker in _STANDALONE_MARKERS:
            yield marker, bytes(data[start:i]), b""
            continue
        if i + 2 > end:
            raise _Malformed
        (length,) = struct.unpack(">H", data[i : i + 2])
        if length < 2 or i + length > end:
            raise _Malformed
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
    # Ran out of data without an end-of-image marker: _scan_jpeg adds one.


def _scan_jpeg(data: bytes, *, keep_colour: bool) -> _JpegScan:
    """Walks a JPEG, keeping only what draws the picture and noting what else was there."""
    scan = _JpegScan(kept=bytearray(b"\xff\xd8"), found=[])
    for marker, segment, payload in _jpeg_segments(data):
        if marker in _SOF_MARKERS and len(payload) >= 5:
            height, width = struct.unpack(">HH", payload[1:5])
            scan.pixels = scan.pixels or height * width  # the first frame is the picture
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            keep, label = _jpeg_app_segment(marker, payload, keep_colour=keep_colour)
            if marker == 0xE1 and payload.startswith(b"Exif\x00\x00"):
                labels, scan.orientation = _exif_findings(payload)
                scan.found += labels
            elif label:
                scan.found.append(label)
            if not keep:
                continue
        scan.kept += segment
    if not scan.kept.endswith(b"\xff\xd9"):
        scan.kept += b"\xff\xd9"
    return scan


def _jpeg_app_segment(marker: int, payload: bytes, *, keep_colour: bool) -> tuple[bool, str]:
    """Whether an APPn/COM segment is kept, and what to call it if it is dropped."""
    if marker == 0xE0:
        if payload.startswith(b"JFIF\x00"):
            return True, ""  # pixel density only
        return False, "thumbnail picture" if payload.startswith(b"JFXX\x00") else ""
    if marker == 0xE1:
        return False, "XMP metadata" if payload.startswith(b"http://ns.adobe.com/") else ""
    if marker == 0xE2:
        if payload.startswith(b"ICC_PROFILE\x00"):
            return keep_colour, "" if keep_colour else "colour profile"
        return False, "extra pictures" if payload.startswith(b"MPF\x00") else ""
    if marker == 0xED:
        return False, "captions and credits (IPTC)"
    if marker == 0xEE and payload.startswith(b"Adobe"):
        return True, ""  # colour transform flags: without it CMYK pictures decode wrongly
    if marker == 0xFE:
        return False, "comment"
    return False, "other hidden data"


# --- PNG structure -------------------------------------------------------------------------

_PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
# Chunks that draw the picture (including APNG animation and colour handling).
_PNG_KEEP: Final = frozenset(
    {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT"}
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
class _PngScan:
    kept: bytearray
    found: list[str]
    pixels: int = 0


def _scan_png(data: bytes, *, keep_colour: bool) -> _PngScan:
    """Walks a PNG's chunks, keeping those that draw the picture and noting the rest."""
    scan = _PngScan(kept=bytearray(_PNG_MAGIC), found=[])
    i = len(_PNG_MAGIC)
    while True:
        if i + 8 > len(data):
            raise _Malformed
        length, kind = struct.unpack(">I4s", data[i : i + 8])
        chunk, payload = data[i : i + 12 + length], data[i + 8 : i + 8 + length]
        if len(chunk) != 12 + length:
            raise _Malformed
        i += 12 + length
        if kind == b"IHDR" and length >= 8:
            width, height = struct.unpack(">II", payload[:8])
            scan.pixels = width * height
        if kind in (b"tEXt", b"zTXt", b"iTXt"):
            # The keyword comes before a NUL; compressed text is never inflated.
            keyword = payload.partition(b"\x00")[0]
            scan.found.append(_PNG_TEXT_FINDINGS.get(keyword, "text notes"))
        elif kind == b"eXIf":
            scan.found += _exif_findings(payload)[0]
        elif kind == b"tIME":
            scan.found.append("date modified")
        elif kind == b"iCCP" and not keep_colour:
            scan.found.append("colour profile")
        if kind in _PNG_KEEP and (keep_colour or kind != b"iCCP"):
            scan.kept += chunk
        elif kind[0] & 0x20 == 0:  # an unknown critical chunk: no viewer could draw it
            raise _Malformed
        elif kind not in (b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME", b"iCCP"):
            scan.found.append("other hidden data")
        if kind == b"IEND":
            return scan  # anything appended after the end is dropped


# --- Pictures ------------------------------------------------------------------------------


def _clean_image(data: bytes, kind: Kind) -> tuple[bytes, list[str]]:
    """Re-encodes a picture from its pixels alone, turned the way its EXIF says."""
    damaged = FileRejected(_DAMAGED.format(label=kind.label))
    try:
        scan = (
            _scan_jpeg(data, keep_colour=False)
            if kind is JPEG
            else _scan_png(data, keep_colour=False)
        )
    except _Malformed:
        raise damaged from None
    # Checked from the header before Pillow decodes anything. Pillow's own guard
    # (DecompressionBombWarning/Error, at 89 and 179 megapixels) stays as a second line.
    if scan.pixels > MAX_PIXELS:
        raise FileRejected(_TOO_MANY_PIXELS)
    out = io.BytesIO()
    try:
        formats = ["JPEG", "MPO"] if kind is JPEG else ["PNG"]
        with Image.open(io.BytesIO(data), formats=formats) as original:
            if original.width * original.height > MAX_PIXELS:
                raise FileRejected(_TOO_MANY_PIXELS)
            original.load()  # raises for a truncated file (LOAD_TRUNCATED_IMAGES stays off)
            picture = ImageOps.exif_transpose(original)
            # Only pixels and transparency survive; no EXIF, XMP, text or ICC is passed on.
            picture.info = {k: v for k, v in original.info.items() if k == "transparency"}
            if kind is JPEG:
                options: dict[str, object] = {"quality": 95}
                if isinstance(original, JpegImagePlugin.JpegImageFile) and original.quantization:
                    # The original's tables keep the re-encoding loss as small as possible.
                    options = {
                        "qtables": original.quantization,
                        "subsampling": JpegImagePlugin.get_sampling(original),
                    }
                picture.save(out, "JPEG", **options)
            else:
                picture.save(out, "PNG")
    except FileRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise FileRejected(_TOO_MANY_PIXELS) from None
    except Exception:  # Pillow reports broken files with many exception types
        raise damaged from None
    return out.getvalue(), scan.found


def _strip_embedded_picture(data: bytes) -> tuple[bytes, list[str]] | None:
    """Metadata out of a JPEG/PNG inside a document, without re-encoding; None if neither.

    The pixels stay byte for byte. A JPEG keeps its orientation (in a fresh EXIF block of
    that one tag), since the document's layout was made for the picture as displayed.
    """
    if data.startswith(_JPEG_MAGIC):
        jpeg = _scan_jpeg(data, keep_colour=True)
        kept = bytes(jpeg.kept)
        if jpeg.orientation != 1:
            kept = kept[:2] + _minimal_exif(jpeg.orientation) + kept[2:]
        return kept, jpeg.found
    if data.startswith(_PNG_MAGIC):
        png = _scan_png(data, keep_colour=True)
        return bytes(png.kept), png.found
    return None


# --- PDF -----------------------------------------------------------------------------------

_PDF_INFO_FINDINGS: Final = {
    "/Author": "author",
    "/Creator": "creator tool",
    "/Producer": "PDF producer software",
    "/Title": "title",
    "/Subject": "subject",
    "/Keywords": "keywords",
    "/CreationDate": "date created",
    "/ModDate": "date modified",
    "/Company": "company",
}


def _clean_pdf(data: bytes) -> tuple[bytes, list[str]]:
    """Drops document info, every XMP stream, private application data and the file ID."""
    damaged = FileRejected(_DAMAGED.format(label=PDF.label))
    found: list[str] = []
    out = io.BytesIO()
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            info = pdf.trailer.get("/Info")
            if isinstance(info, pikepdf.Dictionary):
                for key in info.keys():  # noqa: SIM118  # iterating yields Objects to mypy
                    found.append(_PDF_INFO_FINDINGS.get(key, "other document properties"))
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            if "/ID" in pdf.trailer:
                # The first ID is set when a PDF is created and kept through edits: it could
                # match this copy to the original on the reporter's computer.
                del pdf.trailer["/ID"]
                found.append("document ID")
            for obj in pdf.objects:  # the catalogue, pages, pictures, fonts...
                found += _clean_pdf_object(obj)
            # No metadata is re-added: fix_metadata_version would write XMP, and a missing
            # /ID is made from the content (deterministic_id) rather than a fresh random one.
            # Streams are copied as they are (decode level none), so nothing is inflated.
            pdf.save(
                out,
                fix_metadata_version=False,
                preserve_pdfa=False,
                deterministic_id=True,
                stream_decode_level=pikepdf.StreamDecodeLevel.none,
            )
    except pikepdf.PasswordError:
        raise FileRejected(_LOCKED) from None
    except _Malformed:
        raise FileRejected(_("A picture inside this PDF document is damaged.")) from None
    except Exception:  # QPDF reports broken files with several exception types
        raise damaged from None
    return out.getvalue(), found


def _clean_pdf_object(obj: pikepdf.Object) -> list[str]:
    found: list[str] = []
    if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        return found
    if "/Metadata" in obj:
        del obj["/Metadata"]
        found.append("XMP metadata")
    if "/PieceInfo" in obj:  # private data of the editing application (layers, history)
        del obj["/PieceInfo"]
        found.append("editing application data")
    if "/LastModified" in obj:
        del obj["/LastModified"]
        found.append("date modified")
    if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image:
        filters = obj.get("/Filter")
        parms = obj.get("/DecodeParms")
        is_jpeg = filters == pikepdf.Name.DCTDecode or (
            isinstance(filters, pikepdf.Array) and list(filters) == [pikepdf.Name.DCTDecode]
        )
        if is_jpeg and isinstance(filters, pikepdf.Name | pikepdf.Array):
            # A JPEG kept whole inside the PDF (photo-to-PDF tools do this) keeps its EXIF.
            raw = obj.read_raw_bytes()
            if raw.startswith(_JPEG_MAGIC):
                jpeg = _scan_jpeg(raw, keep_colour=True)
                if jpeg.found:
                    obj.write(
                        bytes(jpeg.kept),
                        filter=filters,
                        decode_parms=parms
                        if isinstance(parms, pikepdf.Dictionary | pikepdf.Array)
                        else None,
                    )
                    found += [f"{label} (in a picture)" for label in jpeg.found]
    return found


# --- Word, Excel and PowerPoint (Office Open XML) ------------------------------------------

_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OFFICE_MAIN: Final = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": PPTX,
}
_CORE_FINDINGS: Final = {
    "creator": "author",
    "lastModifiedBy": "last modified by",
    "created": "date created",
    "modified": "date modified",
    "lastPrinted": "date last printed",
    "title": "title",
    "subject": "subject",
    "description": "comments",
    "keywords": "keywords",
    "category": "category",
    "contentStatus": "status",
    "identifier": "document ID",
    "language": "language",
    "revision": "revision number",
    "version": "version",
}
_APP_FINDINGS: Final = {
    "Company": "company",
    "Manager": "manager",
    "Template": "template name",
    "Application": "creator tool",
    "AppVersion": "creator tool",
    "TotalTime": "total editing time",
    "HyperlinkBase": "hyperlink base",
}
_PROPERTY_RELATIONSHIPS: Final = {
    "/metadata/core-properties": "core",
    "/extended-properties": "app",
    "/custom-properties": "custom",
}
# Excel records the folder it last saved to (often C:\Users\<name>\...) in the workbook.
_EXCEL_SAVED_PATH = re.compile(
    rb"<(?P<p>[A-Za-z0-9_]+:)?absPath\b[^>]*?(?:/>|>[^<]*</(?P=p)?absPath>)"
)
_FIXED_ZIP_TIME: Final = (1980, 1, 1, 0, 0, 0)  # entry times say when the file was saved


def _clean_office(data: bytes) -> tuple[Kind, bytes, list[str]]:
    """Rewrites a .docx/.xlsx/.pptx with empty properties and stripped embedded pictures."""
    label = "document"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_zip(archive)
            kind, main_part = _office_kind(archive)
            label = kind.label
            properties = _property_parts(archive)
            found: list[str] = []
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as rewritten:
                for entry in archive.infolist():
                    part = archive.read(entry)  # bounded by the checked size, CRC verified
                    role = properties.get(entry.filename)
                    if role is not None:
                        part, labels = _empty_properties(part, role)
                        found += labels
                    elif kind is XLSX and entry.filename == main_part:
                        part, count = _EXCEL_SAVED_PATH.subn(b"", part)
                        found += ["saved file location"] * bool(count)
                    elif (stripped := _strip_embedded_picture(part)) is not None:
                        part = stripped[0]
                        found += [f"{finding} (in a picture)" for finding in stripped[1]]
                    # A fresh entry drops times, comments and extra fields (owner ids, NTFS times).
                    fresh = zipfile.ZipInfo(entry.filename, date_time=_FIXED_ZIP_TIME)
                    fresh.compress_type = zipfile.ZIP_DEFLATED
                    rewritten.writestr(fresh, part)
    except FileRejected:
        raise
    except _Malformed:
        raise FileRejected(
            _("A picture inside this %(kind)s is damaged.") % {"kind": label}
        ) from None
    except Exception:  # zipfile, zlib and ElementTree report broken files in many ways
        raise FileRejected(_DAMAGED.format(label=label)) from None
    return kind, out.getvalue(), found


def _check_zip(archive: zipfile.ZipFile) -> None:
    """Refuses a zip from its directory alone, before a single entry is inflated.

    zipfile never inflates an entry beyond the size the directory declares (and checks its
    CRC), so capping the declared sizes caps the memory used.
    """
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise FileRejected(_ZIP_ENTRIES)
    names = [entry.filename for entry in entries]
    if len(set(names)) != len(names) or any(
        name.startswith("/") or ".." in name.split("/") for name in names
    ):
        # Duplicate or escaping names: different programs would read different files.
        raise FileRejected(_DAMAGED.format(label="document"))
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise FileRejected(_LOCKED)
        if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise FileRejected(_DAMAGED.format(label="document"))
        if entry.file_size > ZIP_RATIO_FLOOR and entry.file_size > MAX_ZIP_RATIO * max(
            entry.compress_size, 1
        ):
            raise FileRejected(_ZIP_BOMB)
    if sum(entry.file_size for entry in entries) > MAX_UNZIPPED_BYTES:
        raise FileRejected(_ZIP_TOO_BIG)


def _xml(part: bytes) -> ElementTree.Element:
    """Parses an Office XML part, refusing a DTD (Office never writes one).

    Without a DTD there are no entities to expand, so no "billion laughs"; expat (2.4+) also
    limits expansion itself, and ElementTree never fetches external entities. The part must
    be UTF-8 (as Office writes it) so the check cannot be dodged with UTF-16.
    """
    part.decode("utf-8")  # raises UnicodeDecodeError, a ValueError: reported as damaged
    if b"<!DOCTYPE" in part or b"<!ENTITY" in part:
        raise ValueError("DTD in an Office part")
    return ElementTree.fromstring(part)  # noqa: S314  # see above


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _office_kind(archive: zipfile.ZipFile) -> tuple[Kind, str]:
    """The document kind named by [Content_Types].xml, and its main part's name."""
    names = set(archive.namelist())
    if "[Content_Types].xml" not in names:
        raise FileRejected(
            _(
                "Zip archives can't be accepted. Please upload the files inside it one by one. "
                f"We accept {ALLOWED_SUMMARY}."
            )
        )
    content_types = _xml(archive.read("[Content_Types].xml"))
    overrides = {
        element.get("PartName", "").lstrip("/"): element.get("ContentType", "")
        for element in content_types
        if _local(element.tag) == "Override"
    }
    if any("macroenabled" in value.lower() for value in overrides.values()) or any(
        name.rpartition("/")[2].lower() == "vbaproject.bin" for name in names
    ):
        raise FileRejected(
            _(
                "Office files with macros can't be accepted. "
                "Please save it as .docx, .xlsx or .pptx (or as PDF) and try again."
            )
        )
    for part, content_type in overrides.items():
        kind = _OFFICE_MAIN.get(content_type)
        if kind is not None:
            if part not in names:
                raise FileRejected(_DAMAGED.format(label=kind.label))
            return kind, part
    raise FileRejected(
        _(
            "This Office file is not a Word, Excel or PowerPoint document we accept. "
            f"We accept {ALLOWED_SUMMARY}."
        )
    )


def _property_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Zip entry name → "core", "app" or "custom", from the package relationships."""
    names = set(archive.namelist())
    parts = {
        name: role
        for name, role in (
            ("docProps/core.xml", "core"),
            ("docProps/app.xml", "app"),
            ("docProps/custom.xml", "custom"),
        )
        if name in names
    }
    if "_rels/.rels" in names:
        for relationship in _xml(archive.read("_rels/.rels")):
            kind = relationship.get("Type", "")
            target = relationship.get("Target", "").lstrip("/")
            for suffix, role in _PROPERTY_RELATIONSHIPS.items():
                if kind.endswith(suffix) and target in names:
                    parts[target] = role
    return parts


def _empty_properties(part: bytes, role: str) -> tuple[bytes, list[str]]:
    """An empty properties part in the original's namespace, and what the old one held."""
    root = _xml(part)
    namespace = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else ""
    filled = [
        _local(child.tag)
        for child in root
        if (child.text or "").strip() or len(child)  # an empty element holds nothing
    ]
    if role == "core":
        found = [_CORE_FINDINGS.get(name, "other document properties") for name in filled]
        empty = f"<cp:coreProperties xmlns:cp={quoteattr(namespace)}/>"
    elif role == "app":
        found = [_APP_FINDINGS[name] for name in filled if name in _APP_FINDINGS]
        empty = f"<Properties xmlns={quoteattr(namespace)}/>"
    else:
        found = ["custom properties"] if filled else []
        empty = f"<Properties xmlns={quoteattr(namespace)}/>"
    header = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    return (header + empty).encode(), found
