"""PDF documents: rewritten by QPDF (through pikepdf) without what names a person or device.

Removed: the document information dictionary and file ID; every XMP stream; private editing
data (``/PieceInfo``) and modification dates; comment authors, comment text and their pop-ups;
form fields (a field's printed look is drawn into the page, so visible values stay visible
while field names, hidden values and signatures go); attached files; JavaScript and every
automatic action; page thumbnails, article threads, web-capture records, usage-rights
signatures and layer creator details. Pictures kept whole (JPEG, JPEG 2000) lose their own
metadata, and colour profiles are made neutral. The rewrite keeps only objects still in use,
so earlier saved versions (incremental updates) go too. Portfolios and dynamic XFA forms are
refused: what they hold cannot be checked here.
"""

from __future__ import annotations

import io
from typing import Final

import pikepdf
from django.utils.translation import gettext as _
from pikepdf import Name

from intake.cleaning.common import (
    DAMAGED,
    DYNAMIC_FORM,
    LOCKED,
    PDF,
    PORTFOLIO,
    FileRejected,
    Malformed,
)
from intake.cleaning.icc import MAX_PROFILE_BYTES, icc_neutral
from intake.cleaning.images import JPEG_MAGIC, inflate, scan_jpeg
from intake.cleaning.jpeg2000 import strip_jpeg2000

_INFO_FINDINGS: Final = {
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
SCRIPTS: Final = "scripts and automatic actions"
ATTACHED: Final = "attached files"
COMMENT_AUTHORS: Final = "names of comment authors"
COMMENTS: Final = "comments and notes"
FORM_FIELDS: Final = "fillable form fields (what they show is kept)"
# Actions that only move within the document or open a web address stay; anything that runs
# a script, starts a program, opens a file on a computer or sends data goes.
_SAFE_ACTIONS: Final = frozenset({"/GoTo", "/URI", "/Named"})
_MEDIA: Final = frozenset({"/Sound", "/Movie", "/Screen", "/RichMedia", "/3D"})
_MARKUP_TEXT: Final = ("/T", "/Contents", "/RC", "/Subj", "/M", "/CreationDate", "/NM")
# A colour profile stream holds only these keys (ISO 32000-2 table 65).
_ICC_KEYS: Final = frozenset(
    {"/N", "/Alternate", "/Range", "/Metadata", "/Length", "/Filter", "/DecodeParms"}
)


def clean_pdf(data: bytes) -> tuple[bytes, list[str]]:
    """The document rewritten without identifying data, and what was found, in plain words."""
    out = io.BytesIO()
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            found = _clean(pdf)
            # No metadata is re-added: fix_metadata_version would write XMP, and the missing
            # /ID is made from the content (deterministic_id) rather than a fresh random one.
            # Streams are copied as they are (decode level none), so nothing is inflated.
            pdf.save(
                out,
                fix_metadata_version=False,
                preserve_pdfa=False,
                deterministic_id=True,
                encryption=False,
                stream_decode_level=pikepdf.StreamDecodeLevel.none,
            )
    except FileRejected:
        raise
    except pikepdf.PasswordError:
        raise FileRejected(LOCKED) from None
    except Malformed:
        raise FileRejected(_("A picture inside this PDF document is damaged.")) from None
    except Exception:  # QPDF reports broken files with several exception types
        raise FileRejected(DAMAGED.format(label=PDF.label)) from None
    return out.getvalue(), list(dict.fromkeys(found))


def _is_true(value: object) -> bool:
    return value is True  # pikepdf gives PDF booleans as Python's


def _clean(pdf: pikepdf.Pdf) -> list[str]:
    root = pdf.Root
    if "/Collection" in root:
        raise FileRejected(PORTFOLIO)
    if _is_true(root.get("/NeedsRendering")):  # a dynamic XFA form: no page without XFA
        raise FileRejected(DYNAMIC_FORM)
    found: list[str] = []
    info = pdf.trailer.get("/Info")
    if isinstance(info, pikepdf.Dictionary):
        found += [_INFO_FINDINGS.get(str(key), "other document properties") for key in info.keys()]  # noqa: SIM118
    for key, label in (("/Info", ""), ("/ID", "document ID")):
        if key in pdf.trailer:
            # The first ID is set when a PDF is created and kept through edits: it could
            # match this copy to the original on the reporter's computer.
            del pdf.trailer[key]
            found += [label] if label else []
    found += _clean_annotations_and_forms(pdf)
    found += _clean_catalogue(pdf)
    for obj in pdf.objects:  # the catalogue, pages, pictures, fonts, actions...
        found += _clean_object(obj)
    return found


def _clean_annotations_and_forms(pdf: pikepdf.Pdf) -> list[str]:
    """Forms and comments are flattened into the page; links stay, stripped."""
    found: list[str] = []
    links: list[list[pikepdf.Dictionary]] = []
    for page in pdf.pages:
        annotations = page.obj.get("/Annots")
        kept_links: list[pikepdf.Dictionary] = []
        others: list[pikepdf.Dictionary] = []
        for annotation in annotations if isinstance(annotations, pikepdf.Array) else []:
            if not isinstance(annotation, pikepdf.Dictionary):
                continue
            subtype = annotation.get("/Subtype")
            if subtype == Name.Link:
                kept_links.append(annotation)
                continue
            found += _annotation_findings(annotation, subtype)
            if subtype != Name.Popup:  # a pop-up only shows its parent's text
                others.append(annotation)
        links.append(kept_links)
        if "/Annots" in page.obj:
            page.obj.Annots = pdf.make_indirect(pikepdf.Array(others))
    form = pdf.Root.get("/AcroForm")
    if isinstance(form, pikepdf.Dictionary):
        if form.get("/Fields"):
            found.append(FORM_FIELDS)
        if "/XFA" in form:
            found.append("form data (XFA)")
        if _is_true(form.get("/NeedAppearances")):
            pdf.generate_appearance_streams()  # so flattening keeps what the fields show
    # What comments and fields look like becomes part of the page; hidden ones vanish.
    pdf.flatten_annotations(mode="all")
    if "/AcroForm" in pdf.Root:
        del pdf.Root["/AcroForm"]
    for page, kept_links in zip(pdf.pages, links, strict=True):
        for link in kept_links:
            found += _clean_link(link)
        if kept_links:
            page.obj.Annots = pdf.make_indirect(pikepdf.Array(kept_links))
        elif "/Annots" in page.obj:
            del page.obj["/Annots"]  # what flattening left has no look: nothing to keep
    return found


def _annotation_findings(annotation: pikepdf.Dictionary, subtype: object) -> list[str]:
    found = []
    if subtype == Name.Widget:
        parent = annotation.get("/Parent")
        if annotation.get("/FT") == Name.Sig or (
            isinstance(parent, pikepdf.Dictionary) and parent.get("/FT") == Name.Sig
        ):
            found.append("digital signatures")
        return found
    if subtype == Name.FileAttachment:
        found.append(ATTACHED)
    elif str(subtype) in _MEDIA:
        found.append("embedded media")
    if "/T" in annotation:
        found.append(COMMENT_AUTHORS)
    if "/Contents" in annotation or "/RC" in annotation:
        found.append(COMMENTS)
    if "/CreationDate" in annotation or "/M" in annotation:
        found.append("comment dates")
    return found


def _clean_link(link: pikepdf.Dictionary) -> list[str]:
    found: list[str] = []
    for key in _MARKUP_TEXT:
        if key in link:
            del link[key]
    action = link.get("/A")
    if isinstance(action, pikepdf.Dictionary) and not _safe_action(action):
        del link["/A"]
        found.append(_action_label(action))
    return found


def _safe_action(action: pikepdf.Dictionary) -> bool:
    kind = str(action.get("/S", ""))
    if kind not in _SAFE_ACTIONS:
        return False
    uri = action.get("/URI")
    # A file: address names a folder on someone's computer.
    return not (kind == "/URI" and str(uri).lower().startswith("file:"))


def _action_label(action: pikepdf.Dictionary) -> str:
    if str(action.get("/S", "")) in ("/GoToR", "/Launch", "/URI", "/GoToE"):
        return "links to files on a computer"
    return SCRIPTS


def _clean_catalogue(pdf: pikepdf.Pdf) -> list[str]:
    root, found = pdf.Root, []
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary):
        for key, label in (
            ("/JavaScript", SCRIPTS),
            ("/EmbeddedFiles", ATTACHED),
            ("/IDS", "web capture details"),
            ("/URLS", "web capture details"),
            ("/Renditions", "embedded media"),
            ("/AlternatePresentations", "embedded media"),
        ):
            if key in names:
                del names[key]
                found.append(label)
    opening = root.get("/OpenAction")
    if isinstance(opening, pikepdf.Dictionary) and opening.get("/S") != Name.GoTo:
        del root["/OpenAction"]
        found.append(SCRIPTS)
    for key, label in (
        ("/AF", ATTACHED),
        ("/Threads", "article threads"),
        ("/SpiderInfo", "web capture details"),
        ("/Perms", "usage rights signatures"),
        ("/Legal", "usage rights signatures"),
    ):
        if key in root:
            del root[key]
            found.append(label)
    return found


def _clean_object(obj: pikepdf.Object) -> list[str]:
    found: list[str] = []
    if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        return found
    for key, label in (
        ("/Metadata", "XMP metadata"),
        ("/PieceInfo", "editing application data"),  # private data of the editing program
        ("/LastModified", "date modified"),
        ("/AA", SCRIPTS),  # actions on open, close, focus, keystroke...
        ("/Thumb", "thumbnail pictures"),
        ("/B", ""),  # a page's article beads: the threads are gone
        ("/AF", ATTACHED),
    ):
        if key in obj and (key != "/B" or obj.get("/Type") == Name.Page):
            del obj[key]
            found += [label] if label else []
    action = obj.get("/A")
    if isinstance(action, pikepdf.Dictionary) and not _safe_action(action):
        del obj["/A"]  # an outline item or link that runs something
        found.append(_action_label(action))
    if "/S" in obj and "/Next" in obj:  # an action followed by more actions
        del obj["/Next"]
        found.append(SCRIPTS)
    if obj.get("/Type") == Name.OCG and "/Usage" in obj:
        del obj["/Usage"]  # may name the layer's creator (ISO 32000-2 table 100)
        found.append("layer creator details")
    if isinstance(obj, pikepdf.Stream):
        if obj.get("/Subtype") == Name.Image:
            found += [f"{label} (in a picture)" for label in _clean_picture_stream(obj)]
        elif "/N" in obj and set(map(str, obj.keys())) <= _ICC_KEYS:
            found += _clean_profile_stream(obj)
    return found


def _single_filter(stream: pikepdf.Stream) -> object:
    filters = stream.get("/Filter")
    if isinstance(filters, pikepdf.Array) and len(filters) == 1:
        return filters[0]
    return filters


def _clean_picture_stream(stream: pikepdf.Stream) -> list[str]:
    """A JPEG or JPEG 2000 kept whole inside the PDF keeps its EXIF, XMP and profile."""
    kind = _single_filter(stream)
    if kind not in (Name.DCTDecode, Name.JPXDecode):
        return []  # decoded pixels: there is no metadata in a flat list of samples
    raw = stream.read_raw_bytes()
    if kind == Name.DCTDecode:
        if not raw.startswith(JPEG_MAGIC):
            return []
        jpeg = scan_jpeg(raw)
        if not jpeg.found:
            return []
        cleaned, found = jpeg.kept(with_profile=True), jpeg.found
    else:
        cleaned, found = strip_jpeg2000(raw)
        if not found:
            return []
    parms, filters = stream.get("/DecodeParms"), stream.get("/Filter")
    stream.write(
        cleaned,
        filter=filters if isinstance(filters, pikepdf.Name | pikepdf.Array) else None,
        decode_parms=parms if isinstance(parms, pikepdf.Dictionary | pikepdf.Array) else None,
    )
    return found


def _clean_profile_stream(stream: pikepdf.Stream) -> list[str]:
    kind = _single_filter(stream)
    raw = stream.read_raw_bytes()
    if kind == Name.FlateDecode and "/DecodeParms" not in stream:
        profile = inflate(raw, MAX_PROFILE_BYTES)
    elif kind is None:
        profile = raw
    else:
        raise Malformed  # no colour profile needs another filter; none is decoded blind
    if profile[36:40] != b"acsp":
        return []  # not a colour profile after all
    neutral, found = icc_neutral(profile)
    stream.write(neutral)  # stored uncompressed; the save compresses it again
    return found
