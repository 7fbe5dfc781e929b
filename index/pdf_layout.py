"""A PDF's text layer to paragraphs in reading order, with the roles its layout shows.

pypdf's visitor callbacks give every piece of text with its position and font size, and every
image with its box. From them:

* pieces on one baseline become lines;
* lines are grouped into columns by where they start (a column is a set of lines starting at the
  same x that stand side by side with another such set), read left to right, each top to bottom;
  a line running across several columns (a headline, a wide caption) separates sections of the
  page, read top to bottom, so two columns never interleave;
* the same text at the same place on several pages (running heads, footers) and page numbers
  are dropped;
* lines become paragraphs at vertical gaps, first-line indents, font changes, images and short
  finished lines; a paragraph broken by a column or page break is marked as continuing;
* a much larger font is a title or a section head; a short paragraph right under or over an
  image, one worded as a caption, or one set in a smaller font than the body is a caption, which
  the cleaner keeps out of the sentence it interrupts.

Joining lines into sentences reuses the cleaner's rules (`index.clean.join_broken`).
"""

from __future__ import annotations

import io
import logging
import math
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from .clean import Block, ends_sentence, join_broken, looks_like_byline, looks_like_caption, text_units
from .errors import InputError

log = logging.getLogger(__name__)

#: Relative font sizes: a title is set this much larger than the body, a section head this much.
_TITLE_RATIO = 1.6
_HEADING_RATIO = 1.15
#: A caption may be set this much smaller than the body (and is short).
_SMALL_RATIO = 0.9
_CAPTION_MAX_LINES = 3
_CAPTION_MAX_UNITS = 60
#: Running heads and footers live in this share of the page height at its top and bottom.
_MARGIN_BAND = 0.12
#: A line repeated on at least this share of the pages (and on two or more) is a running head.
_REPEAT_SHARE = 0.4
#: A column holds at least this many lines (and this share of the page's body lines).
_MIN_COLUMN_LINES = 3
_MIN_COLUMN_SHARE = 0.08
#: Column starts closer than this (in body font sizes) are one column (indents, centred lines).
_MIN_COLUMN_GAP = 4.0
#: A vertical gap this much larger than the usual line pitch starts a paragraph.
_PARAGRAPH_GAP = 1.25
#: An empty band this high (in body font sizes) across all columns ends a section of the page.
_SECTION_GAP = 2.0
#: Images smaller than this (points) are rules and bullets, not pictures.
_MIN_IMAGE_SIDE = 16.0
#: Pages whose characters are mostly unmapped glyphs have no usable text layer.
_MAX_UNMAPPED_SHARE = 0.3

_PAGE_NUMBER = re.compile(
    r"^[-–—‒\s|·•]*(?:(?:page|p\.|頁|页)\s*)?\d{1,4}(?:\s*(?:/|of|／)\s*\d{1,4})?[-–—‒\s|·•]*$"
    r"|^第\s*\d{1,4}\s*[頁页版]",
    re.IGNORECASE,
)
#: A web address alone on a line in the margin: the footer of a printed web page.
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|www\.)\S+$", re.IGNORECASE)
#: PDF fonts map some glyphs to compatibility code points (Kangxi radicals for 行, ligatures).
_COMPAT = re.compile(r"[\u2e80-\u2fdf\uf900-\ufaff\ufb00-\ufb4f]")
#: CJK Radicals Supplement code points that fonts give whole characters (⺠ for 民, ⻑ for 長);
#: Unicode folds only two of them, so the standalone ones are listed here.
# fmt: off
_RADICALS = str.maketrans(dict(zip(
    "\u2e81\u2e86\u2e8a\u2e9d\u2e9f\u2ea0\u2ea9\u2eaa\u2eac\u2eaf\u2ebb\u2ec1"
    "\u2ec4\u2ec5\u2ec6\u2ec9\u2ecb\u2ed1\u2ed3\u2ed4\u2ed7\u2ed8\u2ed9\u2eda\u2edb\u2edc"
    "\u2edd\u2ee2\u2ee3\u2ee4\u2ee5\u2ee6\u2ee7\u2ee8\u2ee9\u2eea\u2eeb\u2eec\u2eed\u2eee"
    "\u2eef\u2ef0\u2ef1\u2ef2\u2ef3",
    "厂冂卜月母民王疋示糸聿虎西见角贝车長长门雨青韦页风飞食马骨鬼鱼鸟卤麦黄黾斉齐歯齿竜龙龜亀龟",
    strict=True,
)))
# fmt: on
#: A space between two Chinese characters or punctuation marks: an extraction artefact.
_CJK_SPACE = re.compile(
    r"(?<=[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]) "
    r"(?=[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef])"
)
_UNMAPPED = re.compile(r"[\ue000-\uf8ff\ufffd]")
_HYPHENS = str.maketrans({"\u2011": "-"})
#: What a producer may draw for a hyphen it added at a line break (Chromium: U+2010).
_SOFT_HYPHENS = ("\u2010", "\u00ad")


@dataclass
class _Line:
    """Text on one baseline, in PDF user space (y grows upwards)."""

    text: str
    x0: float
    x1: float  # right end, estimated from character classes
    x1_min: float  # a right end the line surely reaches
    y: float
    size: float
    page: int
    column: int = 0
    spanning: bool = False
    cells: int = 1  # pieces side by side on this baseline (a table row has several)


@dataclass(frozen=True)
class _Box:
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class _Page:
    lines: list[_Line]
    images: list[_Box]
    bottom: float
    top: float
    column_starts: list[float] = field(default_factory=list)


@dataclass
class _Para:
    lines: list[_Line]
    role: str | None = None
    continues: bool = False
    #: The producer marks the hyphens it adds at line breaks, so a plain "-" there is a real one.
    marked_hyphens: bool = False

    @property
    def text(self) -> str:
        if self.role == "fixed":
            return "\n".join(line.text for line in self.lines)
        text = ""
        for line in self.lines:
            text = _join_line(text, line.text, self.marked_hyphens)
        return text.replace("\u2010", "-")

    @property
    def size(self) -> float:
        return statistics.median(line.size for line in self.lines)


# --- reading the text layer ----------------------------------------------------------------------


def _mult(m: Sequence[float], n: Sequence[float]) -> list[float]:
    """The product of two PDF matrices [a b c d e f]."""
    return [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]


def _char_width(ch: str) -> tuple[float, float]:
    """(likely, least) advance of a character in font sizes: CJK is square, Latin narrower."""
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0, 0.9
    if ch == " ":
        return 0.25, 0.2
    if ch.isupper() or ch in "mwMW@%":
        return 0.65, 0.45
    if ch in "il.,;:'!|()[]":
        return 0.28, 0.2
    return 0.5, 0.35


def _widths(text: str, size: float) -> tuple[float, float]:
    likely = least = 0.0
    for ch in text:
        a, b = _char_width(ch)
        likely += a
        least += b
    return likely * size, least * size


def _normalize(text: str) -> str:
    """Fragment text with compatibility forms folded (⾏ → 行, ﬁ → fi) and hyphens unified."""
    text = _COMPAT.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text.translate(_RADICALS))
    return text.translate(_HYPHENS).replace("\n", " ").replace("\r", " ")


@dataclass(frozen=True)
class _Fragment:
    """A piece of text as pypdf reports it: origin, direction of writing and font size."""

    text: str
    x: float
    y: float
    size: float
    turn: int  # the writing direction in quarter turns anticlockwise (0: left to right)


def _turn(m: Sequence[float]) -> int | None:
    """Quarter turns of a text matrix's writing direction, or None when skewed or mirrored."""
    length = math.hypot(m[0], m[1])
    if length == 0 or m[0] * m[3] - m[1] * m[2] <= 0:
        return None
    angle = math.degrees(math.atan2(m[1], m[0])) % 360
    turn = round(angle / 90) % 4
    return turn if abs(angle - 90 * turn) % 360 < 3 or abs(angle - 90 * turn) % 360 > 357 else None


def _is_vertical(fragments: list[_Fragment]) -> bool:
    """Whether upright glyphs follow each other downwards (Chinese set in vertical lines)."""
    down = across = 0
    upright = [f for f in fragments if f.turn == 0]
    for a, b in zip(upright, upright[1:], strict=False):
        if abs(b.x - a.x) < 0.2 * a.size and -1.6 * a.size < b.y - a.y < -0.5 * a.size:
            down += 1
        elif abs(b.y - a.y) < 0.2 * a.size and 0.3 * a.size < b.x - a.x < 1.6 * a.size * len(a.text):
            across += 1
    return down >= 30 and down > 3 * across


def _frame(fragments: list[_Fragment]) -> tuple[int | None, frozenset[int]]:
    """The page's reading frame: quarter turns to undo (None: vertical lines) and which writing
    directions belong to the running text."""
    weight: Counter[int] = Counter()
    for f in fragments:
        weight[f.turn] += len(f.text)
    turn = weight.most_common(1)[0][0] if weight else 0
    if turn == 0 and _is_vertical(fragments):
        return None, frozenset({0, 3})  # upright glyphs, and Latin words turned sideways in them
    return turn, frozenset({turn})


def _to_frame(turn: int | None, x: float, y: float) -> tuple[float, float]:
    """A point in the reading frame: text runs left to right and lines follow downwards.

    Vertical lines (read top to bottom, right to left) become horizontal lines read top down.
    """
    if turn is None:
        return -y, x
    for _ in range(turn):
        x, y = y, -x
    return x, y


def _read_page(page, number: int) -> _Page:
    """One page's lines (in content-stream order) and image boxes, from pypdf's visitors."""
    fragments: list[_Fragment] = []
    images: list[_Box] = []
    try:
        xobjects = page["/Resources"]["/XObject"].get_object()
    except (KeyError, TypeError, AttributeError):
        xobjects = {}

    def on_text(text, cm, tm, _font, font_size) -> None:
        if not text or not text.strip() or not font_size:
            return
        m = _mult(tm, cm)
        turn = _turn(m)
        size = abs(font_size) * math.hypot(m[2], m[3])
        if turn is not None and size > 0:  # skewed or mirrored text is decoration
            fragments.append(_Fragment(_normalize(text), m[4], m[5], size, turn))

    def on_operator(operator, operands, cm, _tm) -> None:
        if operator != b"Do" or not operands:
            return
        try:
            obj = xobjects[operands[0]].get_object()
        except (KeyError, TypeError, AttributeError):
            return
        if obj.get("/Subtype") == "/Image":
            corners = [(cm[4], cm[5]), (cm[4] + cm[0], cm[5] + cm[1]), (cm[4] + cm[2], cm[5] + cm[3]),
                       (cm[4] + cm[0] + cm[2], cm[5] + cm[1] + cm[3])]
            raw_images.append(corners)

    raw_images: list[list[tuple[float, float]]] = []
    page.extract_text(visitor_text=on_text, visitor_operand_before=on_operator)
    turn, kept = _frame(fragments)
    box = page.cropbox
    page_box = _box(turn, [(float(box.left), float(box.bottom)), (float(box.right), float(box.top))])
    area = (page_box.x1 - page_box.x0) * (page_box.y1 - page_box.y0)
    for corners in raw_images:
        image = _box(turn, corners)
        big_enough = image.x1 - image.x0 >= _MIN_IMAGE_SIDE and image.y1 - image.y0 >= _MIN_IMAGE_SIDE
        if big_enough and (image.x1 - image.x0) * (image.y1 - image.y0) < 0.8 * area:  # no backdrop
            images.append(image)
    return _Page(_lines(_place(fragments, turn, kept), number), images, page_box.y0, page_box.y1)


def _place(fragments: list[_Fragment], turn: int | None,
           kept: frozenset[int]) -> list[tuple[str, float, float, float]]:
    """The running text's fragments as (text, x, y, size) in the reading frame.

    In vertical lines an upright glyph stands above its origin, so its top starts it; a Latin word
    turned sideways in them follows the glyph before it (its reported origin is unreliable).
    """
    placed: list[tuple[str, float, float, float]] = []
    for f in fragments:
        if f.turn not in kept:
            continue
        x, y = _to_frame(turn, f.x, f.y)
        if turn is None and f.turn == 0:
            x -= f.size
        elif turn is None:
            if not placed or abs(placed[-1][2] - f.x) > 1.5 * f.size:
                continue
            text, px, y, size = placed[-1]
            x = px + _widths(text, size)[0]
        placed.append((f.text, x, y, f.size))
    return placed


def _box(turn: int | None, corners: Sequence[tuple[float, float]]) -> _Box:
    """The box around some points, in the reading frame."""
    points = [_to_frame(turn, x, y) for x, y in corners]
    if len(corners) == 2:  # two opposite corners of an upright box: add the other two
        (ax, ay), (bx, by) = corners
        points += [_to_frame(turn, ax, by), _to_frame(turn, bx, ay)]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return _Box(min(xs), min(ys), max(xs), max(ys))


def _wide(ch: str) -> bool:
    return bool(ch) and unicodedata.east_asian_width(ch) in ("W", "F")


def _lines(fragments: list[tuple[str, float, float, float]], page: int) -> list[_Line]:
    """Pieces of text that follow each other on one baseline become one line."""
    lines: list[_Line] = []
    seen: set[tuple[str, int, int]] = set()
    cur: _Line | None = None
    for text, x, y, size in fragments:
        key = (text, round(x), round(y))
        if key in seen:
            continue  # drawn twice (fake bold, shadows)
        seen.add(key)
        likely, least = _widths(text, size)
        if (
            cur is not None
            and abs(y - cur.y) <= 0.35 * max(size, cur.size)
            and cur.x0 - 0.5 <= x <= cur.x1 + 1.0 * max(size, cur.size)
            and 0.6 <= size / cur.size <= 1.6
        ):
            gap = x - cur.x1
            wide = _wide(cur.text.rstrip()[-1:]) or _wide(text.lstrip()[:1])
            if wide:  # Chinese sets no spaces; only a wide gap is one
                cur.text, text = cur.text.rstrip(), text.lstrip()
            spaced = cur.text.endswith(" ") or text.startswith(" ")
            if gap > (0.6 if wide else 0.2) * size and not spaced:
                cur.text += " "
            chars = len(cur.text.strip())
            cur.size = (cur.size * chars + size * len(text.strip())) / max(chars + len(text.strip()), 1)
            cur.text += text
            cur.x1 = max(cur.x1, x + likely)
            cur.x1_min = max(cur.x1_min, x + least)
            continue
        cur = _Line(text, x, x + likely, x + least, y, size, page)
        lines.append(cur)
    for line in lines:
        line.text = _CJK_SPACE.sub("", " ".join(line.text.split()))
    return [line for line in lines if line.text]


# --- running heads -------------------------------------------------------------------------------


def _in_margin(line: _Line, page: _Page) -> bool:
    band = _MARGIN_BAND * (page.top - page.bottom)
    return line.y >= page.top - band or line.y <= page.bottom + band


def _repeat_key(line: _Line) -> str:
    """A line's text with its numbers masked: `- 3 -` and `- 4 -` are the same footer."""
    return re.sub(r"\d+", "#", "".join(line.text.split()))


def _drop_running_heads(pages: list[_Page]) -> None:
    """Drop page numbers and text repeated at the same place on several pages (in the margins)."""
    places: dict[str, list[tuple[int, float]]] = {}
    for number, page in enumerate(pages):
        for line in page.lines:
            if _in_margin(line, page):
                places.setdefault(_repeat_key(line), []).append((number, line.y))
    needed = max(2, math.ceil(_REPEAT_SHARE * len(pages)))

    def repeated(line: _Line) -> bool:
        seen = {n for n, y in places.get(_repeat_key(line), []) if abs(y - line.y) <= 0.5 * line.size + 1}
        return len(seen) >= needed

    for page in pages:
        kept = []
        for line in page.lines:
            if _in_margin(line, page) and (
                _PAGE_NUMBER.match(line.text) or _URL.match(line.text) or repeated(line)
            ):
                log.debug("dropped running head or page number %r on page %d", line.text, line.page)
                continue
            kept.append(line)
        page.lines = kept


# --- columns and reading order -------------------------------------------------------------------


def _column_starts(lines: list[_Line], body: float) -> list[float]:
    """Where the page's columns start: clusters of line starts standing side by side."""
    candidates = sorted((line for line in lines if 0.75 * body <= line.size <= 1.3 * body),
                        key=lambda line: line.x0)
    clusters: list[list[_Line]] = []
    for line in candidates:
        if clusters and line.x0 - clusters[-1][-1].x0 <= 0.6 * body:
            clusters[-1].append(line)
        else:
            clusters.append([line])
    least = max(_MIN_COLUMN_LINES, _MIN_COLUMN_SHARE * len(candidates))
    starts = [c[0].x0 for c in clusters if len(c) >= least]
    if not starts:
        return [min((line.x0 for line in lines), default=0.0)]
    merged = [starts[0]]
    for x in starts[1:]:
        if x - merged[-1] >= _MIN_COLUMN_GAP * body:
            merged.append(x)
    changed = True
    while changed and len(merged) > 1:  # a start is a column only beside the one before it
        changed = False
        for j in range(1, len(merged)):
            left = [ln for ln in candidates if _column_of(ln.x0, merged, body) == j - 1]
            right = [ln for ln in candidates if _column_of(ln.x0, merged, body) == j]
            if not right or not left:
                del merged[j]
                changed = True
                break
            low, high = min(ln.y for ln in right), max(ln.y for ln in right)
            beside = sum(1 for ln in left if low - body <= ln.y <= high + body)
            if beside < _MIN_COLUMN_LINES:
                del merged[j]
                changed = True
                break
    return merged


def _column_of(x: float, starts: list[float], body: float) -> int:
    column = 0
    for j, start in enumerate(starts):
        if x >= start - 0.6 * body:
            column = j
    return column


def _gap_cuts(lines: list[_Line], body: float) -> list[float]:
    """Heights of wide empty bands running across the whole page: a section ends there."""
    spans = sorted((ln.y - 0.25 * ln.size, ln.y + 0.85 * ln.size) for ln in lines)
    cuts: list[float] = []
    if not spans:
        return cuts
    high = spans[0][1]
    for a, b in spans[1:]:
        if a - high >= _SECTION_GAP * body:
            cuts.append((a + high) / 2)
        high = max(high, b)
    return cuts


def _reading_order(page: _Page, body: float) -> list[_Line]:
    """Columns left to right, each top to bottom, in sections cut by lines spanning columns and by
    empty bands across the page; lines side by side on one baseline (table cells) become one."""
    starts = page.column_starts = _column_starts(page.lines, body)
    for line in page.lines:
        line.column = _column_of(line.x0, starts, body)
        nxt = starts[line.column + 1] if line.column + 1 < len(starts) else None
        line.spanning = nxt is not None and line.x1_min > nxt + 0.5 * line.size
    cuts: list[tuple[float, _Line | None]] = [(ln.y, ln) for ln in page.lines if ln.spanning]
    if len(starts) > 1:
        cuts += [(y, None) for y in _gap_cuts(page.lines, body)]
    cuts.sort(key=lambda cut: (-cut[0], cut[1].x0 if cut[1] else 0.0))
    rest = [ln for ln in page.lines if not ln.spanning]
    order: list[_Line] = []
    for y, cut in [*cuts, (-math.inf, None)]:
        above = [ln for ln in rest if ln.y > y]
        rest = [ln for ln in rest if ln.y <= y]
        order.extend(sorted(above, key=lambda ln: (ln.column, -ln.y, ln.x0)))
        if cut is not None:
            order.append(cut)
    return _rows(order)


def _rows(order: list[_Line]) -> list[_Line]:
    """Lines of one column on one baseline, too far apart to be one line: cells of a table row."""
    out: list[_Line] = []
    for line in order:
        last = out[-1] if out else None
        if (
            last is not None and last.column == line.column and last.spanning == line.spanning
            and abs(last.y - line.y) <= 0.3 * max(last.size, line.size) and line.x0 >= last.x0
        ):
            if line.x0 - last.x1 > 0.8 * line.size:
                last.cells += 1  # a wide gap: the next cell (a close piece is the same line)
            last.text = f"{last.text} {line.text}"
            last.x1, last.x1_min = max(last.x1, line.x1), max(last.x1_min, line.x1_min)
            continue
        out.append(line)
    for k, line in enumerate(out):  # one line of cells is not a table: two rows are
        if line.cells > 1:
            near = [out[j] for j in (k - 1, k + 1) if 0 <= j < len(out)]
            if not any(n.cells > 1 and n.column == line.column and n.page == line.page for n in near):
                line.cells = 1
    return out


# --- paragraphs and roles ------------------------------------------------------------------------


def _join_line(text: str, line: str, marked_hyphens: bool = False) -> str:
    """Join the next line of a paragraph: a hyphen added at the break goes, a real one stays."""
    if not text:
        return line
    if text.endswith(_SOFT_HYPHENS) and text[-2:-1].isalpha():
        return text[:-1] + line
    if marked_hyphens and text.endswith("-") and text[-2:-1].isalpha() and line[:1].isalpha():
        return text + line  # "well-" + "known"
    return join_broken(text, line)


def _size_role(size: float, body: float) -> str | None:
    if size >= _TITLE_RATIO * body:
        return "title"
    if size >= _HEADING_RATIO * body:
        return "heading"
    return None


def _pitch(lines: list[_Line]) -> float:
    """The usual distance between baselines of consecutive lines in one column."""
    steps = [
        a.y - b.y
        for a, b in zip(lines, lines[1:], strict=False)
        if a.page == b.page and a.column == b.column and not a.spanning and not b.spanning
        and abs(a.size - b.size) < 0.1 * a.size and 0 < a.y - b.y < 3 * a.size
    ]
    return statistics.median(steps) if steps else 0.0


def _image_between(images: list[_Box], upper: _Line, lower: _Line) -> bool:
    for box in images:
        if box.y1 <= upper.y + 0.2 * upper.size and box.y0 >= lower.y and (
            box.x0 < max(upper.x1, lower.x1) and box.x1 > min(upper.x0, lower.x0)
        ):
            return True
    return False


def _paragraphs(order: list[_Line], pages: list[_Page], body: float) -> list[_Para]:
    """Consecutive lines in reading order grouped into paragraphs."""
    pitch = _pitch(order) or 1.4 * body
    right: dict[tuple[int, int], float] = {}
    for line in order:
        if not line.spanning:
            key = (line.page, line.column)
            right[key] = max(right.get(key, line.x1), line.x1)
    paras: list[_Para] = []
    prev: _Line | None = None
    for line in order:
        page = pages[line.page]
        role = "fixed" if line.cells > 1 else _size_role(line.size, body)
        if prev is not None and not _breaks(prev, line, role, paras[-1], page, pitch, right):
            paras[-1].lines.append(line)
        else:
            moved = prev is not None and (prev.page != line.page or prev.column != line.column
                                          or prev.spanning != line.spanning)
            start = page.column_starts[line.column] if page.column_starts else line.x0
            para = _Para([line], role)
            # at the top of a column or page, not indented: maybe the rest of a broken paragraph
            para.continues = moved and line.x0 <= start + 0.7 * line.size
            paras.append(para)
        prev = line
    return paras


def _mark_continuations(paras: list[_Para]) -> None:
    """A paragraph opening a column or page continues the body paragraph before it (captions in
    between are moved out by the cleaner) when that one stops mid-sentence in the same type."""
    last: _Para | None = None
    for para in paras:
        if para.continues:
            para.continues = (
                para.role is None and last is not None and last.role is None
                and abs(last.size - para.size) < 0.12 * para.size and not ends_sentence(last.text)
            )
        if para.role != "caption":
            last = para


def _breaks(prev: _Line, line: _Line, role: str | None, para: _Para, page: _Page, pitch: float,
            right: dict[tuple[int, int], float]) -> bool:
    """Whether `line` starts a new paragraph after `prev`."""
    if prev.page != line.page or prev.column != line.column or prev.spanning != line.spanning:
        return True
    if role != para.role or abs(prev.size - line.size) > 0.12 * prev.size:
        return True
    step = prev.y - line.y
    if role == "fixed":
        return not 0 < step < 3 * max(pitch, line.size)  # the next row of the same table
    if step <= 0 or step > _PARAGRAPH_GAP * max(pitch, 1.1 * line.size):
        return True
    if _image_between(page.images, prev, line):
        return True
    start = page.column_starts[line.column] if page.column_starts and not line.spanning else None
    if start is not None and line.x0 > start + 0.7 * line.size >= prev.x0:
        return True  # a first-line indent (the line before it is not indented)
    if looks_like_caption(line.text) and ends_sentence(prev.text) and (
        len(para.lines) > _CAPTION_MAX_LINES or not looks_like_caption(para.text)
    ):
        return True  # `圖：…` after a finished sentence
    edge = right.get((line.page, line.column))
    short = edge is not None and prev.x1 < edge - 2 * prev.size
    return short and ends_sentence(prev.text)


def _near_image(para: _Para, page: _Page) -> tuple[bool, bool]:
    """Whether a paragraph sits right under, or right over, one of the page's images."""
    first, last = para.lines[0], para.lines[-1]
    under = over = False
    for box in page.images:
        overlaps = box.x0 < max(ln.x1 for ln in para.lines) and box.x1 > min(ln.x0 for ln in para.lines)
        if not overlaps:
            continue
        if box.y0 - 2.2 * first.size <= first.y <= box.y0:
            under = True
        if box.y1 <= last.y - 0.2 * last.size <= box.y1 + 1.8 * last.size:
            over = True
    return under, over


def _assign_roles(paras: list[_Para], pages: list[_Page], body: float) -> None:
    """Titles and heads by size (short ones only); captions by image, wording or a small font."""
    for para in paras:
        text = para.text
        units = text_units(text)
        if para.role == "fixed":
            continue
        if para.role is not None and (units < 2 or units > (60 if para.role == "title" else 40)):
            para.role = None  # a drop cap, or a lede set large: body text
        if para.role is not None:
            continue
        short = len(para.lines) <= _CAPTION_MAX_LINES and units <= _CAPTION_MAX_UNITS
        under, over = _near_image(para, pages[para.lines[0].page])
        small = para.size <= _SMALL_RATIO * body
        if looks_like_caption(text) or (short and (
            (under and (small or len(para.lines) == 1))
            or (over and small)
            or (small and not looks_like_byline(text))
        )):
            para.role = "caption"


def _body_size(pages: list[_Page]) -> float:
    """The font size most characters are set in."""
    weights: Counter[float] = Counter()
    for page in pages:
        for line in page.lines:
            weights[round(line.size * 2) / 2] += len(line.text)
    return weights.most_common(1)[0][0] if weights else 10.0


def _merge_titles(paras: list[_Para]) -> list[_Para]:
    """A headline set over several lines (or broken by the column logic) is one title."""
    out: list[_Para] = []
    for para in paras:
        if out and para.role == "title" and out[-1].role == "title" and (
            abs(out[-1].size - para.size) < 0.1 * para.size and out[-1].lines[-1].page == para.lines[0].page
        ):
            out[-1].lines.extend(para.lines)
        else:
            out.append(para)
    return out


def pdf_blocks(data: bytes, name: str) -> list[Block]:
    """A PDF file's text as blocks for `index.clean.parse_blocks`, in reading order.

    Raises InputError naming the file for a PDF that cannot be read, is encrypted, or has no text
    layer (a scan).
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(f"{name}: the PDF is encrypted (password protected)",
                             code="pdf_encrypted")
        raw_pages = list(reader.pages)
    except InputError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, NotImplementedError) as exc:
        raise InputError(f"{name}: cannot read the PDF ({exc})", code="pdf_unreadable") from exc
    except Exception as exc:  # a damaged file must never be a traceback
        log.debug("pypdf failed on %s", name, exc_info=True)
        raise InputError(f"{name}: cannot read the PDF ({type(exc).__name__}: {exc})",
                         code="pdf_unreadable") from exc
    pages: list[_Page] = []
    for number, page in enumerate(raw_pages):
        try:
            pages.append(_read_page(page, number))
        except Exception as exc:  # one bad page costs that page, not the file
            log.warning("%s: page %d cannot be read (%s); skipped", name, number + 1, exc)
            pages.append(_Page([], [], 0.0, 0.0))
    chars = "".join(line.text for page in pages for line in page.lines)
    if not chars.strip():
        raise InputError(f"{name}: no text layer (scanned image?); only PDFs with text can be read",
                         code="pdf_no_text")
    if len(_UNMAPPED.findall(chars)) > _MAX_UNMAPPED_SHARE * len(chars):
        raise InputError(f"{name}: the PDF's text layer cannot be read (its fonts map no characters)",
                         code="pdf_no_characters")
    for page in pages:
        for line in page.lines:
            line.text = " ".join(_UNMAPPED.sub("", line.text).split())
        page.lines = [line for line in page.lines if line.text]
    _drop_running_heads(pages)
    body = _body_size(pages)
    order = [line for page in pages for line in _reading_order(page, body)]
    paras = _merge_titles(_paragraphs(order, pages, body))
    marked = any(line.text.endswith(_SOFT_HYPHENS) for line in order)
    for para in paras:
        para.marked_hyphens = marked
    _assign_roles(paras, pages, body)
    _mark_continuations(paras)
    return [Block(p.text, p.role, p.continues) for p in paras if p.text]
