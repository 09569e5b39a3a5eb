"""Word, Excel and PowerPoint files (Office Open XML): the package rewritten part by part.

A .docx, .xlsx or .pptx is a zip of parts joined by relationships. Every part is judged by
what it is (its content type and the relationships that point at it), never by its name:

- dropped, with the relationships and references to it: custom properties, comments with their
  authors and the people parts, thumbnails, document-management data (customXml), digital
  signatures, printer settings, change logs that name people, add-in data, sensitivity labels,
  and any part the document does not use;
- refused, with a message that says what to do: macros and ActiveX, embedded objects we cannot
  open, videos and sounds, data connections, pictures in formats we cannot check, and parts
  we do not recognise;
- cleaned: document properties are emptied; every XML part loses tracked-change names and
  dates, revision session IDs, comment anchors, editing permissions naming people, document
  variables, mail-merge sources, document IDs, saved-file and template locations, and the
  folders in file paths; pictures lose their metadata (``intake.cleaning.images``); an
  embedded Office document (a chart's data) is cleaned the same way;
- kept as they are: fonts.

Tracked changes themselves stay (the text they changed may be the evidence), as Office's own
"remove personal information" leaves them: each is credited to "Author" and undated.

XML is parsed by lxml without a DTD, entities or network access, and a part that declares a
DTD is refused, so no entity can expand.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import unquote

from django.utils.translation import gettext as _
from lxml import etree

from intake.cleaning.common import (
    ALLOWED_SUMMARY,
    AUDIO_VIDEO,
    CONNECTED,
    DAMAGED,
    DOCX,
    EMBEDDED_OBJECT,
    LOCKED,
    MACROS,
    MAX_UNZIPPED_BYTES,
    MAX_ZIP_ENTRIES,
    MAX_ZIP_RATIO,
    PPTX,
    UNCHECKABLE_PART,
    UNCHECKABLE_PICTURE,
    XLSX,
    ZIP_BOMB,
    ZIP_ENTRIES,
    ZIP_RATIO_FLOOR,
    ZIP_TOO_BIG,
    FileRejected,
    Kind,
    Malformed,
)
from intake.cleaning.images import strip_embedded_picture

OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FIXED_ZIP_TIME: Final = (1980, 1, 1, 0, 0, 0)  # entry times say when the file was saved
_CONTENT_TYPES: Final = "[Content_Types].xml"
_PACKAGE_RELS: Final = "_rels/.rels"
_OFFICE_MAIN: Final = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": PPTX,
}

# Namespaces, transitional and strict (ISO/IEC 29500-1 and its strict variant).
_W: Final = (
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
)
_R: Final = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
_W14: Final = "http://schemas.microsoft.com/office/word/2010/wordml"
_W15: Final = "http://schemas.microsoft.com/office/word/2012/wordml"
_X15AC: Final = "http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac"
_XR: Final = "http://schemas.microsoft.com/office/spreadsheetml/2014/revision"
_SVG: Final = "http://www.w3.org/2000/svg"
_XLINK: Final = "http://www.w3.org/1999/xlink"
_XML: Final = "http://www.w3.org/XML/1998/namespace"

# --- What each part is ---------------------------------------------------------------------

COMMENTS: Final = "comments (with their authors)"
PEOPLE: Final = "names and accounts of people who commented or edited"
CHANGE_LOGS: Final = "change history naming people"
ADD_INS: Final = "add-in data"
# (fragment of the content type or relationship type, lower case) → what the part is.
_DROPPED_CONTENT: Final = (
    ("wordprocessingml.comments+xml", COMMENTS),
    ("commentsextended+xml", COMMENTS),
    ("commentsextensible+xml", COMMENTS),
    ("commentsids+xml", COMMENTS),
    ("spreadsheetml.comments+xml", COMMENTS),
    ("threadedcomments+xml", COMMENTS),
    ("presentationml.comments+xml", COMMENTS),
    ("ms-powerpoint.comments+xml", COMMENTS),
    ("wordprocessingml.people+xml", PEOPLE),
    ("ms-excel.person+xml", PEOPLE),
    ("presentationml.commentauthors+xml", PEOPLE),
    ("ms-powerpoint.authors+xml", PEOPLE),
    ("custom-properties+xml", "custom properties"),
    ("customxmlproperties+xml", "document management data"),
    ("digital-signature", "digital signatures"),
    ("printersettings", "printer settings"),
    ("spreadsheetml.revisionheaders+xml", CHANGE_LOGS),
    ("spreadsheetml.revisionlog+xml", CHANGE_LOGS),
    ("spreadsheetml.usernames+xml", CHANGE_LOGS),
    ("ms-powerpoint.revinfo+xml", CHANGE_LOGS),
    ("ms-powerpoint.changesinfo+xml", CHANGE_LOGS),
    ("presentationml.tags+xml", ADD_INS),
    ("webextension", ADD_INS),
    ("classificationlabels+xml", "sensitivity label"),
    # Building blocks (AutoText) are never shown in the document, and often hold a name and
    # address typed once for reuse.
    ("document.glossary+xml", "saved building blocks (AutoText)"),
)
_DROPPED_RELATIONSHIPS: Final = (
    ("/metadata/thumbnail", "thumbnail picture"),
    ("/customxml", "document management data"),
    ("/custom-properties", "custom properties"),
    ("/printersettings", "printer settings"),
    ("/ui/extensibility", ADD_INS),
    ("/webextensiontaskpanes", ADD_INS),
    ("/comments", COMMENTS),
)
_PACKAGES: Final = frozenset(kind.content_type for kind in (DOCX, XLSX, PPTX))
_MACRO_CONTENT: Final = ("macroenabled", "vbaproject", "vbadata", "keymapcustomizations", "activex")
_EMPTIED: Final = {
    "/metadata/core-properties": "core",
    "/extended-properties": "app",
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
# Elements whose reference to a dropped part is required: they go with it.
_GONE_WITH_TARGET: Final = frozenset(
    {"legacyDrawing", "legacyDrawingHF", "attachedTemplate", "externalData", "tags", "custData"}
)


@dataclass
class _Relationship:
    element: etree._Element
    kind: str  # the relationship type, lower case
    target: str  # a part name, or the external address
    external: bool


@dataclass
class _Relationships:
    """One relationships part: its name, its parsed root, and what it says."""

    name: str
    root: etree._Element
    items: list[_Relationship]

    def remove(self, relationship: _Relationship) -> str:
        """Removes one relationship; returns its id."""
        self.items.remove(relationship)
        self.root.remove(relationship.element)
        return str(relationship.element.get("Id", ""))


@dataclass
class _Package:
    """One Office package in memory, with its content types and relationships."""

    parts: dict[str, bytes]
    defaults: dict[str, str]
    overrides: dict[str, str]
    # source part ("" for the package) → its relationships
    relationships: dict[str, _Relationships] = field(default_factory=dict)

    def content_type(self, name: str) -> str:
        found = self.overrides.get(name)
        if found is None:
            found = self.defaults.get(name.rpartition(".")[2].lower(), "")
        return found.lower()

    def pointing_at(self, name: str) -> Iterable[_Relationship]:
        for relationships in self.relationships.values():
            yield from (r for r in relationships.items if not r.external and r.target == name)


def clean_office(data: bytes, *, embedded: bool = False) -> tuple[Kind, bytes, list[str]]:
    """Rewrites a .docx/.xlsx/.pptx without what names a person or device (see above)."""
    label = "document"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_zip(archive)
            package = _read(archive)
        kind = _office_kind(package)
        label = kind.label
        found = _Cleaner(package, kind, embedded=embedded).run()
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as rewritten:
            for name, part in package.parts.items():
                # A fresh entry drops times, comments and extra fields (owner ids, NTFS times).
                entry = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
                entry.compress_type = zipfile.ZIP_DEFLATED
                rewritten.writestr(entry, part)
    except FileRejected:
        raise
    except Malformed:
        raise FileRejected(
            _("A picture inside this %(kind)s is damaged.") % {"kind": label}
        ) from None
    except Exception:  # zipfile, zlib and lxml report broken files in many ways
        raise FileRejected(DAMAGED.format(label=label)) from None
    return kind, out.getvalue(), list(dict.fromkeys(found))


# --- Reading the package -------------------------------------------------------------------


def _check_zip(archive: zipfile.ZipFile) -> None:
    """Refuses a zip from its directory alone, before a single entry is inflated.

    zipfile never inflates an entry beyond the size the directory declares (and checks its
    CRC), so capping the declared sizes caps the memory used.
    """
    entries = archive.infolist()
    if len(entries) > MAX_ZIP_ENTRIES:
        raise FileRejected(ZIP_ENTRIES)
    names = [entry.filename for entry in entries]
    if len(set(names)) != len(names) or any(
        name.startswith("/") or "\\" in name or ".." in name.split("/") for name in names
    ):
        # Duplicate or escaping names: different programs would read different files.
        raise FileRejected(DAMAGED.format(label="document"))
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise FileRejected(LOCKED)
        if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise FileRejected(DAMAGED.format(label="document"))
        if entry.file_size > ZIP_RATIO_FLOOR and entry.file_size > MAX_ZIP_RATIO * max(
            entry.compress_size, 1
        ):
            raise FileRejected(ZIP_BOMB)
    if sum(entry.file_size for entry in entries) > MAX_UNZIPPED_BYTES:
        raise FileRejected(ZIP_TOO_BIG)


def xml_parse(part: bytes) -> etree._Element:
    """Parses an XML part with no DTD, no entities and no network; refuses a DTD.

    The part must be UTF-8 (as Office writes it) so the DTD check cannot be dodged with
    UTF-16. Raises ValueError (reported as damaged) otherwise.
    """
    part.decode("utf-8")  # raises UnicodeDecodeError, a ValueError
    if b"<!DOCTYPE" in part or b"<!ENTITY" in part:
        raise ValueError("DTD in an XML part")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    return etree.fromstring(part, parser)


def _xml_bytes(root: etree._Element) -> bytes:
    standalone = root.getroottree().docinfo.standalone
    return bytes(
        etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=standalone)
    )


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _namespace(tag: object) -> str:
    return tag[1:].partition("}")[0] if isinstance(tag, str) and tag.startswith("{") else ""


def _read(archive: zipfile.ZipFile) -> _Package:
    parts = {
        entry.filename: archive.read(entry)
        for entry in archive.infolist()
        if not entry.is_dir()  # folders hold nothing; the rewrite has none
    }
    if _CONTENT_TYPES not in parts:
        raise FileRejected(
            _("Zip archives can't be accepted. Please upload the files inside it one by one. ")
            + _("We accept %(kinds)s.") % {"kinds": ALLOWED_SUMMARY}
        )
    types = xml_parse(parts[_CONTENT_TYPES])
    package = _Package(
        parts=parts,
        defaults={
            element.get("Extension", "").lower(): element.get("ContentType", "")
            for element in types
            if _local(element.tag) == "Default"
        },
        overrides={
            element.get("PartName", "").lstrip("/"): element.get("ContentType", "")
            for element in types
            if _local(element.tag) == "Override"
        },
    )
    for name in parts:
        folder, file_name = posixpath.split(name)
        if not file_name.endswith(".rels") or posixpath.basename(folder) != "_rels":
            continue
        source_folder = posixpath.dirname(folder)
        source = posixpath.join(source_folder, file_name.removesuffix(".rels"))
        root = xml_parse(parts[name])
        package.relationships["" if name == _PACKAGE_RELS else source] = _Relationships(
            name=name,
            root=root,
            items=[_relationship(element, source_folder) for element in root],
        )
    return package


def _relationship(element: etree._Element, base: str) -> _Relationship:
    target = element.get("Target", "")
    external = element.get("TargetMode", "") == "External"
    if not external:
        target = target.partition("#")[0]
        target = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(base, target))
        )
        target = unquote(target)
    return _Relationship(
        element=element, kind=element.get("Type", "").lower(), target=target, external=external
    )


def _office_kind(package: _Package) -> Kind:
    """The document kind named by [Content_Types].xml (whose main part must exist)."""
    content_types = [t.lower() for t in [*package.overrides.values(), *package.defaults.values()]]
    if any(marker in t for t in content_types for marker in _MACRO_CONTENT) or any(
        name.rpartition("/")[2].lower() == "vbaproject.bin" for name in package.parts
    ):
        raise FileRejected(MACROS)
    for part, content_type in package.overrides.items():
        kind = _OFFICE_MAIN.get(content_type)
        if kind is not None:
            if part not in package.parts:
                raise FileRejected(DAMAGED.format(label=kind.label))
            return kind
    raise FileRejected(
        _("This Office file is not a Word, Excel or PowerPoint document we accept. ")
        + _("We accept %(kinds)s.") % {"kinds": ALLOWED_SUMMARY}
    )


# --- Cleaning ------------------------------------------------------------------------------

# The folders of a path at the start of a value: "C:\Users\jane\", "\\server\share\",
# "file:///C:/Users/jane/", "/Users/jane/". What follows (the file's own name) stays.
_FOLDERS: Final = re.compile(
    r"(?:file:/*)?(?:(?<![A-Za-z0-9])[A-Za-z]:[\\/]|\\\\[^\\/\"\s]+[\\/]|(?<![\w.:/])/(?:Users|home)/)"
    r"(?:[^\\/\"]*[\\/])*",
    re.IGNORECASE,
)
_WEB_ADDRESS: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")  # http:, mailto: (not C:)


def _without_folders(value: str, *, anywhere: bool = False) -> str:
    """``value`` with the folders of a path at its start (or ``anywhere``) taken out."""
    if anywhere:
        return _FOLDERS.sub("", value)
    match = _FOLDERS.match(value)
    return value[match.end() :] if match else value


class _Cleaner:
    def __init__(self, package: _Package, kind: Kind, *, embedded: bool) -> None:
        self.package, self.kind, self.embedded = package, kind, embedded
        self.found: list[str] = []
        self.dead: dict[str, set[str]] = {}  # source part → ids of relationships removed

    def run(self) -> list[str]:
        used = self._reachable()
        for name in self._content_parts():
            if name not in used:
                self._drop(name, "other hidden data")  # not part of the document at all
            elif (label := self._dropped_label(name)) is not None:
                self._drop(name, label)
        self._drop_orphaned_note_drawings()
        still_used = self._reachable()
        for name in self._content_parts():
            if name not in still_used:
                self._drop(name, None)  # used only by a part dropped above
        for source in [s for s in self.package.relationships if s]:
            if source not in self.package.parts:  # relationships of a part that is not there
                self.package.parts.pop(self.package.relationships.pop(source).name, None)
                self.found.append("other hidden data")
        self._clean_external_relationships()
        for name in self._content_parts():
            self.package.parts[name] = self._clean_part(name, self.package.parts[name])
        self._write_relationships_and_types()
        return self.found

    # Which parts stay

    def _content_parts(self) -> list[str]:
        """Every part but the content types and the relationships parts."""
        relationship_parts = {r.name for r in self.package.relationships.values()}
        return [
            name
            for name in self.package.parts
            if name != _CONTENT_TYPES and name not in relationship_parts
        ]

    def _reachable(self) -> set[str]:
        seen: set[str] = set()
        queue = [""]
        while queue:
            relationships = self.package.relationships.get(queue.pop())
            for relationship in relationships.items if relationships else []:
                if not relationship.external and relationship.target not in seen:
                    seen.add(relationship.target)
                    queue.append(relationship.target)
        return seen

    def _dropped_label(self, name: str) -> str | None:
        content_type = self.package.content_type(name)
        for fragment, label in _DROPPED_CONTENT:
            if fragment in content_type:
                return label
        for relationship in self.package.pointing_at(name):
            for fragment, label in _DROPPED_RELATIONSHIPS:
                if relationship.kind.endswith(fragment):
                    return label
        return None

    def _drop(self, name: str, label: str | None) -> None:
        """Removes a part, its own relationships, and every relationship pointing at it."""
        self.package.parts.pop(name, None)
        self.package.overrides.pop(name, None)
        own = self.package.relationships.pop(name, None)
        if own is not None:
            self.package.parts.pop(own.name, None)
        for source, relationships in self.package.relationships.items():
            for relationship in [r for r in relationships.items if r.target == name]:
                if not relationship.external:
                    self.dead.setdefault(source, set()).add(relationships.remove(relationship))
        if label:
            self.found.append(label)

    def _drop_orphaned_note_drawings(self) -> None:
        """A sheet's old-style notes are drawn from a VML part; without the notes it goes too.

        Only a drawing that holds notes and nothing else (no form controls), and that nothing
        else uses, is dropped.
        """
        for source in list(self.dead):
            relationships = self.package.relationships.get(source)
            for relationship in list(relationships.items if relationships else []):
                part = self.package.parts.get(relationship.target, b"")
                notes = part.count(b'ObjectType="Note"')
                if (
                    relationship.kind.endswith("/vmldrawing")
                    and notes
                    and notes == part.count(b"<x:ClientData")
                    and len(list(self.package.pointing_at(relationship.target))) == 1
                ):
                    self._drop(relationship.target, COMMENTS)

    def _clean_external_relationships(self) -> None:
        """Links outside the document: a template's location goes; a link to a file keeps only
        the file's name; web addresses stay (they are what the author linked to)."""
        for source, relationships in self.package.relationships.items():
            for relationship in [r for r in relationships.items if r.external]:
                if relationship.kind.endswith("/attachedtemplate"):
                    self.dead.setdefault(source, set()).add(relationships.remove(relationship))
                    self.found.append("template location")
                    continue
                target = relationship.element.get("Target", "")
                if _WEB_ADDRESS.match(target) and not target.lower().startswith("file:"):
                    continue
                name = re.split(r"[\\/]", target)[-1]
                if name != target:
                    relationship.element.set("Target", name)
                    self.found.append("file locations on a computer")

    # What each kept part becomes

    def _clean_part(self, name: str, part: bytes) -> bytes:
        content_type = self.package.content_type(name)
        kinds = {r.kind.rpartition("/")[2] for r in self.package.pointing_at(name)}
        label = self.kind.label
        if "oleobject" in kinds or "oleobject" in content_type or part.startswith(OLE_MAGIC):
            raise FileRejected(EMBEDDED_OBJECT.format(label=label))
        if "font" in content_type or "font" in kinds:
            return part  # font files describe letters, not people
        if "package" in kinds or content_type in _PACKAGES:
            return self._clean_embedded_package(part)
        if content_type.startswith(("audio/", "video/")) or kinds & {"audio", "video", "media"}:
            raise FileRejected(AUDIO_VIDEO.format(label=label))
        if content_type.startswith("image/") or "image" in kinds:
            return self._clean_picture(part, content_type)
        if content_type.endswith("xml") or name.endswith((".xml", ".vml")):
            if "spreadsheetml.connections" in content_type or "querytable" in content_type:
                raise FileRejected(CONNECTED)
            return self._clean_xml(name, part, content_type)
        raise FileRejected(UNCHECKABLE_PART.format(label=label))

    def _clean_embedded_package(self, part: bytes) -> bytes:
        if self.embedded or not part.startswith(b"PK\x03\x04"):
            # One level is enough for a chart's data; deeper nesting is not checked.
            raise FileRejected(EMBEDDED_OBJECT.format(label=self.kind.label))
        try:
            _, cleaned, found = clean_office(part, embedded=True)
        except FileRejected:
            raise FileRejected(EMBEDDED_OBJECT.format(label=self.kind.label)) from None
        self.found += [f"{label} (in an embedded document)" for label in found]
        return cleaned

    def _clean_picture(self, part: bytes, content_type: str) -> bytes:
        if content_type == "image/svg+xml" or part.lstrip().startswith((b"<svg", b"<?xml")):
            try:
                root = xml_parse(part)
            except ValueError:
                raise FileRejected(UNCHECKABLE_PICTURE.format(label=self.kind.label)) from None
            labels = _clean_svg(root)
            self.found += [f"{label} (in a picture)" for label in labels]
            return _xml_bytes(root) if labels else part
        stripped = strip_embedded_picture(part)
        if stripped is None:
            raise FileRejected(UNCHECKABLE_PICTURE.format(label=self.kind.label))
        self.found += [f"{label} (in a picture)" for label in stripped[1]]
        return stripped[0]

    def _clean_xml(self, name: str, part: bytes, content_type: str) -> bytes:
        role = next(
            (
                role
                for relationship in self.package.pointing_at(name)
                for suffix, role in _EMPTIED.items()
                if relationship.kind.endswith(suffix)
            ),
            None,
        )
        if role is not None or content_type.endswith(
            ("core-properties+xml", "extended-properties+xml")
        ):
            return self._empty_properties(
                part, role or ("core" if "core-properties" in content_type else "app")
            )
        root = xml_parse(part)
        cleaner = _XmlCleaner(self.dead.get(name, set()))
        self.found += cleaner.clean(root)
        return _xml_bytes(root) if cleaner.changed else part

    def _empty_properties(self, part: bytes, role: str) -> bytes:
        """An empty properties part in the original's namespace; notes what the old one held."""
        root = xml_parse(part)
        namespace = _namespace(root.tag)
        filled = [_local(child.tag) for child in root if (child.text or "").strip() or len(child)]
        if role == "core":
            self.found += [_CORE_FINDINGS.get(name, "other document properties") for name in filled]
            empty = etree.Element(etree.QName(namespace, "coreProperties"), nsmap={"cp": namespace})
        else:
            self.found += [_APP_FINDINGS[name] for name in filled if name in _APP_FINDINGS]
            empty = etree.Element(etree.QName(namespace, "Properties"), nsmap={None: namespace})
        return _xml_bytes(empty)

    def _write_relationships_and_types(self) -> None:
        for relationships in self.package.relationships.values():
            self.package.parts[relationships.name] = _xml_bytes(relationships.root)
        types = xml_parse(self.package.parts[_CONTENT_TYPES])
        for element in list(types):
            name = element.get("PartName", "").lstrip("/")
            if _local(element.tag) == "Override" and name not in self.package.parts:
                types.remove(element)
        self.package.parts[_CONTENT_TYPES] = _xml_bytes(types)


class _XmlCleaner:
    """The rules every kept XML part goes through, whatever its kind."""

    def __init__(self, dead_ids: set[str]) -> None:
        self.dead_ids = dead_ids
        self.found: list[str] = []
        self.changed = False

    def clean(self, root: etree._Element) -> list[str]:
        """Cleans ``root`` in place; returns what was found. ``changed`` says whether anything
        was (references to removed parts are changes that need no mention)."""
        doomed: list[etree._Element] = []
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue  # comments and processing instructions carry no person in Office
            namespace, local = _namespace(element.tag), _local(element.tag)
            if self._references_dead(element, local):
                doomed.append(element)
                continue
            if namespace in _W:
                if self._word_element(element, local):
                    doomed.append(element)
                    continue
            elif namespace in (_W14, _W15) and local == "docId":
                doomed.append(element)
                self.found.append("document ID")
                continue
            elif namespace == _X15AC and local == "absPath":
                doomed.append(element)
                self.found.append("saved file location")
                continue
            elif namespace == _XR and local == "revisionPtr":
                doomed.append(element)
                self.found.append("document ID")
                continue
            self._attributes(element, namespace, local)
        for element in doomed:
            parent = element.getparent()
            if parent is not None:
                _remove_keeping_tail(parent, element)
        self.changed = self.changed or bool(doomed or self.found)
        return self.found

    def _references_dead(self, element: etree._Element, local: str) -> bool:
        """Drops references to removed relationships: the element if it needs one, else the
        attribute."""
        if not self.dead_ids:
            return False
        for key, value in list(element.attrib.items()):
            if _namespace(key) in _R and value in self.dead_ids:
                if local in _GONE_WITH_TARGET:
                    return True
                del element.attrib[key]
                self.changed = True
        return False

    def _word_element(self, element: etree._Element, local: str) -> bool:
        """Word's own rules; True if the element goes."""
        if local in ("commentRangeStart", "commentRangeEnd", "commentReference"):
            return True  # the comments they anchor are gone
        if local == "rsids":
            self.found.append("editing session IDs")
            return True
        if local == "docVars":
            self.found.append("document variables")
            return True
        if local == "mailMerge":
            self.found.append("mail merge data source")
            return True
        return False

    def _attributes(self, element: etree._Element, namespace: str, local: str) -> None:
        for key, value in list(element.attrib.items()):
            key_namespace, key_local = _namespace(key), _local(key)
            if key_namespace in _W:
                if key_local.startswith("rsid"):
                    del element.attrib[key]
                    self.found.append("editing session IDs")
                    continue
                if key_local == "author" and value != "Author":
                    element.set(key, "Author")
                    self.found.append("names on tracked changes")
                    continue
                if key_local in ("date", "dateUtc"):
                    del element.attrib[key]
                    self.found.append("dates of tracked changes")
                    continue
                if key_local in ("initials", "userId", "providerId"):
                    del element.attrib[key]
                    self.found.append("names on tracked changes")
                    continue
                if key_local == "ed":
                    del element.attrib[key]
                    self.found.append("names of people allowed to edit parts")
                    continue
            elif key_local == "dateUtc":
                del element.attrib[key]
                self.found.append("dates of tracked changes")
                continue
            if not key_namespace and (
                (local == "fileSharing" and key_local == "userName")
                or (local == "pivotCacheDefinition" and key_local.startswith("refreshed"))
            ):
                del element.attrib[key]
                self.found.append(
                    "name of the person who reserved the file"
                    if local == "fileSharing"
                    else "name of the person who refreshed a pivot table"
                )
                continue
            cleaned = _without_folders(value, anywhere=local == "fldSimple")
            if cleaned != value:
                element.set(key, cleaned)
                self.found.append("file locations on a computer")
        if namespace in _W and local == "instrText" and element.text:
            cleaned = _without_folders(element.text, anywhere=True)
            if cleaned != element.text:
                element.text = cleaned
                self.found.append("file locations on a computer")


def _remove_keeping_tail(parent: etree._Element, element: etree._Element) -> None:
    """Removes ``element`` but keeps the text that followed it."""
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _clean_svg(root: etree._Element) -> list[str]:
    """An SVG picture without metadata, scripts, comments or editing-program data."""
    found: list[str] = []
    doomed: list[etree._Element] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            doomed.append(element)
            found.append("comment")
            continue
        namespace, local = _namespace(element.tag), _local(element.tag)
        if namespace != _SVG:
            doomed.append(element)
            found.append("editing program data")
        elif local == "metadata":
            doomed.append(element)
            found.append("metadata")
        elif local in ("script", "foreignObject"):
            doomed.append(element)
            found.append("scripts")
        for key in list(element.attrib):
            if _namespace(key) not in ("", _XLINK, _XML) or _local(key).startswith("on"):
                del element.attrib[key]
                found.append("editing program data")
    for element in doomed:
        parent = element.getparent()
        if parent is not None:
            _remove_keeping_tail(parent, element)
    return list(dict.fromkeys(found))
