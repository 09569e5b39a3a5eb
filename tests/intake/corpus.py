"""Evidence files made in memory with a marker in every place a format can name a person or a
device, and a way to look inside any file for a marker (unpacking zips, inflating PDF streams
and PNG chunks, and trying the text encodings formats use).

Every marker starts with ``MK-`` and names its place, so a failure says where a marker
survived. Nothing here is a committed binary: each builder writes its file from scratch.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field

import pikepdf
from PIL import Image
from PIL.ExifTags import GPS, IFD, Base
from PIL.PngImagePlugin import PngInfo

MARKER = re.compile(rb"MK-[A-Z0-9-]+")
VISIBLE_TEXT = "The minutes were changed afterwards."
PAGE_TEXT = f"BT /F1 12 Tf 20 250 Td ({VISIBLE_TEXT}) Tj ET q 64 0 0 48 20 20 cm /Im0 Do Q"


# --- Looking inside ------------------------------------------------------------------------


def markers_in(data: bytes) -> set[str]:
    """Every marker in ``data`` or in anything packed inside it, in UTF-8 or UTF-16."""
    found: set[str] = set()
    for layer in _layers(data):
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            text = layer.decode(encoding, errors="ignore")
            found.update(re.findall(r"MK-[A-Z0-9-]+", text))
        found.update(m.decode() for m in MARKER.findall(layer))
    return found


def _layers(data: bytes, depth: int = 0) -> list[bytes]:
    layers = [data]
    if depth > 3:
        return layers
    if data.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                layers += _layers(archive.read(name), depth + 1)
                layers.append(name.encode())
    elif data.startswith(b"%PDF-"):
        layers.append(pdf_inflated(data))
    elif data.startswith(b"\x89PNG"):
        layers += [_inflate_any(chunk) for chunk in _png_payloads(data)]
    for start in (m.start() for m in re.finditer(rb"\x78[\x01\x5e\x9c\xda]", data)):
        layers.append(_inflate_any(data[start:]))  # zlib streams anywhere (ICC in iCCP, zTXt)
    return layers


def _inflate_any(data: bytes) -> bytes:
    for start in range(min(len(data), 100)):
        try:
            return zlib.decompressobj().decompress(data[start:], 10_000_000)
        except zlib.error:
            continue
    return b""


def _png_payloads(data: bytes) -> list[bytes]:
    payloads, i = [], 8
    while i + 8 <= len(data):
        (length,) = struct.unpack(">I", data[i : i + 4])
        payloads.append(data[i + 8 : i + 8 + length])
        i += 12 + length
    return payloads


def pdf_inflated(data: bytes) -> bytes:
    """The PDF with every stream and object stream unpacked, so a marker can't hide."""
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.save(
            out,
            qdf=True,
            compress_streams=False,
            fix_metadata_version=False,
            stream_decode_level=pikepdf.StreamDecodeLevel.specialized,
            object_stream_mode=pikepdf.ObjectStreamMode.disable,
        )
    return out.getvalue()


# --- Colour profiles -----------------------------------------------------------------------


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _desc(text: str) -> bytes:
    ascii_text = text.encode() + b"\x00"
    return b"desc" + bytes(4) + struct.pack(">I", len(ascii_text)) + ascii_text + bytes(78)


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + bytes(4) + _s15(x) + _s15(y) + _s15(z)


def icc_profile(place: str = "ICC") -> bytes:
    """A valid version 2 display profile (sRGB primaries, gamma 2.2) that names a device,
    a date, its maker and a person, in every field and tag that can."""
    curve = b"curv" + bytes(4) + struct.pack(">IH", 1, 0x0233) + bytes(2)
    tags = [
        (b"desc", _desc(f"MK-{place}-DESC Calibrated DELL monitor")),
        (b"cprt", b"text" + bytes(4) + f"MK-{place}-CPRT".encode() + b"\x00"),
        (b"dmnd", _desc(f"MK-{place}-MAKER")),
        (b"dmdd", _desc(f"MK-{place}-MODEL")),
        (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", _xyz(0.4361, 0.2225, 0.0139)),
        (b"gXYZ", _xyz(0.3851, 0.7169, 0.0971)),
        (b"bXYZ", _xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
        (b"MKpv", b"text" + bytes(4) + f"MK-{place}-PRIVATE".encode() + b"\x00"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = struct.pack(">I", len(tags)), b""
    for signature, content in tags:
        table += struct.pack(">4sII", signature, offset + len(data), len(content))
        data += content + bytes(-len(content) % 4)
    header = bytearray(128)
    header[4:8] = b"MKcm"  # the program that made it
    header[8:12] = b"\x02\x10\x00\x00"
    header[12:24] = b"mntrRGB XYZ "
    header[24:36] = struct.pack(">6H", 2024, 1, 2, 3, 4, 5)
    header[36:44] = b"acspAPPL"
    header[48:56] = b"MKDVMKMD"  # device manufacturer and model
    header[68:80] = _s15(0.9642) + _s15(1.0) + _s15(0.8249)
    header[80:84] = b"MKcr"
    profile = header + table + data
    profile[:4] = struct.pack(">I", len(profile))
    return bytes(profile)


# --- Pictures ------------------------------------------------------------------------------


def picture(size: tuple[int, int] = (64, 48)) -> Image.Image:
    """A picture with detail in it, so a re-encoding that moved pixels would show."""
    return Image.merge(
        "RGB",
        [
            Image.linear_gradient("L").resize(size),
            Image.radial_gradient("L").resize(size),
            Image.effect_noise(size, 40).convert("L"),
        ],
    )


def camera_exif(place: str = "EXIF", orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[Base.Make] = f"MK-{place}-MAKE"
    exif[Base.Model] = f"MK-{place}-MODEL"
    exif[Base.Software] = f"MK-{place}-SOFTWARE"
    exif[Base.HostComputer] = f"MK-{place}-HOST"
    exif[Base.Artist] = f"MK-{place}-ARTIST"
    exif[Base.Copyright] = f"MK-{place}-COPYRIGHT"
    exif[Base.ImageDescription] = f"MK-{place}-DESCRIPTION"
    exif[Base.XPAuthor] = f"MK-{place}-XPAUTHOR".encode("utf-16-le") + b"\x00\x00"
    exif[Base.Orientation] = orientation
    exif[IFD.Exif] = {
        Base.DateTimeOriginal: "2024:01:02 03:04:05",
        Base.CameraOwnerName: f"MK-{place}-OWNER",
        Base.BodySerialNumber: f"MK-{place}-SERIAL",
        Base.LensModel: f"MK-{place}-LENS",
        Base.ImageUniqueID: f"MK-{place}-UNIQUE",
        Base.MakerNote: f"MK-{place}-MAKERNOTE".encode(),
    }
    exif[IFD.GPSInfo] = {
        GPS.GPSLatitudeRef: "N",
        GPS.GPSLatitude: (51.0, 30.0, 26.0),
        GPS.GPSAreaInformation: f"ASCII\x00\x00\x00MK-{place}-GPS".encode(),
    }
    return exif


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg(size: tuple[int, int] = (64, 48), orientation: int = 1, place: str = "JPEG") -> bytes:
    """A photo with a marker in EXIF (GPS, camera, owner, serial...), XMP, extended XMP,
    IPTC, the colour profile, a comment, a JFXX thumbnail, C2PA, an unknown segment, and in
    data hidden after the end of the picture."""
    out = io.BytesIO()
    picture(size).save(
        out,
        "JPEG",
        quality=95,
        exif=camera_exif(f"{place}-EXIF", orientation),
        xmp=f'<x:xmpmeta xmlns:x="adobe:ns:meta/">MK-{place}-XMP</x:xmpmeta>'.encode(),
        comment=f"MK-{place}-COMMENT".encode(),
        icc_profile=icc_profile(f"{place}-ICC"),
    )
    data = out.getvalue()
    extra = (
        _segment(0xE0, b"JFXX\x00\x13" + f"MK-{place}-THUMBNAIL".encode())
        + _segment(0xE1, b"http://ns.adobe.com/xmp/extension/\x00" + f"MK-{place}-XMPX".encode())
        + _segment(
            0xED,
            b"Photoshop 3.0\x008BIM\x04\x04\x00\x00"
            + struct.pack(">I", 24)
            + b"\x1c\x02\x50\x00\x14"
            + f"MK-{place}-IPTC".ljust(20).encode()[:20]
            + b"\x00",
        )
        + _segment(0xEB, b"JP\x00\x01" + f"MK-{place}-C2PA".encode())
        + _segment(0xE4, f"MK-{place}-APP4".encode())
    )
    return data[:2] + extra + data[2:] + f"MK-{place}-TRAILER".encode()


JPEG_FINDINGS = {
    "thumbnail picture",
    "GPS location",
    "camera make and model",
    "date taken",
    "creator tool",
    "computer name",
    "author",
    "camera owner name",
    "camera serial number",
    "lens make and model",
    "unique picture ID",
    "copyright",
    "description",
    "camera maker notes",
    "XMP metadata",
    "device named in the colour profile",
    "date in the colour profile",
    "software named in the colour profile",
    "colour profile description",
    "other colour profile details",
    "IPTC captions and credits",
    "C2PA content credentials",
    "comment",
    "other hidden data",
    "data hidden after the end of the picture",
}


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


def png(place: str = "PNG", mode: str = "RGBA") -> bytes:
    """A screenshot with a marker in text chunks (plain, compressed, international), EXIF,
    the colour profile and its name, C2PA, a private chunk and data after the end."""
    notes = PngInfo()
    notes.add_text("Author", f"MK-{place}-AUTHOR")
    notes.add_text("Comment", f"MK-{place}-ZTXT " * 20, zip=True)
    notes.add_itxt("XML:com.adobe.xmp", f"<x:xmpmeta>MK-{place}-XMP</x:xmpmeta>")
    notes.add_itxt("Description", f"MK-{place}-ITXTZ " * 20, zip=True)
    out = io.BytesIO()
    picture().convert(mode).save(out, "PNG", pnginfo=notes, exif=camera_exif(f"{place}-EXIF"))
    data = out.getvalue()
    profile = icc_profile(f"{place}-ICC")
    head = data[:33]  # signature and IHDR
    extra = (
        png_chunk(b"iCCP", f"MK-{place}-ICCNAME".encode() + b"\x00\x00" + zlib.compress(profile))
        + png_chunk(b"tIME", struct.pack(">HBBBBB", 2024, 1, 2, 3, 4, 5))
        + png_chunk(b"caBX", f"MK-{place}-C2PA".encode())
        + png_chunk(b"prVt", f"MK-{place}-PRIVATE".encode())
    )
    return head + extra + data[33:] + f"MK-{place}-TRAILER".encode()


PNG_FINDINGS = {
    "author",
    "comment",
    "XMP metadata",
    "description",
    "GPS location",
    "camera make and model",
    "date taken",
    "creator tool",
    "computer name",
    "camera owner name",
    "camera serial number",
    "lens make and model",
    "unique picture ID",
    "copyright",
    "camera maker notes",
    "device named in the colour profile",
    "date in the colour profile",
    "software named in the colour profile",
    "colour profile description",
    "other colour profile details",
    "colour profile name",
    "date modified",
    "C2PA content credentials",
    "other hidden data",
    "data hidden after the end of the picture",
}


def gif(place: str = "GIF") -> bytes:
    """A two-frame GIF with a comment and an XMP application block."""
    frames = [picture((16, 16)).convert("P"), picture((16, 16)).rotate(90).convert("P")]
    out = io.BytesIO()
    frames[0].save(
        out,
        "GIF",
        save_all=True,
        append_images=frames[1:],
        comment=f"MK-{place}-COMMENT".encode(),
        duration=100,
        loop=0,
    )
    data = out.getvalue()
    xmp = b"\x21\xff\x0bXMP DataXMP" + bytes([len(f"MK-{place}-XMP")]) + f"MK-{place}-XMP".encode()
    xmp += b"\x00"
    header_end = 13 + 3 * 2 ** ((data[10] & 0x07) + 1) if data[10] & 0x80 else 13
    return data[:header_end] + xmp + data[header_end:]


def svg(place: str = "SVG") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- MK-{place}-COMMENT -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
 xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"
 width="10" height="10" sodipodi:docname="MK-{place}-DOCNAME.svg"
 inkscape:export-filename="/home/MK-{place}-USER/icon.png">
<metadata><rdf:RDF><dc:creator>MK-{place}-CREATOR</dc:creator></rdf:RDF></metadata>
<sodipodi:namedview inkscape:window-width="MK-{place}-WINDOW"/>
<rect width="10" height="10" fill="#1d70b8"/></svg>""".encode()


# --- Office packages -----------------------------------------------------------------------

CT = "http://schemas.openxmlformats.org/package/2006/content-types"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = OFFICE_RELS
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
SLIDES_MAIN = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Opc:
    """A small Open Packaging Conventions writer: parts, their types and relationships."""

    parts: dict[str, bytes] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    rels: dict[str, list[tuple[str, str, str, bool]]] = field(default_factory=dict)
    extra: dict[str, bytes] = field(default_factory=dict)  # raw zip entries

    def add(
        self,
        name: str,
        data: bytes | str,
        content_type: str,
        *,
        source: str = "",
        rel_type: str = "",
        rel_id: str = "",
    ) -> None:
        self.parts[name] = data.encode() if isinstance(data, str) else data
        self.types[name] = content_type
        if rel_type:
            self.relate(source, name, rel_type, rel_id)

    def relate(
        self, source: str, target: str, rel_type: str, rel_id: str = "", external: bool = False
    ) -> None:
        entries = self.rels.setdefault(source, [])
        rel_id = rel_id or f"rId{len(entries) + 1}"
        if not external:
            target = posixpath.relpath(target, source.rpartition("/")[0] or ".")
        entries.append((rel_id, rel_type, target, external))

    def bytes(self) -> bytes:
        overrides = "".join(
            f'<Override PartName="/{name}" ContentType="{kind}"/>'
            for name, kind in self.types.items()
        )
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(
                "[Content_Types].xml",
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="{CT}">'
                '<Default Extension="rels" '
                'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                f"{overrides}</Types>",
            )
            for source, entries in self.rels.items():
                folder, _, name = source.rpartition("/")
                rels_name = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"
                if not source:
                    rels_name = "_rels/.rels"
                body = "".join(
                    f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"'
                    + (' TargetMode="External"' if external else "")
                    + "/>"
                    for rid, kind, target, external in entries
                )
                archive.writestr(
                    rels_name,
                    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    f'<Relationships xmlns="{PKG_RELS}">{body}</Relationships>',
                )
            for name, data in {**self.parts, **self.extra}.items():
                archive.writestr(name, data)
        return out.getvalue()


def _properties(opc: Opc, place: str, main: str) -> None:
    opc.add(
        "docProps/core.xml",
        f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties
 xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<dc:title>MK-{place}-TITLE</dc:title><dc:subject>MK-{place}-SUBJECT</dc:subject>
<dc:creator>MK-{place}-CREATOR</dc:creator><cp:keywords>MK-{place}-KEYWORDS</cp:keywords>
<dc:description>MK-{place}-DESCRIPTION</dc:description>
<cp:lastModifiedBy>MK-{place}-LASTMODIFIEDBY</cp:lastModifiedBy><cp:revision>7</cp:revision>
<cp:category>MK-{place}-CATEGORY</cp:category>
<dcterms:created xsi:type="dcterms:W3CDTF">2024-01-02T03:04:05Z</dcterms:created>
<dcterms:modified xsi:type="dcterms:W3CDTF">2024-01-03T03:04:05Z</dcterms:modified>
</cp:coreProperties>""",
        "application/vnd.openxmlformats-package.core-properties+xml",
        rel_type=f"{PKG_RELS}/metadata/core-properties",
    )
    opc.add(
        "docProps/app.xml",
        f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
 xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">
<Template>MK-{place}-TEMPLATE.dotm</Template><TotalTime>42</TotalTime><Pages>1</Pages>
<Application>Microsoft Office Word</Application><AppVersion>16.0000</AppVersion>
<Company>MK-{place}-COMPANY</Company><Manager>MK-{place}-MANAGER</Manager>
</Properties>""",
        "application/vnd.openxmlformats-officedocument.extended-properties+xml",
        rel_type=f"{OFFICE_RELS}/extended-properties",
    )
    opc.add(
        "docProps/custom.xml",
        f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
 xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">
<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="2" name="Owner">
<vt:lpwstr>MK-{place}-CUSTOM</vt:lpwstr></property></Properties>""",
        "application/vnd.openxmlformats-officedocument.custom-properties+xml",
        rel_type=f"{OFFICE_RELS}/custom-properties",
    )
    opc.add(
        "docProps/thumbnail.jpeg",
        jpeg(size=(16, 16), place=f"{place}-THUMB"),
        "image/jpeg",
        rel_type=f"{PKG_RELS}/metadata/thumbnail",
    )
    # Office keeps document-management data (SharePoint columns: people, e-mail) here.
    opc.add(
        "customXml/item1.xml",
        f"<p:properties xmlns:p='urn:sp'><DisplayName>MK-{place}-SHAREPOINT</DisplayName>"
        "</p:properties>",
        "application/xml",
        source=main,
        rel_type=f"{OFFICE_RELS}/customXml",
    )
    opc.add(
        "customXml/itemProps1.xml",
        '<ds:datastoreItem xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/'
        'customXml" ds:itemID="{00000000-0000-0000-0000-000000000001}"/>',
        "application/vnd.openxmlformats-officedocument.customXmlProperties+xml",
        source="customXml/item1.xml",
        rel_type=f"{OFFICE_RELS}/customXmlProps",
    )
    opc.add(
        "docMetadata/LabelInfo.xml",
        f"<clbl:labelList xmlns:clbl='http://schemas.microsoft.com/office/2020/mipLabelMetadata'>"
        f"<clbl:label id='{{1}}' siteId='MK-{place}-TENANT'/></clbl:labelList>",
        "application/vnd.ms-office.classificationlabels+xml",
        rel_type="http://schemas.microsoft.com/office/2020/02/relationships/classificationlabels",
    )
    opc.add(
        "_xmlsignatures/origin.sigs",
        b"",
        "application/vnd.openxmlformats-package.digital-signature-origin",
        rel_type=f"{PKG_RELS}/digital-signature/origin",
    )
    opc.add(
        "_xmlsignatures/sig1.xml",
        f"<Signature xmlns='http://www.w3.org/2000/09/xmldsig#'>MK-{place}-SIGNER</Signature>",
        "application/vnd.openxmlformats-package.digital-signature-xmlsignature+xml",
        source="_xmlsignatures/origin.sigs",
        rel_type=f"{PKG_RELS}/digital-signature/signature",
    )
    # A part nothing refers to: invisible in Office, still in the file.
    opc.extra["unused/leftover.xml"] = f"<x>MK-{place}-UNUSED</x>".encode()


PROPERTY_FINDINGS = {
    "title",
    "subject",
    "author",
    "keywords",
    "comments",
    "last modified by",
    "revision number",
    "category",
    "date created",
    "date modified",
    "template name",
    "total editing time",
    "creator tool",
    "company",
    "manager",
    "custom properties",
    "thumbnail picture",
    "document management data",
    "sensitivity label",
    "digital signatures",
    "other hidden data",
}


def _w(body: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:document xmlns:w="{W}" xmlns:r="{R}" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" '
        'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture" '
        'xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
        'mc:Ignorable="w14">'
        f"<w:body>{body}</w:body></w:document>"
    )


def docx() -> bytes:
    """A Word document with markers in its properties, tracked changes, comments (all four
    parts and the people part), revision session IDs, editing permissions, a field code, a
    picture's description, a linked file, document variables, mail merge, the template, a
    thumbnail, customXml, a signature, an unused part, a photo and a chart's workbook."""
    opc = Opc()
    place = "DOCX"
    mark = f'w:author="MK-{place}-TRACKAUTHOR" w:date="2024-01-02T03:04:05Z"'
    opc.add(
        "word/document.xml",
        _w(
            f'<w:p w:rsidR="00A1B2C3" w:rsidRDefault="00D4E5F6" w14:paraId="1A2B3C4D">'
            f'<w:permStart w:id="1" w:ed="MK-{place}-EDITOR"/>'
            f'<w:commentRangeStart w:id="0"/><w:r w:rsidR="00A1B2C3"><w:t>{VISIBLE_TEXT}</w:t>'
            f'</w:r><w:commentRangeEnd w:id="0"/><w:r><w:commentReference w:id="0"/></w:r>'
            f'<w:permEnd w:id="1"/>'
            f'<w:ins w:id="1" {mark}><w:r><w:t> Inserted words.</w:t></w:r></w:ins>'
            f'<w:del w:id="2" w:author="MK-{place}-DELAUTHOR" w:date="2024-01-02T03:04:05Z">'
            "<w:r><w:delText> Deleted words.</w:delText></w:r></w:del>"
            f'<w:moveFrom w:id="3" w:author="MK-{place}-MOVEAUTHOR"><w:r><w:t>Moved.</w:t>'
            "</w:r></w:moveFrom>"
            f'<w:r><w:rPr><w:b/><w:rPrChange w:id="4" w:author="MK-{place}-FORMATAUTHOR">'
            "<w:rPr/></w:rPrChange></w:rPr><w:t>Bold.</w:t></w:r>"
            '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve">'
            f' INCLUDEPICTURE "C:\\\\Users\\\\MK-{place}-FIELDUSER\\\\Pictures\\\\photo.jpg" '
            '</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
            f'<w:hyperlink r:id="rIdLink"><w:r><w:t>the budget</w:t></w:r></w:hyperlink>'
            "</w:p>"
            '<w:p><w:r><w:drawing><wp:inline><wp:docPr id="1" name="Picture 1" '
            f'descr="C:\\Users\\MK-{place}-PICTUREUSER\\Pictures\\IMG_0042.JPG"/>'
            '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
            '<pic:pic><pic:blipFill><a:blip r:embed="rIdImage"/></pic:blipFill></pic:pic>'
            "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"
            "<w:r><w:drawing><wp:inline><a:graphic><a:graphicData "
            'uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
            '<c:chart r:id="rIdChart"/></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>'
            "</w:p>"
            '<w:sectPr w:rsidR="00A1B2C3"/>'
        ),
        WORD_MAIN,
        rel_type=f"{OFFICE_RELS}/officeDocument",
    )
    main = "word/document.xml"
    opc.relate(
        main,
        f"file:///C:/Users/MK-{place}-LINKUSER/Documents/budget.xlsx",
        f"{OFFICE_RELS}/hyperlink",
        "rIdLink",
        external=True,
    )
    opc.add(
        "word/media/image1.jpeg",
        jpeg(place=f"{place}-PHOTO"),
        "image/jpeg",
        source=main,
        rel_type=f"{OFFICE_RELS}/image",
        rel_id="rIdImage",
    )
    opc.add(
        "word/charts/chart1.xml",
        '<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
        f'xmlns:r="{R}"><c:chart/><c:externalData r:id="rId1"/></c:chartSpace>',
        "application/vnd.openxmlformats-officedocument.drawingml.chart+xml",
        source=main,
        rel_type=f"{OFFICE_RELS}/chart",
        rel_id="rIdChart",
    )
    opc.add(
        "word/embeddings/Microsoft_Excel_Worksheet.xlsx",
        xlsx(place="CHARTDATA", small=True),
        XLSX_TYPE,
        source="word/charts/chart1.xml",
        rel_type=f"{OFFICE_RELS}/package",
        rel_id="rId1",
    )
    comment = (
        f'<w:comment w:id="0" w:author="MK-{place}-COMMENTAUTHOR" w:initials="MK-{place}-INITIALS"'
        f' w:date="2024-01-02T03:04:05Z"><w:p><w:r><w:t>MK-{place}-COMMENTTEXT</w:t></w:r></w:p>'
        "</w:comment>"
    )
    for name, kind, rel, body in [
        (
            "comments",
            "wordprocessingml.comments+xml",
            "comments",
            f"<w:comments xmlns:w='{W}'>{comment}</w:comments>",
        ),
        (
            "commentsExtended",
            "wordprocessingml.commentsExtended+xml",
            "commentsExtended",
            f"<w15:commentsEx xmlns:w15='http://schemas.microsoft.com/office/word/2012/wordml'>"
            f"<w15:commentEx w15:paraId='MK-{place}-PARAID'/></w15:commentsEx>",
        ),
        (
            "commentsIds",
            "wordprocessingml.commentsIds+xml",
            "commentsIds",
            f"<w16cid:commentsIds xmlns:w16cid='http://schemas.microsoft.com/office/word/2016/"
            f"wordml/cid'><w16cid:commentId w16cid:durableId='MK-{place}-DURABLE'/>"
            "</w16cid:commentsIds>",
        ),
        (
            "commentsExtensible",
            "wordprocessingml.commentsExtensible+xml",
            "commentsExtensible",
            f"<w16cex:commentsExtensible xmlns:w16cex='http://schemas.microsoft.com/office/word/"
            f"2018/wordml/cex'><w16cex:commentExtensible w16cex:dateUtc='MK-{place}-DATEUTC'/>"
            "</w16cex:commentsExtensible>",
        ),
        (
            "people",
            "wordprocessingml.people+xml",
            "people",
            f"<w15:people xmlns:w15='http://schemas.microsoft.com/office/word/2012/wordml'>"
            f"<w15:person w15:author='MK-{place}-PERSON'><w15:presenceInfo w15:providerId='AD' "
            f"w15:userId='S::MK-{place}-EMAIL@example.org::1'/></w15:person></w15:people>",
        ),
    ]:
        opc.add(
            f"word/{name}.xml",
            body,
            f"application/vnd.openxmlformats-officedocument.{kind}",
            source=main,
            rel_type=f"http://schemas.microsoft.com/office/2011/relationships/{rel}"
            if rel != "comments"
            else f"{OFFICE_RELS}/comments",
        )
    opc.add(
        "word/glossary/document.xml",
        f'<w:glossaryDocument xmlns:w="{W}"><w:docParts><w:docPart><w:docPartBody><w:p><w:r>'
        f"<w:t>MK-{place}-AUTOTEXT 1 High Street</w:t></w:r></w:p></w:docPartBody></w:docPart>"
        "</w:docParts></w:glossaryDocument>",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.glossary+xml",
        source=main,
        rel_type=f"{OFFICE_RELS}/glossaryDocument",
    )
    opc.add(
        "word/settings.xml",
        f'<w:settings xmlns:w="{W}" xmlns:r="{R}" '  # noqa: S608  (XML, not SQL)
        'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" '
        'xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml">'
        '<w:attachedTemplate r:id="rId1"/>'
        f'<w:mailMerge><w:query w:val="SELECT * FROM C:\\Users\\MK-{place}-MERGE\\list.xlsx"/>'
        "</w:mailMerge>"
        f'<w:docVars><w:docVar w:name="owner" w:val="MK-{place}-DOCVAR"/></w:docVars>'
        '<w:rsids><w:rsidRoot w:val="00A1B2C3"/><w:rsid w:val="00D4E5F6"/></w:rsids>'
        '<w14:docId w14:val="4D4B2D31"/>'
        '<w15:docId w15:val="{4D4B2D32-0000-0000-0000-000000000000}"/>'
        "</w:settings>",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml",
        source=main,
        rel_type=f"{OFFICE_RELS}/settings",
    )
    opc.relate(
        "word/settings.xml",
        f"https://contoso-my.sharepoint.com/personal/MK-{place}-TEMPLATEUSER/Normal.dotm",
        f"{OFFICE_RELS}/attachedTemplate",
        "rId1",
        external=True,
    )
    _properties(opc, place, main)
    return opc.bytes()


DOCX_FINDINGS = (
    PROPERTY_FINDINGS
    | {
        "names on tracked changes",
        "dates of tracked changes",
        "editing session IDs",
        "names of people allowed to edit parts",
        "file locations on a computer",
        "comments (with their authors)",
        "names and accounts of people who commented or edited",
        "template location",
        "saved building blocks (AutoText)",
        "mail merge data source",
        "document variables",
        "document ID",
    }
    | {f"{label} (in a picture)" for label in JPEG_FINDINGS}
    | {
        # The chart's workbook (xlsx(small=True)), cleaned in its turn.
        f"{label} (in an embedded document)"
        for label in (
            "author",
            "comments (with their authors)",
            "document ID",
            "name of the person who reserved the file",
            "printer settings",
            "saved file location",
        )
    }
)


def xlsx(place: str = "XLSX", small: bool = False) -> bytes:
    """A workbook with markers in its properties, saved folder, file reservation, document
    ID, notes and their authors and drawing, threaded comments and persons, printer settings,
    change logs, a pivot cache's refresher, an external link and a picture."""
    opc = Opc()
    s = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    opc.add(
        "xl/workbook.xml",
        f'<workbook xmlns="{s}" xmlns:r="{R}" '
        'xmlns:x15ac="http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac" '
        'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision">'
        f'<fileSharing userName="MK-{place}-RESERVED"/>'
        f'<x15ac:absPath url="C:\\Users\\MK-{place}-SAVEDIN\\Documents\\"/>'
        f'<xr:revisionPtr documentId="13_ncr:1_{{MK-{place}-DOCUMENTID}}"/>'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rIdSheet"/></sheets></workbook>',
        EXCEL_MAIN,
        rel_type=f"{OFFICE_RELS}/officeDocument",
    )
    sheet = "xl/worksheets/sheet1.xml"
    opc.add(
        sheet,
        f'<worksheet xmlns="{s}" xmlns:r="{R}"><sheetData><row r="1"><c r="A1" t="inlineStr">'
        f"<is><t>{VISIBLE_TEXT}</t></is></c></row></sheetData>"
        '<pageSetup paperSize="9" r:id="rIdPrinter"/>'
        '<legacyDrawing r:id="rIdVml"/></worksheet>',
        "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
        source="xl/workbook.xml",
        rel_type=f"{OFFICE_RELS}/worksheet",
        rel_id="rIdSheet",
    )
    opc.add(
        "xl/comments1.xml",
        f'<comments xmlns="{s}"><authors><author>MK-{place}-NOTEAUTHOR</author></authors>'
        f'<commentList><comment ref="A1" authorId="0"><text><r><t>MK-{place}-NOTEAUTHOR:</t></r>'
        f"<r><t>MK-{place}-NOTETEXT</t></r></text></comment></commentList></comments>",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml",
        source=sheet,
        rel_type=f"{OFFICE_RELS}/comments",
    )
    opc.add(
        "xl/drawings/vmlDrawing1.vml",
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" '
        'xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel"><v:shape id="_x0000_s1025">'
        f"<v:textbox><div>MK-{place}-VMLTEXT</div></v:textbox>"
        '<x:ClientData ObjectType="Note"><x:Row>0</x:Row><x:Column>0</x:Column></x:ClientData>'
        "</v:shape></xml>",
        "application/vnd.openxmlformats-officedocument.vmlDrawing",
        source=sheet,
        rel_type=f"{OFFICE_RELS}/vmlDrawing",
        rel_id="rIdVml",
    )
    opc.add(
        "xl/printerSettings/printerSettings1.bin",
        f"MK-{place}-PRINTER\\\\printserver\\Floor 3 HP".encode("utf-16-le"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.printerSettings",
        source=sheet,
        rel_type=f"{OFFICE_RELS}/printerSettings",
        rel_id="rIdPrinter",
    )
    if not small:
        opc.add(
            "xl/threadedComments/threadedComment1.xml",
            '<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/'
            f'threadedcomments"><threadedComment ref="A1" personId="{{1}}">'
            f"<text>MK-{place}-THREADTEXT</text></threadedComment></ThreadedComments>",
            "application/vnd.ms-excel.threadedcomments+xml",
            source=sheet,
            rel_type="http://schemas.microsoft.com/office/2017/10/relationships/threadedComment",
        )
        opc.add(
            "xl/persons/person.xml",
            '<personList xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/'
            f'threadedcomments"><person displayName="MK-{place}-PERSONNAME" id="{{1}}" '
            f'userId="MK-{place}-PERSONEMAIL@example.org" providerId="AD"/></personList>',
            "application/vnd.ms-excel.person+xml",
            source="xl/workbook.xml",
            rel_type="http://schemas.microsoft.com/office/2017/10/relationships/person",
        )
        opc.add(
            "xl/revisions/revisionHeaders.xml",
            f'<headers xmlns="{s}"><header userName="MK-{place}-REVISIONUSER" '
            'dateTime="2024-01-02T03:04:05"/></headers>',
            "application/vnd.openxmlformats-officedocument.spreadsheetml.revisionHeaders+xml",
            source="xl/workbook.xml",
            rel_type=f"{OFFICE_RELS}/revisionHeaders",
        )
        opc.add(
            "xl/revisions/userNames.xml",
            f'<users xmlns="{s}"><userInfo name="MK-{place}-SHAREDUSER"/></users>',
            "application/vnd.openxmlformats-officedocument.spreadsheetml.userNames+xml",
            source="xl/workbook.xml",
            rel_type=f"{OFFICE_RELS}/usernames",
        )
        opc.add(
            "xl/pivotCache/pivotCacheDefinition1.xml",
            f'<pivotCacheDefinition xmlns="{s}" refreshedBy="MK-{place}-REFRESHER" '
            'refreshedDate="45000.5"><cacheSource type="worksheet"/></pivotCacheDefinition>',
            "application/vnd.openxmlformats-officedocument.spreadsheetml.pivotCacheDefinition+xml",
            source="xl/workbook.xml",
            rel_type=f"{OFFICE_RELS}/pivotCacheDefinition",
        )
        opc.add(
            "xl/externalLinks/externalLink1.xml",
            f'<externalLink xmlns="{s}" xmlns:r="{R}"><externalBook r:id="rId1"/></externalLink>',
            "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml",
            source="xl/workbook.xml",
            rel_type=f"{OFFICE_RELS}/externalLink",
        )
        opc.relate(
            "xl/externalLinks/externalLink1.xml",
            f"\\\\fileserver\\home\\MK-{place}-LINKUSER\\budget.xlsx",
            f"{OFFICE_RELS}/externalLinkPath",
            "rId1",
            external=True,
        )
        opc.add(
            "xl/drawings/drawing1.xml",
            '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/'
            f'spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
            f' xmlns:r="{R}"><a:blip r:embed="rId1"/></xdr:wsDr>',
            "application/vnd.openxmlformats-officedocument.drawing+xml",
            source=sheet,
            rel_type=f"{OFFICE_RELS}/drawing",
        )
        opc.add(
            "xl/media/image1.png",
            png(place=f"{place}-SCREENSHOT"),
            "image/png",
            source="xl/drawings/drawing1.xml",
            rel_type=f"{OFFICE_RELS}/image",
            rel_id="rId1",
        )
        _properties(opc, place, "xl/workbook.xml")
    else:
        opc.add(
            "docProps/core.xml",
            f'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            f'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<dc:creator>MK-{place}-CREATOR</dc:creator></cp:coreProperties>",
            "application/vnd.openxmlformats-package.core-properties+xml",
            rel_type=f"{PKG_RELS}/metadata/core-properties",
        )
    return opc.bytes()


XLSX_FINDINGS = (
    PROPERTY_FINDINGS
    | {
        "name of the person who reserved the file",
        "saved file location",
        "document ID",
        "comments (with their authors)",
        "names and accounts of people who commented or edited",
        "printer settings",
        "change history naming people",
        "name of the person who refreshed a pivot table",
        "file locations on a computer",
    }
    | {f"{label} (in a picture)" for label in PNG_FINDINGS}
)


def pptx(place: str = "PPTX") -> bytes:
    """A presentation with markers in its properties, old and new comments and their
    authors, revision and change logs, add-in tags, and pictures (PNG, GIF, SVG)."""
    opc = Opc()
    p = "http://schemas.openxmlformats.org/presentationml/2006/main"
    opc.add(
        "ppt/presentation.xml",
        f'<p:presentation xmlns:p="{p}" xmlns:r="{R}"><p:sldIdLst><p:sldId id="256" '
        'r:id="rIdSlide"/></p:sldIdLst></p:presentation>',
        SLIDES_MAIN,
        rel_type=f"{OFFICE_RELS}/officeDocument",
    )
    slide = "ppt/slides/slide1.xml"
    opc.add(
        slide,
        f'<p:sld xmlns:p="{p}" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        f'xmlns:r="{R}"><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>{VISIBLE_TEXT}</a:t>'
        '</a:r></a:p></p:txBody></p:sp><p:pic><p:nvPicPr><p:cNvPr id="2" name="Picture 1" '
        f'descr="/Users/MK-{place}-MACUSER/Desktop/Screenshot.png"/></p:nvPicPr><p:blipFill>'
        '<a:blip r:embed="rIdPng"/></p:blipFill></p:pic><p:pic><p:blipFill>'
        '<a:blip r:embed="rIdGif"/>'
        '</p:blipFill></p:pic><p:pic><p:blipFill><a:blip r:embed="rIdSvg"/></p:blipFill></p:pic>'
        '</p:spTree></p:cSld><p:custDataLst><p:tags r:id="rIdTags"/></p:custDataLst></p:sld>',
        "application/vnd.openxmlformats-officedocument.presentationml.slide+xml",
        source="ppt/presentation.xml",
        rel_type=f"{OFFICE_RELS}/slide",
        rel_id="rIdSlide",
    )
    for name, data, kind, rel_id in [
        ("image1.png", png(place=f"{place}-PNG"), "image/png", "rIdPng"),
        ("image2.gif", gif(place=f"{place}-GIF"), "image/gif", "rIdGif"),
        ("image3.svg", svg(place=f"{place}-SVG"), "image/svg+xml", "rIdSvg"),
    ]:
        opc.add(
            f"ppt/media/{name}",
            data,
            kind,
            source=slide,
            rel_type=f"{OFFICE_RELS}/image",
            rel_id=rel_id,
        )
    opc.add(
        "ppt/tags/tag1.xml",
        f'<p:tagLst xmlns:p="{p}"><p:tag name="ADDIN" val="MK-{place}-TAG"/></p:tagLst>',
        "application/vnd.openxmlformats-officedocument.presentationml.tags+xml",
        source=slide,
        rel_type=f"{OFFICE_RELS}/tags",
        rel_id="rIdTags",
    )
    opc.add(
        "ppt/comments/comment1.xml",
        f'<p:cmLst xmlns:p="{p}"><p:cm authorId="0" dt="2024-01-02T03:04:05"><p:text>'
        f"MK-{place}-COMMENTTEXT</p:text></p:cm></p:cmLst>",
        "application/vnd.openxmlformats-officedocument.presentationml.comments+xml",
        source=slide,
        rel_type=f"{OFFICE_RELS}/comments",
    )
    opc.add(
        "ppt/comments/modernComment_1.xml",
        '<p188:cmLst xmlns:p188="http://schemas.microsoft.com/office/powerpoint/2018/8/main">'
        f"<p188:cm><p188:txBody>MK-{place}-MODERNTEXT</p188:txBody></p188:cm></p188:cmLst>",
        "application/vnd.ms-powerpoint.comments+xml",
        source=slide,
        rel_type="http://schemas.microsoft.com/office/2018/10/relationships/comments",
    )
    for name, kind, rel, body in [
        (
            "commentAuthors.xml",
            "application/vnd.openxmlformats-officedocument.presentationml.commentAuthors+xml",
            f"{OFFICE_RELS}/commentAuthors",
            f'<p:cmAuthorLst xmlns:p="{p}"><p:cmAuthor id="0" name="MK-{place}-AUTHORNAME" '
            f'initials="MK-{place}-INITIALS" lastIdx="1" clrIdx="0"/></p:cmAuthorLst>',
        ),
        (
            "authors.xml",
            "application/vnd.ms-powerpoint.authors+xml",
            "http://schemas.microsoft.com/office/2018/10/relationships/authors",
            '<p188:authorLst xmlns:p188="http://schemas.microsoft.com/office/powerpoint/2018/8/'
            f'main"><p188:author name="MK-{place}-MODERNAUTHOR" userId="MK-{place}-USERID"/>'
            "</p188:authorLst>",
        ),
        (
            "revisionInfo.xml",
            "application/vnd.ms-powerpoint.revinfo+xml",
            "http://schemas.microsoft.com/office/2015/10/relationships/revisionInfo",
            '<p1510:revInfo xmlns:p1510="http://schemas.microsoft.com/office/powerpoint/2015/'
            f'10/main"><p1510:client id="{{MK-{place}-CLIENT}}" dt="2024-01-02"/></p1510:revInfo>',
        ),
        (
            "changesInfos/changesInfo1.xml",
            "application/vnd.ms-powerpoint.changesinfo+xml",
            "http://schemas.microsoft.com/office/2016/11/relationships/changesInfo",
            '<pc:chgInfo xmlns:pc="http://schemas.microsoft.com/office/powerpoint/2013/main/'
            f'command"><pc:chgData name="MK-{place}-CHANGER" userId="MK-{place}-CHANGERID"/>'
            "</pc:chgInfo>",
        ),
    ]:
        opc.add(f"ppt/{name}", body, kind, source="ppt/presentation.xml", rel_type=rel)
    _properties(opc, place, "ppt/presentation.xml")
    return opc.bytes()


PPTX_FINDINGS = (
    PROPERTY_FINDINGS
    | {
        "file locations on a computer",
        "add-in data",
        "comments (with their authors)",
        "names and accounts of people who commented or edited",
        "change history naming people",
        # the GIF's comment and XMP block, the SVG's comment, metadata and editor data
        "comment (in a picture)",
        "XMP metadata (in a picture)",
        "editing program data (in a picture)",
        "metadata (in a picture)",
    }
    | {f"{label} (in a picture)" for label in PNG_FINDINGS}
)


# --- PDF -----------------------------------------------------------------------------------


def xmp(place: str) -> bytes:
    return f"""<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:creator><rdf:Seq><rdf:li>MK-{place}</rdf:li></rdf:Seq></dc:creator>
</rdf:Description></rdf:RDF></x:xmpmeta>""".encode()


def jpeg2000(place: str = "JPX") -> bytes:
    """A JP2 picture with an XML box, an XMP UUID box, and a comment in its codestream."""
    out = io.BytesIO()
    picture((32, 24)).save(out, "JPEG2000", no_jp2=False)
    data = out.getvalue()
    xml_box = f"<meta>MK-{place}-XMLBOX</meta>".encode()
    uuid_box = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC") + xmp(f"{place}-XMP")
    boxes = struct.pack(">I4s", 8 + len(xml_box), b"xml ") + xml_box
    boxes += struct.pack(">I4s", 8 + len(uuid_box), b"uuid") + uuid_box
    codestream = data.index(b"\xff\x4f\xff\x51")
    siz_length = struct.unpack(">H", data[codestream + 4 : codestream + 6])[0]
    after_siz = codestream + 4 + siz_length
    comment = b"\x00\x01" + f"MK-{place}-COMMENT".encode()
    com = b"\xff\x64" + struct.pack(">H", len(comment) + 2) + comment
    # The codestream box grows by the comment: fix its length.
    box_start = codestream - 8
    (box_length,) = struct.unpack(">I", data[box_start : box_start + 4])
    data = (
        data[:box_start]
        + struct.pack(">I", box_length + len(com) if box_length else 0)
        + data[box_start + 4 : after_siz]
        + com
        + data[after_siz:]
    )
    jp2h = data.index(b"jp2h") - 4
    return data[:jp2h] + boxes + data[jp2h:]


def pdf(*, encryption: pikepdf.Encryption | None = None, place: str = "PDF") -> bytes:
    """A PDF with markers in its information, XMP (document, page, picture), private editing
    data, comments (authors, text, pop-up, replies, dates), an attached file (annotation and
    name tree), JavaScript (document, open action, page, link, outline), a file link, form
    fields (hidden value, tooltip, default, signature), article threads, layer creator, page
    thumbnail, a photo, a JPEG 2000 picture, colour profiles, and an earlier saved version."""
    doc = pikepdf.new()
    page = doc.add_blank_page(page_size=(300, 300))
    photo = jpeg(place=f"{place}-PHOTO")
    width, height = Image.open(io.BytesIO(photo)).size
    profile = doc.make_stream(icc_profile(f"{place}-ICC"), N=3, Alternate=pikepdf.Name.DeviceRGB)
    jpx = jpeg2000(f"{place}-JPX")
    page.Resources = pikepdf.Dictionary(
        XObject=pikepdf.Dictionary(
            Im0=doc.make_stream(
                photo,
                Type=pikepdf.Name.XObject,
                Subtype=pikepdf.Name.Image,
                Width=width,
                Height=height,
                ColorSpace=pikepdf.Array([pikepdf.Name.ICCBased, profile]),
                BitsPerComponent=8,
                Filter=pikepdf.Name.DCTDecode,
                Metadata=doc.make_stream(xmp(f"{place}-IMAGEXMP")),
            ),
            Im1=doc.make_stream(
                jpx,
                Type=pikepdf.Name.XObject,
                Subtype=pikepdf.Name.Image,
                Width=32,
                Height=24,
                Filter=pikepdf.Name.JPXDecode,
            ),
        ),
        Font=pikepdf.Dictionary(
            F1=pikepdf.Dictionary(
                Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
            )
        ),
    )
    page.Contents = doc.make_stream(
        f"BT /F1 12 Tf 20 250 Td (MK-{place}-OLDREVISION) Tj ET".encode()
    )
    for key, value in {
        "/Author": f"MK-{place}-AUTHOR",
        "/Creator": f"MK-{place}-CREATOR",
        "/Producer": f"MK-{place}-PRODUCER",
        "/Title": f"MK-{place}-TITLE",
        "/Subject": f"MK-{place}-SUBJECT",
        "/Keywords": f"MK-{place}-KEYWORDS",
        "/CreationDate": "D:20240102030405Z",
        "/ModDate": "D:20240102030405Z",
        "/Department": f"MK-{place}-CUSTOMINFO",
    }.items():
        doc.docinfo[key] = value
    doc.Root.Metadata = doc.make_stream(xmp(f"{place}-XMP"), Type=pikepdf.Name.Metadata)
    page.obj.Metadata = doc.make_stream(xmp(f"{place}-PAGEXMP"), Type=pikepdf.Name.Metadata)
    page.obj.PieceInfo = pikepdf.Dictionary(
        Illustrator=pikepdf.Dictionary(Private=f"MK-{place}-PIECE", LastModified="D:2024")
    )
    page.obj.Thumb = doc.make_stream(f"MK-{place}-THUMB".encode() * 4, Width=4, Height=4)
    appearance = doc.make_stream(
        b"1 1 0 rg 0 0 50 10 re f",
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Form,
        BBox=[0, 0, 50, 10],
    )
    note = doc.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Text,
            Rect=[10, 10, 30, 30],
            T=f"MK-{place}-NOTEAUTHOR",
            Contents=f"MK-{place}-NOTETEXT",
            M="D:20240102030405Z",
            CreationDate="D:20240102030405Z",
        )
    )
    popup = doc.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Popup, Rect=[30, 30, 90, 90], Parent=note
        )
    )
    note.Popup = popup
    highlight = doc.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Highlight,
            Rect=[20, 245, 70, 260],
            QuadPoints=[20, 260, 70, 260, 20, 245, 70, 245],
            T=f"MK-{place}-HIGHLIGHTAUTHOR",
            Contents=f"MK-{place}-HIGHLIGHTTEXT",
            RC=f"<body>MK-{place}-RICHTEXT</body>",
            AP=pikepdf.Dictionary(N=appearance),
        )
    )
    attachment = doc.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.FileAttachment,
            Rect=[100, 10, 110, 20],
            FS=pikepdf.Dictionary(
                Type=pikepdf.Name.Filespec,
                F=f"MK-{place}-ATTACHNAME.txt",
                EF=pikepdf.Dictionary(F=doc.make_stream(f"MK-{place}-ATTACHED".encode())),
            ),
        )
    )
    script_link = doc.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Link,
            Rect=[120, 10, 140, 20],
            A=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=f"app.alert('MK-{place}-LINKJS')"),
        )
    )
    file_link = doc.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Link,
            Rect=[150, 10, 170, 20],
            Contents=f"MK-{place}-LINKTEXT",
            A=pikepdf.Dictionary(S=pikepdf.Name.Launch, F=f"C:\\Users\\MK-{place}-LAUNCH\\x.exe"),
        )
    )
    web_link = doc.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Link,
            Rect=[180, 10, 200, 20],
            A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI="https://example.org/policy"),
        )
    )
    field_look = doc.make_stream(
        b"/Tx BMC BT /F1 10 Tf 2 2 Td (Yes) Tj ET EMC",
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Form,
        BBox=[0, 0, 100, 20],
        Resources=pikepdf.Dictionary(Font=page.Resources.Font),
    )
    visible_field = doc.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            FT=pikepdf.Name.Tx,
            T="agreed",
            TU=f"MK-{place}-TOOLTIP",
            V="Yes",
            DV=f"MK-{place}-DEFAULT",
            Rect=[50, 100, 150, 120],
            AP=pikepdf.Dictionary(N=field_look),
            AA=pikepdf.Dictionary(
                K=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=f"MK-{place}-KEYSTROKE")
            ),
        )
    )
    hidden_field = doc.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            FT=pikepdf.Name.Tx,
            F=2,  # hidden
            T="employee",
            V=f"MK-{place}-HIDDENVALUE",
            Rect=[0, 0, 0, 0],
        )
    )
    signature = doc.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            FT=pikepdf.Name.Sig,
            T="signature",
            Rect=[0, 0, 0, 0],
            V=pikepdf.Dictionary(
                Type=pikepdf.Name.Sig,
                Name=f"MK-{place}-SIGNER",
                Location=f"MK-{place}-SIGNEDAT",
                Reason=f"MK-{place}-REASON",
                ContactInfo=f"MK-{place}-CONTACT",
                M="D:20240102030405Z",
            ),
        )
    )
    annotations = [note, popup, highlight, attachment, script_link, file_link, web_link]
    page.obj.Annots = doc.make_indirect(
        pikepdf.Array([*annotations, visible_field, hidden_field, signature])
    )
    page.obj.AA = pikepdf.Dictionary(
        O=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=f"MK-{place}-PAGEOPEN")
    )
    doc.Root.AcroForm = pikepdf.Dictionary(
        Fields=pikepdf.Array([visible_field, hidden_field, signature]),
        XFA=doc.make_stream(f"<xdp>MK-{place}-XFA</xdp>".encode()),
    )
    doc.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=f"MK-{place}-OPENJS")
    doc.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(
            Names=pikepdf.Array(
                ["init", pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=f"MK-{place}-NAMEDJS")]
            )
        )
    )
    doc.attachments["notes.txt"] = pikepdf.AttachedFileSpec(doc, f"MK-{place}-EMBEDDED".encode())
    outline_item = doc.make_indirect(
        pikepdf.Dictionary(
            Title="Chapter",
            A=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=f"MK-{place}-OUTLINEJS"),
        )
    )
    doc.Root.Outlines = doc.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Outlines, First=outline_item, Last=outline_item, Count=1
        )
    )
    outline_item.Parent = doc.Root.Outlines
    bead = doc.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Bead, P=page.obj, R=[0, 0, 10, 10])
    )
    bead.N = bead
    bead.V = bead
    thread = doc.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Thread,
            F=bead,
            I=pikepdf.Dictionary(Author=f"MK-{place}-THREADAUTHOR"),
        )
    )
    bead.T = thread
    doc.Root.Threads = pikepdf.Array([thread])
    page.obj.B = pikepdf.Array([bead])
    layer = doc.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.OCG,
            Name="Layer 1",
            Usage=pikepdf.Dictionary(
                CreatorInfo=pikepdf.Dictionary(
                    Creator=f"MK-{place}-LAYERAPP", Subtype=pikepdf.Name.Artwork
                ),
                User=pikepdf.Dictionary(Type=pikepdf.Name.Ind, Name=f"MK-{place}-LAYERUSER"),
            ),
        )
    )
    doc.Root.OCProperties = pikepdf.Dictionary(
        OCGs=pikepdf.Array([layer]), D=pikepdf.Dictionary(ON=pikepdf.Array([layer]))
    )
    doc.Root.OutputIntents = pikepdf.Array(
        [
            pikepdf.Dictionary(
                Type=pikepdf.Name.OutputIntent,
                S=pikepdf.Name.GTS_PDFA1,
                OutputConditionIdentifier="sRGB",
                DestOutputProfile=doc.make_stream(icc_profile(f"{place}-INTENT"), N=3),
            )
        ]
    )
    out = io.BytesIO()
    doc.save(
        out, encryption=encryption or False, object_stream_mode=pikepdf.ObjectStreamMode.disable
    )
    data = out.getvalue()
    if encryption is not None:
        return data
    return _incremental_update(data, place)


def _incremental_update(data: bytes, place: str) -> bytes:
    """Appends a revision that replaces the page's text, as many PDF editors save: the first
    revision's text stays in the file, though no viewer shows it."""
    with pikepdf.open(io.BytesIO(data)) as doc:
        number = doc.pages[0].obj.Contents.objgen[0]
        size = max(obj.objgen[0] for obj in doc.objects) + 1
        root, info = doc.Root.objgen[0], doc.trailer.Info.objgen[0]
        file_id = bytes(doc.trailer.ID[0]).hex()  # set when the file was first made
    start = data.rindex(b"startxref")
    previous_xref = int(data[start + 9 :].split()[0])
    stream = PAGE_TEXT.encode()
    body = (
        f"{number} 0 obj\n<< /Length {len(stream)} >>\nstream\n".encode()
        + stream
        + b"\nendstream\nendobj\n"
    )
    xref = len(data) + len(body)
    tail = (
        f"xref\n0 1\n0000000000 65535 f \n{number} 1\n{len(data):010d} 00000 n \n"
        f"trailer\n<< /Size {size} /Root {root} 0 R /Info {info} 0 R /Prev {previous_xref} "
        f"/ID [<{file_id}> <{file_id}>] >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return data + body + tail


PDF_FINDINGS = {
    "document ID",
    "author",
    "creator tool",
    "PDF producer software",
    "title",
    "subject",
    "keywords",
    "date created",
    "date modified",
    "other document properties",
    "XMP metadata",
    "editing application data",
    "names of comment authors",
    "comments and notes",
    "comment dates",
    "attached files",
    "digital signatures",
    "fillable form fields (what they show is kept)",
    "form data (XFA)",
    "scripts and automatic actions",
    "links to files on a computer",
    "article threads",
    "layer creator details",
    "thumbnail pictures",
    # the colour profile of the photo and the output intent
    "device named in the colour profile",
    "date in the colour profile",
    "software named in the colour profile",
    "colour profile description",
    "other colour profile details",
} | {f"{label} (in a picture)" for label in JPEG_FINDINGS | {"XMP metadata", "comment"}}


# --- Is an Office package still whole? -----------------------------------------------------


def office_problems(data: bytes) -> list[str]:
    """What would make Office repair or refuse the package: missing parts or types, and
    references to relationships or parts that are not there."""
    from lxml import etree

    problems: list[str] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    types = etree.fromstring(parts["[Content_Types].xml"])
    defaults = {e.get("Extension").lower() for e in types if e.tag.endswith("Default")}
    overrides = {e.get("PartName").lstrip("/") for e in types if e.tag.endswith("Override")}
    problems += [f"type for a missing part: {name}" for name in overrides - set(parts)]
    for name, part in parts.items():
        if name == "[Content_Types].xml":
            continue
        if name not in overrides and name.rpartition(".")[2].lower() not in defaults:
            problems.append(f"no content type: {name}")
        if name.endswith((".xml", ".rels", ".vml")):
            try:
                etree.fromstring(part)
            except etree.XMLSyntaxError:
                problems.append(f"not XML: {name}")
                continue
        if name.endswith(".rels"):
            continue
        folder, _, file_name = name.rpartition("/")
        rels_name = f"{folder}/_rels/{file_name}.rels" if folder else f"_rels/{file_name}.rels"
        ids = set()
        if rels_name in parts:
            for rel in etree.fromstring(parts[rels_name]):
                ids.add(rel.get("Id"))
                if rel.get("TargetMode") != "External":
                    target = posixpath.normpath(posixpath.join(folder, rel.get("Target")))
                    if target not in parts:
                        problems.append(f"relationship to a missing part: {name} -> {target}")
        if name.endswith((".xml", ".vml")):
            for value in re.findall(rb'\br:(?:id|embed|link|pict)="([^"]+)"', part):
                if value.decode() not in ids:
                    problems.append(f"reference to a missing relationship: {name} {value}")
    return problems
