"""Hostile, broken and disguised files, sent through HTTP on both forms: never a server error,
never a stored file that is not clean, and a refusal that says why.

Each case names what the reporter must read (a fragment of the message, written here by
hand), or None where the file is fine once cleaned (a polyglot's hidden part is dropped).
"""

from __future__ import annotations

import html
import io
import os
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable
from functools import cache

import pikepdf
import pytest

from cases.models import Evidence
from cases.selectors import evidence_read
from tests.intake import corpus
from tests.intake.conftest import FORMS, stored_files, upload_through

DAMAGED = "seems to be damaged"
EMBEDDED = "embedded object"


def _zip(entries: list[tuple[str, bytes]], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", compression) as archive:
        warnings.simplefilter("ignore")  # duplicate names are the point of one case
        for name, data in entries:
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return out.getvalue()


def _docx_with(*extra: tuple[str, bytes, str, str]) -> bytes:
    """A small Word document with extra parts: (name, data, content type, relationship)."""
    opc = corpus.Opc()
    opc.add(
        "word/document.xml",
        corpus._w("<w:p><w:r><w:t>Hello</w:t></w:r></w:p>"),
        corpus.WORD_MAIN,
        rel_type=f"{corpus.OFFICE_RELS}/officeDocument",
    )
    for name, data, content_type, relationship in extra:
        opc.add(
            name,
            data,
            content_type,
            source="word/document.xml",
            rel_type=relationship
            if relationship.startswith("http")
            else f"{corpus.OFFICE_RELS}/{relationship}",
        )
    return opc.bytes()


def _replace_part(package: bytes, name: str, data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        parts = [(n, data if n == name else archive.read(n)) for n in archive.namelist()]
    return _zip(parts)


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    zeros = bytes(8 << 20)
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("word/document.xml", "w", force_zip64=True) as entry,
    ):
        for _ in range(25):  # 200 MB of zeros, streamed: about 1 MB once deflated
            entry.write(zeros)
    return out.getvalue()


def _nested_bomb() -> bytes:
    """A chart whose workbook is a bomb: each level is checked before it is unpacked."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", bytes(60_000_000))
    return _docx_with(("word/embeddings/data.xlsx", out.getvalue(), corpus.XLSX_TYPE, "package"))


def _pdf(**root: object) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    for key, value in root.items():
        pdf.Root[f"/{key}"] = value
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _pdf_with_profile(profile_stream: bytes) -> bytes:
    pdf = pikepdf.new()
    page = pdf.add_blank_page()
    stream = pdf.make_stream(b"", N=3)
    stream.write(profile_stream, filter=pikepdf.Name.FlateDecode)
    page.Resources = pikepdf.Dictionary(
        ColorSpace=pikepdf.Dictionary(CS0=pikepdf.Array([pikepdf.Name.ICCBased, stream]))
    )
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _ole() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(1024)


def _deep_xml() -> bytes:
    return _replace_part(
        _docx_with(),
        "word/document.xml",
        b"<w:document xmlns:w='x'>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</w:document>",
    )


def _huge_jpeg() -> bytes:
    data = bytearray(corpus.jpeg())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 65_000, 65_000)
    return bytes(data)


_BUILDERS: list[tuple[str, Callable[[], bytes]]] = [
    ("jpg", corpus.jpeg),
    ("png", corpus.png),
    ("pdf", corpus.pdf),
    ("docx", corpus.docx),
]


@cache
def _cases() -> dict[str, tuple[str, bytes, str | None]]:
    """id → (name the reporter gave, content, what the refusal must say or None if kept)."""
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><w:document>&lol2;'
        b"</w:document>"
    )
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<w:document>&e;</w:document>"
    )
    docx = _docx_with()
    cases: dict[str, tuple[str, bytes, str | None]] = {
        # broken and truncated
        **{
            f"truncated-{ext}": (f"x.{ext}", make()[: len(make()) // 2], None)
            for ext, make in _BUILDERS
        },
        "pdf-noise": ("x.pdf", b"%PDF-1.7\n" + os.urandom(4000), DAMAGED),
        "zip-noise": ("x.docx", b"PK\x03\x04" + os.urandom(4000), DAMAGED),
        "png-noise": ("x.png", b"\x89PNG\r\n\x1a\n" + os.urandom(4000), DAMAGED),
        "jpeg-noise": ("x.jpg", b"\xff\xd8\xff" + os.urandom(4000), DAMAGED),
        "crc-error": ("x.docx", _bad_checksum(docx), DAMAGED),
        # bombs
        "zip-bomb": ("bomb.docx", _zip_bomb(), "far more data than its size suggests"),
        "nested-zip-bomb": ("chart.docx", _nested_bomb(), EMBEDDED),
        "too-many-parts": (
            "many.docx",
            _zip([(f"part{n}.xml", b"") for n in range(1_001)]),
            "too many parts",
        ),
        "pixel-bomb-png": ("bomb.png", _png_header(100_000, 100_000), "too large"),
        "pixel-bomb-jpeg": ("bomb.jpg", _huge_jpeg(), "too large"),
        "billion-laughs": ("lol.docx", _replace_part(docx, "word/document.xml", laughs), DAMAGED),
        "external-entity": ("xxe.docx", _replace_part(docx, "word/document.xml", xxe), DAMAGED),
        "deep-xml": ("deep.docx", _deep_xml(), DAMAGED),
        "profile-bomb-pdf": (
            "bomb.pdf",
            _pdf_with_profile(zlib.compress(bytes(50_000_000), 9)),
            "A picture inside this PDF document is damaged",
        ),
        # escaping, locked, active
        "path-traversal": ("x.docx", _zip([("../../evil.xml", b"x"), *_parts(docx)]), DAMAGED),
        "absolute-path": ("x.docx", _zip([("/etc/evil.xml", b"x"), *_parts(docx)]), DAMAGED),
        "backslash-path": ("x.docx", _zip([("..\\evil.xml", b"x"), *_parts(docx)]), DAMAGED),
        "duplicate-names": ("x.docx", _zip([*_parts(docx), *_parts(docx)[:1]]), DAMAGED),
        "encrypted-entry": ("x.docx", _encrypted_flag(docx), "Password-protected"),
        "password-office": ("x.docx", _ole(), "password-protected Office files"),
        "password-pdf": (
            "x.pdf",
            corpus.pdf(encryption=pikepdf.Encryption(user="secret", owner="secret")),
            "Password-protected",
        ),
        "macro-docm": (
            "x.docm",
            _docx_with(
                (
                    "word/code.dat",
                    b"Attribute VB_Name",
                    "application/vnd.ms-office.vbaProject",
                    "http://schemas.microsoft.com/office/2006/relationships/vbaProject",
                )
            ),
            "macros",
        ),
        "activex": (
            "x.docx",
            _docx_with(
                (
                    "word/activeX/activeX1.xml",
                    b"<ax/>",
                    "application/vnd.ms-office.activeX+xml",
                    "control",
                )
            ),
            "macros",
        ),
        "ole-object": (
            "x.docx",
            _docx_with(
                (
                    "word/embeddings/oleObject1.bin",
                    _ole(),
                    "application/vnd.openxmlformats-officedocument.oleObject",
                    "oleObject",
                )
            ),
            EMBEDDED,
        ),
        "video": (
            "x.docx",
            _docx_with(
                ("word/media/media1.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4", "video")
            ),
            "video or sound",
        ),
        "metafile": (
            "x.docx",
            _docx_with(
                ("word/media/image1.emf", b"\x01\x00\x00\x00" + bytes(80), "image/x-emf", "image")
            ),
            "picture in a format we can't check",
        ),
        "unknown-part": (
            "x.docx",
            _docx_with(("word/blob.bin", os.urandom(64), "application/octet-stream", "blob")),
            "data we don't recognise",
        ),
        "data-connection": (
            "x.docx",
            _docx_with(
                (
                    "xl/connections.xml",
                    b"<connections/>",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.connections+xml",
                    "connections",
                )
            ),
            "connected to other data sources",
        ),
        "pdf-portfolio": ("x.pdf", _pdf(Collection=pikepdf.Dictionary()), "portfolio"),
        "pdf-dynamic-form": ("x.pdf", _pdf(NeedsRendering=True), "dynamic form"),
        # disguised
        "exe-as-jpg": (
            "holiday.jpg",
            b"MZ\x90\x00\x03" + bytes(59) + b"PE\x00\x00" + os.urandom(200),
            "named like a JPEG picture, but its contents are not one",
        ),
        "zip-as-docx": ("x.docx", _zip([("payroll.csv", b"name,salary\n")]), "Zip archives"),
        "html-as-pdf": ("x.pdf", b"<!DOCTYPE html><html><script>alert(1)</script>", "Web pages"),
        "svg-as-png": (
            "x.png",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>',
            "Web pages",
        ),
        "gif-as-png": ("x.png", corpus.gif(), "named like a PNG picture"),
        "utf16-text": ("x.txt", "notes".encode("utf-16"), "named like a plain text file"),
        # polyglots: the hidden part is dropped, the visible one kept
        "jpeg-plus-zip": ("x.jpg", corpus.jpeg() + _zip([("evil.js", b"alert(1)")]), None),
        "pdf-plus-zip": ("x.pdf", _pdf() + _zip([("evil.js", b"alert(1)")]), None),
        "png-with-html": ("x.png", _png_with_html(), None),
    }
    return cases


def _parts(package: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return [(n, archive.read(n)) for n in archive.namelist()]


def _bad_checksum(package: bytes) -> bytes:
    data = bytearray(package)
    directory = data.index(b"PK\x01\x02")
    data[directory + 16] ^= 0xFF  # the first entry's CRC-32, as zipfile checks it
    return bytes(data)


def _encrypted_flag(package: bytes) -> bytes:
    data = bytearray(package)
    directory = data.index(b"PK\x01\x02")
    data[directory + 8] |= 0x1  # the "encrypted" flag, as zipfile reads it
    return bytes(data)


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + corpus.png_chunk(b"IHDR", ihdr)
        + corpus.png_chunk(b"IDAT", b"x\x9c" + bytes(10))
        + corpus.png_chunk(b"IEND", b"")
    )


def _png_with_html() -> bytes:
    data = corpus.png()
    chunk = corpus.png_chunk(b"tEXt", b"Comment\x00<html><script>alert(1)</script></html>")
    return data[:33] + chunk + data[33:]


# Cut in half, the corpus PDF loses its second revision: what a viewer shows is then the
# first revision's page text, which is content, not metadata.
_STILL_VISIBLE = {"truncated-pdf": {"MK-PDF-OLDREVISION"}}


@pytest.mark.slow
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("case_id", list(_cases()))
def test_a_hostile_file_never_causes_a_server_error_or_an_unclean_stored_file(
    client, whistleblowing, form, case_id, _evidence_dir
):
    name, content, refusal = _cases()[case_id]
    answer = upload_through(client, whistleblowing, form, (name, content))
    assert answer.status_code < 500
    page = html.unescape(answer.content.decode())
    stored = list(Evidence.objects.all())
    if refusal is not None:
        assert answer.status_code == 400
        assert refusal in page
        assert stored == [] and stored_files(_evidence_dir) == []
        if form == "report":
            assert "Invoices are approved without checks." in page  # the answers are kept
    for evidence in stored:  # kept: a truncated file that still opens, or a polyglot
        data = b"".join(evidence_read(evidence))
        assert corpus.markers_in(data) == _STILL_VISIBLE.get(case_id, set())
        assert b"PK\x03\x04" not in data[4:] and b"<script" not in data


def test_a_file_over_the_size_limit_is_refused_on_both_forms(client, whistleblowing, settings):
    settings.SPEAKUP_EVIDENCE_MAX_BYTES = 10_000
    for form in FORMS:
        answer = upload_through(client, whistleblowing, form, ("big.pdf", bytes(50_000)))
        assert answer.status_code == 400 and "too big" in answer.content.decode()
    assert not Evidence.objects.exists()


def test_more_files_than_allowed_store_nothing(client, whistleblowing, _evidence_dir):
    notes = [(f"n{number}.txt", b"notes\n") for number in range(6)]
    for form in FORMS:
        answer = upload_through(client, whistleblowing, form, *notes)
        assert answer.status_code == 400
    assert not Evidence.objects.exists() and stored_files(_evidence_dir) == []
