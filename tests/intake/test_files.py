"""Evidence intake: files are known by content, hostile shapes are refused, metadata goes.

Every fixture is made here, in memory. Office files are deflated, so "the marker is gone" is
checked on every unpacked part, not on the zip's bytes.
"""

from __future__ import annotations

import builtins
import io
import os
import struct
import tempfile
import zipfile
import zlib

import pikepdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageStat
from PIL.ExifTags import GPS, IFD, Base
from PIL.PngImagePlugin import PngImageFile, PngInfo

from intake.cleaning import common
from intake.files import ALLOWED, FileRejected, clean_evidence
from tests.intake.corpus import pdf_inflated, picture

PERSON = "Jane Reporter"
MANAGER = "Line Manager Smith"
COMPANY = "Acme Secret Ltd"


# --- Fixture builders ----------------------------------------------------------------------


def _camera_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[Base.Make] = "MarkerCam"
    exif[Base.Model] = "Phone 9 ModelMarker"
    exif[Base.Software] = "SoftwareMarker 1.0"
    exif[Base.Artist] = PERSON
    exif[Base.Orientation] = orientation
    exif[IFD.Exif] = {Base.DateTimeOriginal: "2024:01:02 03:04:05"}
    exif[IFD.GPSInfo] = {
        GPS.GPSLatitudeRef: "N",
        GPS.GPSLatitude: (51.0, 30.0, 26.0),
        GPS.GPSAreaInformation: b"ASCII\x00\x00\x00GPSMARKER",
    }
    return exif


def _jpeg(size: tuple[int, int] = (64, 48), orientation: int = 1) -> bytes:
    out = io.BytesIO()
    picture(size).save(
        out,
        "JPEG",
        quality=95,
        exif=_camera_exif(orientation),
        xmp=b"<x:xmpmeta>XMPMARKER</x:xmpmeta>",
        comment=b"COMMENTMARKER",
    )
    return out.getvalue()


def _png_with_text() -> bytes:
    notes = PngInfo()
    notes.add_text("Author", PERSON)
    notes.add_text("Comment", "ZIPPEDMARKER " * 20, zip=True)
    notes.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>XMPMARKER</x:xmpmeta>")
    out = io.BytesIO()
    picture().convert("RGBA").save(out, "PNG", pnginfo=notes)
    return out.getvalue()


def _png_header(width: int, height: int) -> bytes:
    """A valid PNG start claiming a size: what a decompression bomb looks like from outside."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


_XMP = f"""<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
<dc:creator><rdf:Seq><rdf:li>{PERSON}</rdf:li></rdf:Seq></dc:creator>
<pdf:Producer>XMPMARKER</pdf:Producer>
</rdf:Description></rdf:RDF></x:xmpmeta>""".encode()


def _pdf(*, picture: bytes | None = None, encryption: pikepdf.Encryption | None = None) -> bytes:
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(200, 200))
    page.Contents = pdf.make_stream(b"BT /F1 12 Tf 20 100 Td (Hello evidence) Tj ET")
    if picture is not None:
        width, height = Image.open(io.BytesIO(picture)).size
        page.Resources = pikepdf.Dictionary(
            XObject=pikepdf.Dictionary(
                Im0=pdf.make_stream(
                    picture,
                    Type=pikepdf.Name.XObject,
                    Subtype=pikepdf.Name.Image,
                    Width=width,
                    Height=height,
                    ColorSpace=pikepdf.Name.DeviceRGB,
                    BitsPerComponent=8,
                    Filter=pikepdf.Name.DCTDecode,
                )
            )
        )
    pdf.docinfo["/Author"] = PERSON
    pdf.docinfo["/Creator"] = "CreatorMarker Writer"
    pdf.docinfo["/Producer"] = "ProducerMarker PDF"
    pdf.docinfo["/CreationDate"] = "D:20240102030405Z"
    pdf.Root.Metadata = pdf.make_stream(_XMP, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)
    page.obj.Metadata = pdf.make_stream(b"PAGEXMPMARKER", Type=pikepdf.Name.Metadata)
    page.obj.PieceInfo = pikepdf.Dictionary(Illustrator=pikepdf.Dictionary(Private="PIECEMARKER"))
    out = io.BytesIO()
    pdf.save(out, encryption=encryption or False)
    return out.getvalue()


_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN_TYPES = {
    "word/document.xml": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    ),
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "ppt/presentation.xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
    ),
}
_CORE = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties
 xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<dc:title></dc:title><dc:creator>{PERSON}</dc:creator>
<cp:lastModifiedBy>{MANAGER}</cp:lastModifiedBy><cp:revision>7</cp:revision>
<dcterms:created xsi:type="dcterms:W3CDTF">2024-01-02T03:04:05Z</dcterms:created>
</cp:coreProperties>"""
_APP = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
 xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">
<Template>Normal.dotm</Template><TotalTime>42</TotalTime><Pages>1</Pages>
<Application>Microsoft Office Word</Application><Company>{COMPANY}</Company>
</Properties>"""
_CUSTOM = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
 xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">
<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Client">
<vt:lpwstr>CustomMarker</vt:lpwstr></property></Properties>"""
_DOCUMENT = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>The minutes were changed afterwards.</w:t></w:r></w:p>"
    b"</w:body></w:document>"
)


def _office(main: str = "word/document.xml", main_part: bytes = _DOCUMENT, **extra: bytes) -> bytes:
    """A minimal but well-formed Office file, with the identifying properties filled in."""
    overrides = "".join(
        f'<Override PartName="/{name}" ContentType="{kind}"/>'
        for name, kind in [
            (main, _MAIN_TYPES[main]),
            ("docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
            (
                "docProps/app.xml",
                "application/vnd.openxmlformats-officedocument.extended-properties+xml",
            ),
            (
                "docProps/custom.xml",
                "application/vnd.openxmlformats-officedocument.custom-properties+xml",
            ),
        ]
    )
    relationships = "".join(
        f'<Relationship Id="rId{number}" Type="{kind}" Target="{target}"/>'
        for number, (kind, target) in enumerate(
            [
                (f"{_OFFICE_RELS}/officeDocument", main),
                (f"{_RELS}/metadata/core-properties", "docProps/core.xml"),
                (f"{_OFFICE_RELS}/extended-properties", "docProps/app.xml"),
                (f"{_OFFICE_RELS}/custom-properties", "docProps/custom.xml"),
            ],
            start=1,
        )
    )
    parts = {
        "[Content_Types].xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="{_CT}">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Default Extension="jpeg" ContentType="image/jpeg"/>{overrides}</Types>'
        ).encode(),
        "_rels/.rels": f'<Relationships xmlns="{_RELS}">{relationships}</Relationships>'.encode(),
        main: main_part,
        "docProps/core.xml": _CORE.encode(),
        "docProps/app.xml": _APP.encode(),
        "docProps/custom.xml": _CUSTOM.encode(),
    }
    # Extra parts are pictures the main part shows, so they are related to it.
    pictures = {name.replace("__", "/").replace("_dot_", "."): data for name, data in extra.items()}
    folder, _, file_name = main.rpartition("/")
    if pictures:
        parts[f"{folder}/_rels/{file_name}.rels"] = (
            f'<Relationships xmlns="{_RELS}">'
            + "".join(
                f'<Relationship Id="rIdPicture{number}" Type="{_OFFICE_RELS}/image" '
                f'Target="{name.removeprefix(folder + "/")}"/>'
                for number, name in enumerate(pictures)
            )
            + "</Relationships>"
        ).encode()
    parts |= pictures
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def _unpacked(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def _rejected(data: bytes, name: str = "evidence") -> str:
    with pytest.raises(FileRejected) as error:
        clean_evidence(data, declared_name=name)
    return error.value.message


# --- Pictures ------------------------------------------------------------------------------


def test_a_jpeg_loses_gps_camera_author_and_xmp_but_keeps_its_size_and_pixels():
    original = _jpeg()
    cleaned = clean_evidence(original, declared_name="IMG_0042.JPG")

    assert (cleaned.content_type, cleaned.extension) == ("image/jpeg", "jpg")
    for marker in (b"GPSMARKER", b"MarkerCam", b"ModelMarker", b"SoftwareMarker", b"XMPMARKER"):
        assert marker not in cleaned.content
    assert PERSON.encode() not in cleaned.content
    assert b"COMMENTMARKER" not in cleaned.content
    assert b"Exif\x00\x00" not in cleaned.content
    picture = Image.open(io.BytesIO(cleaned.content))
    assert not picture.getexif()
    assert picture.size == (64, 48)
    difference = ImageChops.difference(picture.convert("RGB"), Image.open(io.BytesIO(original)))
    # Re-encoded with the original's tables: as close as Pillow's quality="keep" gets.
    assert max(ImageStat.Stat(difference).mean) < 5
    for finding in (
        "GPS location",
        "camera make and model",
        "date taken",
        "creator tool",
        "author",
        "XMP metadata",
        "comment",
    ):
        assert finding in cleaned.removed


def test_a_jpeg_is_turned_the_way_its_exif_says_before_the_exif_goes():
    cleaned = clean_evidence(_jpeg(size=(40, 20), orientation=6), declared_name="side.jpg")
    picture = Image.open(io.BytesIO(cleaned.content))
    assert picture.size == (20, 40)
    assert Base.Orientation not in picture.getexif()


def test_a_png_loses_its_text_chunks_and_xmp_and_keeps_every_pixel():
    original = _png_with_text()
    cleaned = clean_evidence(original, declared_name="screenshot.png")

    assert (cleaned.content_type, cleaned.extension) == ("image/png", "png")
    assert PERSON.encode() not in cleaned.content
    assert b"XMPMARKER" not in cleaned.content
    for chunk in (b"tEXt", b"zTXt", b"iTXt"):
        assert chunk not in cleaned.content
    before, after = Image.open(io.BytesIO(original)), Image.open(io.BytesIO(cleaned.content))
    assert isinstance(after, PngImageFile) and after.text == {}
    assert after.size == before.size and after.mode == before.mode == "RGBA"
    assert after.tobytes() == before.tobytes()
    assert cleaned.removed == ["author", "comment", "XMP metadata"]


def test_a_picture_is_known_by_its_content_whatever_its_name_says():
    cleaned = clean_evidence(_png_with_text(), declared_name="notes.txt")
    assert (cleaned.content_type, cleaned.safe_name) == ("image/png", "notes.png")


def test_a_picture_over_50_megapixels_is_refused_from_its_header():
    message = _rejected(_png_header(10_000, 6_000), "big.png")
    assert "too large" in message and "50 megapixels" in message


def test_a_decompression_bomb_png_is_refused():
    assert "too large" in _rejected(_png_header(100_000, 100_000), "bomb.png")


def test_pillows_own_bomb_guard_is_a_second_line(monkeypatch):
    monkeypatch.setattr(common, "MAX_PIXELS", 10**12)  # pretend our own check let it through
    assert "too large" in _rejected(_png_header(100_000, 100_000), "bomb.png")


def test_a_truncated_jpeg_is_refused_as_damaged():
    whole = _jpeg(size=(256, 256))
    message = _rejected(whole[: len(whole) * 2 // 3], "cut.jpg")
    assert message.startswith("This JPEG picture seems to be damaged")


# --- PDF -----------------------------------------------------------------------------------


def test_a_pdf_loses_its_info_and_xmp_and_gains_no_producer():
    original = _pdf()
    cleaned = clean_evidence(original, declared_name="minutes.pdf")

    assert (cleaned.content_type, cleaned.extension) == ("application/pdf", "pdf")
    before, after = pdf_inflated(original), pdf_inflated(cleaned.content)
    for marker in (PERSON, "CreatorMarker", "ProducerMarker", "XMPMARKER", "PAGEXMPMARKER"):
        assert marker.encode() in before
        assert marker.encode() not in after
        assert marker.encode() not in cleaned.content
    assert b"PIECEMARKER" in before and b"PIECEMARKER" not in after
    assert b"pikepdf" not in after.lower() and b"pikepdf" not in cleaned.content.lower()
    with pikepdf.open(io.BytesIO(cleaned.content)) as pdf:
        assert "/Info" not in pdf.trailer
        assert "/Metadata" not in pdf.Root
        assert len(pdf.pages) == 1
        assert b"Hello evidence" in pdf.pages[0].Contents.read_bytes()
    for finding in ("author", "creator tool", "PDF producer software", "date created"):
        assert finding in cleaned.removed
    assert "XMP metadata" in cleaned.removed
    assert "editing application data" in cleaned.removed


def test_a_photo_kept_whole_inside_a_pdf_loses_its_exif():
    cleaned = clean_evidence(_pdf(picture=_jpeg()), declared_name="scan.pdf")

    assert "GPS location (in a picture)" in cleaned.removed
    with pikepdf.open(io.BytesIO(cleaned.content)) as pdf:
        image = pdf.pages[0].Resources.XObject.Im0
        assert isinstance(image, pikepdf.Stream)
        raw = image.read_raw_bytes()
        assert b"Exif\x00\x00" not in raw and b"GPSMARKER" not in raw
        assert pikepdf.PdfImage(image).as_pil_image().size == (64, 48)


def test_a_password_protected_pdf_is_refused():
    locked = _pdf(encryption=pikepdf.Encryption(user="secret", owner="secret"))
    assert "Password-protected" in _rejected(locked, "locked.pdf")


def test_html_renamed_to_pdf_is_refused():
    page = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
    assert "Web pages" in _rejected(page, "report.pdf")


def test_a_broken_pdf_is_refused_as_damaged():
    assert "damaged" in _rejected(b"%PDF-1.7\nnot really a pdf", "x.pdf")


# --- Word, Excel, PowerPoint ---------------------------------------------------------------


def test_a_docx_loses_author_company_and_custom_properties_and_still_opens():
    photo = _jpeg(orientation=6)
    cleaned = clean_evidence(_office(word__media__image1_dot_jpeg=photo), declared_name="m.docx")

    assert cleaned.content_type.endswith("wordprocessingml.document")
    parts = _unpacked(cleaned.content)
    assert parts["word/document.xml"] == _DOCUMENT
    for name, data in parts.items():
        for marker in (PERSON, MANAGER, COMPANY, "CustomMarker", "GPSMARKER", "MarkerCam"):
            assert marker.encode() not in data, (marker, name)
    assert b"creator" not in parts["docProps/core.xml"]
    assert b"Company" not in parts["docProps/app.xml"]
    for finding in (
        "author",
        "last modified by",
        "date created",
        "revision number",
        "company",
        "template name",
        "creator tool",
        "total editing time",
        "custom properties",
        "GPS location (in a picture)",
        "camera make and model (in a picture)",
    ):
        assert finding in cleaned.removed
    assert "title" not in cleaned.removed  # it was empty


def test_a_picture_inside_a_docx_keeps_its_pixels_and_orientation():
    photo = _jpeg(orientation=6)
    cleaned = clean_evidence(_office(word__media__image1_dot_jpeg=photo), declared_name="m.docx")
    inside = Image.open(io.BytesIO(_unpacked(cleaned.content)["word/media/image1.jpeg"]))
    assert inside.getexif() == {Base.Orientation: 6}
    assert inside.tobytes() == Image.open(io.BytesIO(photo)).tobytes()


def test_an_xlsx_and_a_pptx_are_recognised_and_excels_saved_folder_goes():
    workbook = (
        b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'xmlns:x15ac="http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac">'
        b'<x15ac:absPath url="C:\\Users\\jreporter\\Documents\\"/><sheets/></workbook>'
    )
    sheet = clean_evidence(_office("xl/workbook.xml", workbook), declared_name="a.xlsx")
    assert (sheet.extension, sheet.safe_name) == ("xlsx", "a.xlsx")
    assert "saved file location" in sheet.removed
    assert b"jreporter" not in _unpacked(sheet.content)["xl/workbook.xml"]

    slides = clean_evidence(_office("ppt/presentation.xml", b"<p/>"), declared_name="b.pptx")
    assert slides.content_type.endswith("presentationml.presentation")
    assert "author" in slides.removed


def test_an_office_part_with_a_dtd_is_refused_so_entities_never_expand():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<cp:coreProperties xmlns:cp="x">&lol2;</cp:coreProperties>'
    )
    office = _office()
    parts = _unpacked(office)
    parts["docProps/core.xml"] = laughs
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert "damaged" in _rejected(out.getvalue(), "lol.docx")


def test_office_files_with_macros_are_refused():
    macro = _office(word__vbaProject_dot_bin=b"Attribute VB_Name")
    assert "macros" in _rejected(macro, "m.docm")


def test_old_or_password_protected_office_files_are_refused():
    assert "Older Office files" in _rejected(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))


def test_a_plain_zip_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payroll.csv", "name,salary\n")
    assert "Zip archives can't be accepted" in _rejected(out.getvalue(), "x.zip")


def test_a_zip_bomb_is_refused_without_being_unpacked():
    out = io.BytesIO()
    zeros = bytes(8 << 20)
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("[Content_Types].xml", "w", force_zip64=True) as entry,
    ):
        for _ in range(25):  # 200 MB of zeros, streamed: about 1 MB once deflated
            entry.write(zeros)
    assert "far more data than its size suggests" in _rejected(out.getvalue(), "bomb.docx")


def test_a_zip_over_100_mb_unpacked_is_refused_from_its_directory():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", bytes(2_000_000))
    data = bytearray(out.getvalue())
    # The central directory claims 150 MB (75:1, under the ratio limit): refused from the
    # directory alone, before anything is read.
    directory = data.rindex(b"PK\x01\x02")
    data[directory + 24 : directory + 28] = struct.pack("<I", 150_000_000)
    assert "over 100 MB" in _rejected(bytes(data), "big.docx")


def test_a_zip_with_more_than_1000_entries_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for number in range(1_001):
            archive.writestr(f"part{number}.xml", b"")
    assert "too many parts" in _rejected(out.getvalue(), "many.docx")


def test_a_zip_with_an_encrypted_entry_is_refused():
    data = bytearray(_office())
    directory = data.index(b"PK\x01\x02")
    data[directory + 8] |= 0x1  # the "encrypted" flag, as zipfile reads it
    assert "Password-protected" in _rejected(bytes(data), "locked.docx")


def test_a_corrupt_office_file_is_refused_as_damaged():
    whole = _office()
    assert "damaged" in _rejected(whole[: len(whole) // 2] + bytes(100), "broken.docx")


# --- Plain text and the rest ---------------------------------------------------------------


def test_plain_text_is_kept_as_it_is():
    text = "Ce qui s'est passé le 3 mai.\r\nNo metadata here.\n".encode()
    cleaned = clean_evidence(text, declared_name="notes")
    assert cleaned.content == text
    assert (cleaned.content_type, cleaned.removed, cleaned.safe_name) == (
        "text/plain",
        [],
        "notes.txt",
    )


def test_text_with_a_byte_order_mark_is_plain_text():
    assert clean_evidence(b"\xef\xbb\xbfnotes", declared_name="a").content_type == "text/plain"


def test_cleaning_never_opens_a_file(monkeypatch):
    samples = [_jpeg(), _png_with_text(), _pdf(picture=_jpeg()), _office(), b"text"]

    def refuse(*args, **kwargs):
        raise AssertionError("plaintext must never reach the disk")

    for target in (builtins, io, os, tempfile):
        for name in ("open", "mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryFile"):
            if hasattr(target, name):
                monkeypatch.setattr(target, name, refuse)
    for data in samples:
        clean_evidence(data, declared_name="x")


@pytest.mark.parametrize(
    "data",
    [
        "UTF-16 text".encode("utf-16"),  # has NUL bytes
        "caf\xe9".encode("latin-1"),  # not UTF-8
        b"\x7fELF\x02\x01\x01" + bytes(64),
        b"GIF89a" + bytes(20),
    ],
)
def test_content_that_is_no_allowed_kind_is_refused(data):
    assert "can't be accepted" in _rejected(data, "file.bin")


def test_an_exe_renamed_to_jpg_is_refused_with_a_message_that_says_why():
    program = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(48) + b"PE\x00\x00"
    message = _rejected(program, "holiday.jpg")
    assert message.startswith("This file is named like a JPEG picture, but its contents are not")
    assert "We accept photos (JPEG or PNG), PDF" in message


def test_an_empty_file_is_refused():
    assert _rejected(b"", "empty.pdf") == "The file is empty."


def test_every_allowed_kind_has_its_own_extension_and_type():
    assert len({kind.extension for kind in ALLOWED}) == len(ALLOWED) == 7
    assert len({kind.content_type for kind in ALLOWED}) == 7


# --- Display names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("../../etc/passwd", "passwd.txt"),
        ("C:\\Users\\x\\report.pdf", "report.txt"),
        ("/var/www/../secret..notes.txt", "secret.notes.txt"),
        ("evil\x00name\x1b[31m.txt", "evilname[31m.txt"),
        ("invoice\u202egpj.exe", "invoicegpj.txt"),
        ("..", "evidence.txt"),
        ("", "evidence.txt"),
        ("version 3.5", "version 3.5.txt"),
        ('what: "why"?.txt', "what_ _why__.txt"),
    ],
)
def test_the_display_name_keeps_only_a_harmless_last_part(declared, expected):
    assert clean_evidence(b"text", declared_name=declared).safe_name == expected


def test_a_long_name_is_trimmed_to_100_characters_with_the_detected_extension():
    name = clean_evidence(b"text", declared_name="a" * 300 + ".pdf").safe_name
    assert len(name) == 100 and name.endswith("a.txt")


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_a_display_name_never_carries_a_path(declared):
    name = clean_evidence(b"text", declared_name=declared).safe_name
    assert "/" not in name and "\\" not in name and ".." not in name
    assert len(name) <= 100 and name.endswith(".txt") and name.isprintable()


def test_a_truncated_jpeg_is_refused_even_after_a_library_turned_on_pillows_leniency():
    from PIL import ImageFile

    # WeasyPrint does this when the reports import it, for the whole process.
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    try:
        whole = _jpeg(size=(256, 256))
        message = _rejected(whole[: len(whole) * 2 // 3], "cut.jpg")
        assert message.startswith("This JPEG picture seems to be damaged")
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False
