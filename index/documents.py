"""PDF and Word (.docx) files to the blocks the cleaner reads (`index.clean.parse_blocks`).

These formats carry layout rather than plain text, so they are not decoded as text: a PDF's text
layer is put back into reading order by `index.pdf_layout`; a .docx's paragraphs are read in order
with the roles their styles give (title, headings, captions, list items) and its tables row by row.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile

from .clean import Block, join_broken
from .errors import InputError
from .pdf_layout import pdf_blocks

log = logging.getLogger(__name__)

#: The formats read here, by the name `index.ingest.SUPPORTED_SUFFIXES` gives them.
DOCUMENT_FORMATS = frozenset({"pdf", "docx"})

_HEADING_STYLE = re.compile(r"^(?:heading|標題|标题|見出し)\s*(\d)$", re.IGNORECASE)


def document_blocks(data: bytes, name: str, fmt: str) -> list[Block]:
    """The blocks of a PDF or .docx file; InputError names the file when it cannot be read."""
    if fmt == "pdf":
        return pdf_blocks(data, name)
    if fmt == "docx":
        return docx_blocks(data, name)
    raise InputError(f"{name}: unsupported document format {fmt!r}", code="unsupported_type",
                     types=fmt)


def _style_name(paragraph) -> str:
    try:
        style = paragraph.style
    except (KeyError, ValueError, AttributeError):  # a style id the file does not define
        return ""
    return (style.name or "") if style is not None else ""


def _style_role(style: str) -> str | None:
    """The block role a paragraph style gives: Title, Heading N, Caption, List ..."""
    lowered = style.lower()
    if lowered == "title":
        return "title"
    if lowered == "subtitle" or _HEADING_STYLE.match(style):
        return "heading"
    if lowered == "caption":
        return "caption"
    if lowered.startswith("list"):
        return "list"
    return None


def _paragraph_text(paragraph) -> str:
    """A paragraph's text; manual line breaks inside it are joined like broken lines."""
    text = ""
    for piece in paragraph.text.replace("\t", " ").split("\n"):
        piece = piece.strip()
        if piece:
            text = join_broken(text, piece) if text else piece
    return text


def _table_rows(table) -> list[str]:
    """Each row's cell texts in order (a merged cell once), separated by spaces."""
    rows: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        last: object = None
        for cell in row.cells:
            element = getattr(cell, "_tc", cell)
            if element is last:  # a merged cell is listed once per grid column it spans
                continue
            last = element
            text = " ".join(_paragraph_text(p) for p in cell.paragraphs if p.text.strip())
            nested = [r for t in cell.tables for r in _table_rows(t)]
            text = " ".join(part for part in [text, *nested] if part)
            if text:
                cells.append(text)
        if cells:
            rows.append(" ".join(cells))
    return rows


def docx_blocks(data: bytes, name: str) -> list[Block]:
    """A Word file's paragraphs and tables as blocks, in document order.

    The title is the core `title` property when it is set, else the first Title-style paragraph,
    else the first heading. Raises InputError for a file that is not a readable .docx.
    """
    try:
        import docx
        from docx.table import Table

        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError(f"{name}: not a readable Word .docx file ({exc})",
                         code="docx_unreadable") from exc
    except Exception as exc:  # a damaged file must never be a traceback
        log.debug("python-docx failed on %s", name, exc_info=True)
        raise InputError(f"{name}: not a readable Word .docx file ({type(exc).__name__})",
                         code="docx_unreadable") from exc
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            rows = _table_rows(item)
            if rows:
                blocks.append(Block("\n".join(rows), "fixed"))
            continue
        text = _paragraph_text(item)
        if text:
            blocks.append(Block(text, _style_role(_style_name(item))))
    core_title = " ".join((document.core_properties.title or "").split())
    return _with_title(blocks, core_title)


def _with_title(blocks: list[Block], core_title: str) -> list[Block]:
    """Make sure the document's title leads it, and is not repeated under it."""
    if core_title:
        out = [Block(core_title, "title")]
        for block in blocks:
            if block.role == "title":
                if block.text == core_title:
                    continue
                block = Block(block.text, "heading")  # the title is the core property's
            out.append(block)
        return out
    if any(block.role == "title" for block in blocks):
        return blocks
    for k, block in enumerate(blocks):
        if block.role == "heading":
            return [*blocks[:k], Block(block.text, "title"), *blocks[k + 1 :]]
    return blocks
