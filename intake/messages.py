"""Which translatable strings a reporter can see, found in the sources (decision 0025).

The Welsh catalogue (``locale/cy/LC_MESSAGES/django.po``) must translate every one of them:
``manage.py reporter_messages`` brings the catalogue up to date with this list (new strings
added untranslated, strings no longer used removed) and compiles it; a test fails while any
is untranslated. Staff-side strings stay out of the catalogue: staff pages are English.

Where a reporter's strings come from:
- the reporter side's Python (``intake/``, except the admin, the models' admin help texts and
  migrations) and templates (``intake/templates/``), read as Python syntax trees and Django
  template nodes, so nothing is missed by a pattern;
- the reporter's "there is news" e-mail (``cases/templates/cases/email/_reporter_news.*``);
- what the reporter is told of their case's stage: each workflow state's reporter wording;
- the check-in's answers (``cases.models.CheckinAnswer``).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.template import engines
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.utils import translation

from cases.models import CheckinAnswer
from workflows import machines

BASE = Path(settings.BASE_DIR)
PO_PATH = BASE / "locale" / "cy" / "LC_MESSAGES" / "django.po"
# Not seen by reporters: the admin's forms and the models' help texts are staff-side.
_NOT_REPORTER = {"admin.py", "models.py", "messages.py"}
_PYTHON_DIRS = ("intake",)
_PYTHON_FILES = ("cases/news.py",)  # the "there is news" e-mail's subject
_TEMPLATE_GLOBS = (
    "intake/templates/intake/**/*.html",
    "cases/templates/cases/email/_reporter_news.*",
)
_SINGULAR = {"_", "gettext", "gettext_lazy", "gettext_noop"}
_PLURAL = {"ngettext", "ngettext_lazy"}

# (msgid, plural msgid or "") for each string, keyed in the order found.
Message = tuple[str, str]


def _python_files() -> Iterator[Path]:
    for folder in _PYTHON_DIRS:
        for path in sorted((BASE / folder).rglob("*.py")):
            relative = path.relative_to(BASE / folder)
            if relative.parts[0] in ("migrations", "management") or path.name in _NOT_REPORTER:
                continue
            yield path
    for name in _PYTHON_FILES:
        yield BASE / name


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _translation_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """The names this module calls Django's gettext functions by (``_``, ``_lazy``...)."""
    singular, plural = set(_SINGULAR), set(_PLURAL)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                if alias.name in _SINGULAR:
                    singular.add(alias.asname or alias.name)
                elif alias.name in _PLURAL:
                    plural.add(alias.asname or alias.name)
    return singular, plural


def _from_python(path: Path) -> Iterator[tuple[Message, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    singular_names, plural_names = _translation_names(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = (
            func.id
            if isinstance(func, ast.Name)
            else func.attr
            if isinstance(func, ast.Attribute)
            else ""
        )
        where = str(path.relative_to(BASE))
        if name in singular_names and (singular := _literal(node.args[0])) is not None:
            yield (singular, ""), where
        elif name in plural_names and len(node.args) >= 2:
            singular, plural = _literal(node.args[0]), _literal(node.args[1])
            if singular is not None and plural is not None:
                yield (singular, plural), where


def _from_template(path: Path) -> Iterator[tuple[Message, str]]:
    engine = engines["django"].engine  # type: ignore[attr-defined]
    template = engine.from_string(path.read_text(encoding="utf-8"))
    where = str(path.relative_to(BASE))
    for node in template.nodelist.get_nodes_by_type(TranslateNode):
        literal = node.filter_expression.var.literal
        if isinstance(literal, str):
            yield (literal, ""), where
    for node in template.nodelist.get_nodes_by_type(BlockTranslateNode):
        singular, _ = node.render_token_list(node.singular)
        plural = node.render_token_list(node.plural)[0] if node.plural else ""
        yield (singular, plural), where


def _msgid(lazy: object) -> str:
    with translation.override(None):  # no catalogue: the message id itself
        return str(lazy)


def _at_runtime() -> Iterator[tuple[Message, str]]:
    for info in sorted(pkgutil.iter_modules(machines.__path__), key=lambda m: m.name):
        spec = importlib.import_module(f"{machines.__name__}.{info.name}").WORKFLOW
        for state in spec.states:
            yield (_msgid(state.reporter), ""), f"workflow {spec.key}, state {state.name}"
    for _, label in CheckinAnswer.choices:
        yield (_msgid(label), ""), "cases.models.CheckinAnswer"


def reporter_messages() -> dict[Message, list[str]]:
    """Every string a reporter can see, with where each was found."""
    found: dict[Message, list[str]] = {}
    for path in _python_files():
        for message, where in _from_python(path):
            found.setdefault(message, []).append(where)
    for pattern in _TEMPLATE_GLOBS:
        for path in sorted(BASE.glob(pattern)):
            for message, where in _from_template(path):
                found.setdefault(message, []).append(where)
    for message, where in _at_runtime():
        found.setdefault(message, []).append(where)
    return found


# --- The catalogue file ------------------------------------------------------------------------

HEADER = """msgid ""
msgstr ""
"Project-Id-Version: Speak Up reporter side\\n"
"Language: cy\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=4; plural=(n==1) ? 0 : (n==2) ? 1 : (n != 8 && n != 11) ? 2 : 3;\\n"
"""
PLURAL_FORMS = 4


@dataclass
class Entry:
    """One message of the catalogue: its translations (one, or one per plural form)."""

    msgstr: list[str]
    fuzzy: bool = False


def _unquote(line: str) -> str:
    return ast.literal_eval(line)  # type: ignore[no-any-return]  # a .po string is a Python one


def read_po(path: Path = PO_PATH) -> dict[Message, Entry]:
    """The catalogue's entries, one per block of lines (blank lines between); the header and
    obsolete ``#~`` entries are left out."""
    entries: dict[Message, Entry] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        current, fuzzy = "", False
        for line in block.splitlines():
            if line.startswith("#,"):
                fuzzy = fuzzy or "fuzzy" in line
            elif line.startswith('"') and current:
                fields[current] += _unquote(line)
            elif line and not line.startswith("#"):
                current, _, rest = line.partition(" ")
                fields[current] = _unquote(rest)
        if not fields.get("msgid"):
            continue
        plural = fields.get("msgid_plural", "")
        strs = (
            [fields.get(f"msgstr[{n}]", "") for n in range(PLURAL_FORMS)]
            if plural
            else [fields.get("msgstr", "")]
        )
        entries[(fields["msgid"], plural)] = Entry(strs, fuzzy)
    return entries


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def write_po(entries: dict[Message, tuple[Entry, list[str]]], path: Path = PO_PATH) -> None:
    """Write the catalogue: each message with where it is used and its translations."""
    lines = [HEADER]
    for (msgid, plural), (entry, where) in entries.items():
        lines.extend(f"#: {place}" for place in sorted(set(where)))
        flags = ["fuzzy"] if entry.fuzzy else []
        if "%(" in msgid:
            flags.append("python-format")
        if flags:
            lines.append(f"#, {', '.join(flags)}")
        lines.append(f"msgid {_quote(msgid)}")
        if plural:
            lines.append(f"msgid_plural {_quote(plural)}")
            strs = (entry.msgstr + [""] * PLURAL_FORMS)[:PLURAL_FORMS]
            lines.extend(f"msgstr[{n}] {_quote(text)}" for n, text in enumerate(strs))
        else:
            lines.append(f"msgstr {_quote(entry.msgstr[0] if entry.msgstr else '')}")
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def update_po(path: Path = PO_PATH) -> tuple[int, int]:
    """Bring the catalogue up to date with the sources: every reporter string in it, with its
    translation kept; strings no longer used dropped. Returns (added, dropped)."""
    old = read_po(path) if path.exists() else {}
    found = reporter_messages()
    merged = {
        message: (old.get(message, Entry([""] * (PLURAL_FORMS if message[1] else 1))), where)
        for message, where in found.items()
    }
    write_po(merged, path)
    return len(set(found) - set(old)), len(set(old) - set(found))
