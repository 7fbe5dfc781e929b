"""Raw file bytes to text: UTF-8/UTF-16 by their marks, else GB18030 or Big5 by what reads best,
else the Western single-byte encodings (Windows-1252, Latin-1).

Short Chinese texts defeat statistical detectors, so the legacy encodings are decided by decoding
strictly with each candidate and scoring the result on how common its characters are;
charset-normalizer only breaks ties. A single-byte reading comes last and is taken only when the
Chinese readings fail or score badly and it reads like Western text (accented letters inside
words, typographic quotes and dashes, each high byte alone between ASCII characters). Binary and
undecodable files fail with a message that names the file.
"""

from __future__ import annotations

import codecs
import logging
import math
import unicodedata
from functools import lru_cache
from pathlib import Path

from .errors import DecodeError, InputError
from .text import quiet_pkg_resources, to_simplified

log = logging.getLogger(__name__)

#: Byte order marks, longest first (UTF-32 LE starts with the UTF-16 LE mark).
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: Legacy candidates: (codec, the name reported). cp950 and big5hkscs are Big5 supersets.
_LEGACY: tuple[tuple[str, str], ...] = (
    ("gb18030", "gb18030"),
    ("cp950", "big5"),
    ("big5hkscs", "big5"),
)
#: Control characters a text file may hold; anything else in the Cc category counts as binary.
_TEXT_CONTROLS = frozenset("\t\n\r\f\v\x1b")
_MAX_CONTROL_RATIO = 0.05
_NEWLINES = ("\r\n", "\r", "\u2028", "\u2029", "\x85")


#: Chinese punctuation that right decodings produce and wrong ones rarely do.
_CJK_PUNCT = frozenset("，。、；：？！「」『』“”‘’（）《》〈〉【】…—·　～")
#: Scores per character: a common character earns up to ~6, rare symbols -1, private use -5.
_PUNCT_SCORE = 5.0
_SYMBOL_SCORE = -1.0
_BROKEN_SCORE = -5.0
#: An accented Latin, Greek or Cyrillic letter in a UTF-8 reading (as plausible as a common Hanzi).
_LETTER_SCORE = 5.0
#: Only this much of a long text is scored (both candidates decode the same bytes).
_SCORE_CHARS = 20_000

#: Single-byte Western encodings, tried after the Chinese ones: (codec, the name reported).
#: Latin-1 decodes any byte; it is reported when no byte is in Windows-1252's 0x80-0x9F range.
_SINGLE_BYTE: tuple[tuple[str, str], ...] = (("cp1252", "cp1252"), ("latin-1", "latin-1"))
#: Punctuation and symbols Western text uses (typographic quotes, dashes, currency, degrees...).
_WESTERN_PUNCT = frozenset("“”‘’„‚–—…•·€£¥¢°©®™«»‹›§¶¿¡±×÷½¼¾²³¹ºª†‡‰\u00a0")
#: A Chinese reading averaging less than this per non-ASCII character reads badly (real Chinese
#: text averages 4-6: common characters and punctuation).
_CJK_WEAK_AVERAGE = 3.5
#: Per-character scores of a single-byte reading, on the scale of `_score`.
_ALONE_LETTER_SCORE = 5.0  # é in "café": one accented letter inside a Latin word
_WESTERN_PUNCT_SCORE = 3.0
_RUN_LETTER_SCORE = -3.0  # "µÄ", "ÿÿ": GBK or binary bytes read one by one


@lru_cache(maxsize=1)
def _char_frequencies() -> dict[str, int]:
    """Simplified-character frequencies summed from jieba's word list (already a dependency).

    A right decoding of real text reads as frequent characters; a wrong one scatters into rare
    characters, symbols and private-use code points, even in a text of two or three characters.
    """
    freq: dict[str, int] = {}
    try:
        with quiet_pkg_resources():
            import jieba

        path = Path(jieba.__file__).with_name("dict.txt")
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                parts = line.split(" ", 2)
                if len(parts) < 2 or not parts[1].strip().isdigit():
                    continue
                count = int(parts[1])
                for ch in parts[0]:
                    freq[ch] = freq.get(ch, 0) + count
    except (ImportError, OSError):  # pragma: no cover - scoring then falls back to symbols only
        log.warning("jieba's dictionary is unavailable; legacy encodings are guessed less well")
    return freq


def _score(text: str) -> float:
    """How plausible a decoding is: the sum of per-character scores (ASCII counts zero)."""
    text = text[:_SCORE_CHARS]
    simplified = to_simplified(text)
    if len(simplified) != len(text):
        simplified = "".join(to_simplified(ch) for ch in text)
    freq = _char_frequencies()
    score = 0.0
    for ch, simple in zip(text, simplified, strict=True):
        if ch.isascii():
            continue
        if ch in _CJK_PUNCT or 0xFF01 <= ord(ch) <= 0xFF5E:
            score += _PUNCT_SCORE
        elif unicodedata.category(ch) in ("Co", "Cn", "Cc", "Cs"):
            score += _BROKEN_SCORE
        elif simple in freq or ch in freq:
            score += math.log10(1 + max(freq.get(simple, 0), freq.get(ch, 0)))
        else:
            score += _SYMBOL_SCORE
    return score


def _utf8_ambiguous(text: str) -> bool:
    """Valid UTF-8 with only two-byte characters: a very short GBK/Big5 text can look like that."""
    return any(not ch.isascii() for ch in text) and all(ord(ch) < 0x800 for ch in text)


def _utf8_score(text: str) -> float:
    """Plausibility of a UTF-8 reading on the same scale as `_score`: accented letters count high."""
    score = 0.0
    prev = ""
    for ch in text[:_SCORE_CHARS]:
        if not ch.isascii():
            cat = unicodedata.category(ch)
            plausible = (cat.startswith("L") and cat != "Lm") or (cat == "Mn" and prev.isalpha())
            score += _LETTER_SCORE if plausible else _SYMBOL_SCORE
        prev = ch
    return score


def _normalize_newlines(text: str) -> str:
    for nl in _NEWLINES:
        text = text.replace(nl, "\n")
    return text


def _looks_binary(text: str) -> bool:
    """NUL bytes or many control characters: an image, archive, PDF stream or similar."""
    if "\x00" in text:
        return True
    controls = sum(1 for ch in text if ch not in _TEXT_CONTROLS and unicodedata.category(ch) == "Cc")
    return controls > 0 and controls / max(len(text), 1) > _MAX_CONTROL_RATIO


def _tie_break(data: bytes, names: list[str]) -> str | None:
    """charset-normalizer's pick among equally scored candidates (None when it has no opinion)."""
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data, cp_isolation=["gb18030", "big5", "cp950"]).best()
    except Exception:  # pragma: no cover - a detector failure must never fail decoding
        log.debug("charset-normalizer failed", exc_info=True)
        return None
    if best is None:
        return None
    guess = "big5" if best.encoding in ("big5", "cp950", "big5hkscs") else best.encoding
    return guess if guess in names else None


def _decode_legacy(data: bytes) -> tuple[str, str] | None:
    """The best strict GB18030 or Big5 decoding as (text, encoding name), or None if none decodes."""
    results: dict[str, str] = {}
    for codec, name in _LEGACY:
        if name in results:
            continue
        try:
            results[name] = data.decode(codec)
        except UnicodeDecodeError:
            continue
    if not results:
        return None
    scored = sorted(((_score(t), name) for name, t in results.items()), reverse=True)
    best_score, best_name = scored[0]
    tied = [name for s, name in scored if s == best_score]
    if len(tied) > 1:
        # Project is Traditional-first: Big5 wins a tie the detector cannot settle.
        best_name = _tie_break(data, tied) or ("big5" if "big5" in tied else tied[0])
    log.debug("legacy decoding scores %s -> %s", scored, best_name)
    return results[best_name], best_name


def _single_byte_score(text: str) -> float:
    """Plausibility of a Windows-1252/Latin-1 reading on the scale of `_score` (ASCII counts zero).

    Western text puts each accented letter inside an ASCII word and uses typographic
    punctuation; Chinese bytes read one by one come out as runs of odd letters and symbols.
    """
    score = 0.0
    text = text[:_SCORE_CHARS]
    for i, ch in enumerate(text):
        if ch.isascii():
            continue
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < len(text) else " "
        cat = unicodedata.category(ch)
        if cat == "Cc" or ch == "\ufffd":
            score += _BROKEN_SCORE
        elif ch in _WESTERN_PUNCT:
            fits = all(_plain(c) or c.isalpha() for c in (prev, nxt))
            score += _WESTERN_PUNCT_SCORE if fits else _SYMBOL_SCORE
        elif cat.startswith("L"):
            if not (_plain(prev) and _plain(nxt)):
                score += _RUN_LETTER_SCORE  # two odd letters in a row: not a Western word
            elif (prev.isascii() and prev.isalpha()) or (nxt.isascii() and nxt.isalpha()):
                score += _ALONE_LETTER_SCORE  # inside a word: "café", "Über"
            else:
                score += 1.0  # a word of its own: "à la"
        else:
            score += _SYMBOL_SCORE
    return score


def _plain(ch: str) -> bool:
    """ASCII or Western punctuation: what sits around an accented letter in Western text."""
    return ch.isascii() or ch in _WESTERN_PUNCT


def _decode_single_byte(data: bytes) -> tuple[str, str, float] | None:
    """The Windows-1252 (or Latin-1) reading as (text, encoding name, score) when it reads as
    Western text, else None."""
    for codec, name in _SINGLE_BYTE:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if codec == "cp1252" and not any(0x80 <= b <= 0x9F for b in data):
            name = "latin-1"  # nothing in the range where they differ: say the standard one
        score = _single_byte_score(text)
        log.debug("single-byte reading %s scores %.1f", name, score)
        return (text, name, score) if score > 0 else None
    return None  # pragma: no cover - latin-1 decodes any bytes


def _cjk_reads_badly(text: str, score: float) -> bool:
    """Whether a Chinese reading averages so low per non-ASCII character that it is likely wrong."""
    high = sum(1 for ch in text[:_SCORE_CHARS] if not ch.isascii())
    return high == 0 or score / high < _CJK_WEAK_AVERAGE


def _western_instead(data: bytes, legacy: tuple[str, str] | None) -> tuple[str, str] | None:
    """The single-byte reading when no Chinese one decodes, or the best one reads badly and
    scores below it; None keeps the Chinese reading (or the error when there is none)."""
    cjk_score = 0.0
    if legacy is not None:
        cjk_score = _score(legacy[0])
        if not _cjk_reads_badly(legacy[0], cjk_score):
            return None
    western = _decode_single_byte(data)
    if western is None or (legacy is not None and western[2] <= cjk_score):
        return None
    log.debug("single-byte %s (%.1f) beats %s (%.1f)", western[1], western[2],
              legacy[1] if legacy else "nothing", cjk_score)
    return western[0], western[1]


def decode_bytes(data: bytes, name: str) -> str:
    """Decode a file's bytes to text with `\\n` newlines and no BOM; raise a message naming the file.

    UTF-8 (with or without BOM) and UTF-16/32 with BOM are taken as marked; otherwise GB18030 and
    Big5 are both tried strictly and the one reading as more common Chinese wins. Windows-1252 and
    Latin-1 come after them, for a file no Chinese encoding reads well (an English article saved
    by Windows Notepad). Raises DecodeError for binary or undecodable data and InputError for
    empty content.
    """
    text: str | None = None
    encoding = ""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                raise DecodeError(f"{name}: cannot decode as {codec.upper()} ({exc.reason})",
                                  encodings=codec.upper()) from exc
            encoding = codec
            break
    if text is None:
        if b"\x00" in data:
            raise DecodeError(f"{name}: not a text file (binary data)", code="not_text")
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            legacy = _decode_legacy(data)
            western = _western_instead(data, legacy)
            if western is not None:
                text, encoding = western
            elif legacy is not None:
                text, encoding = legacy
            else:
                # Only C0 controls count: 0x80-0x9F are ordinary lead and trail bytes here.
                if _looks_binary(bytes(b for b in data if b < 0x80).decode("ascii")):
                    raise DecodeError(f"{name}: not a text file (binary data)", code="not_text") from None
                raise DecodeError(f"{name}: cannot decode as UTF-8, GB18030 or Big5",
                                  encodings="UTF-8, GB18030, Big5") from None
        else:
            if _utf8_ambiguous(text):  # e.g. "時" in GBK is also valid UTF-8 ("ʱ")
                legacy = _decode_legacy(data)
                if legacy is not None and _score(legacy[0]) > _utf8_score(text):
                    text, encoding = legacy
    if _looks_binary(text):
        raise DecodeError(f"{name}: not a text file (binary data)", code="not_text")
    text = _normalize_newlines(text).lstrip("\ufeff")
    if not text.strip():
        raise InputError(f"{name}: file is empty", code="file_empty")
    log.debug("%s decoded as %s", name, encoding)
    return text
