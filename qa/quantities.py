"""Numbers with units in answer text (`26億元`, `3.5亿元`, `15.7畝`, `18.49%`, `3800萬元`, `$2 million`),
parsed into comparable values, so a comparison is stated from the cited figures."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.text import aligned_key

#: Chinese and English magnitude words, as multipliers.
MAGNITUDES = {"万亿": 1e12, "亿": 1e8, "千万": 1e7, "百万": 1e6, "万": 1e4, "千": 1e3, "百": 1e2,
              "trillion": 1e12, "billion": 1e9, "million": 1e6, "thousand": 1e3}
_MAGNITUDE = "|".join(sorted(MAGNITUDES, key=len, reverse=True))
_NUMBER = re.compile(
    rf"(?P<num>\d+(?:,\d{{3}})*(?:\.\d+)?)\s*(?P<mag>{_MAGNITUDE})?\s*"
    r"(?P<unit>%|％|元|美元|港元|欧元|亩|平方米|平方公里|公里|米|户|家|个|人|名|项|次|倍|年|月|日|天|"
    r"yuan|dollars?|usd|rmb|mu|hectares?|km|square metres?|people|companies|firms|percent)?",
    re.IGNORECASE)


@dataclass(frozen=True)
class Quantity:
    """A parsed figure: its value in base units, its unit (normalised), and how the source wrote
    it (`text`, and the magnitude word and unit as written, e.g. `億` and `元`)."""

    value: float
    unit: str
    text: str
    magnitude: str = ""
    unit_text: str = ""

    def format_like(self, value: float) -> str:
        """`value` (in base units) written with this quantity's magnitude word and unit."""
        scale = MAGNITUDES.get(aligned_key(self.magnitude), 1.0) if self.magnitude else 1.0
        number = f"{value / scale:.4f}".rstrip("0").rstrip(".")
        sep = " " if self.magnitude.isascii() and self.magnitude else ""
        return f"{number}{sep}{self.magnitude}{self.unit_text}"


def _unit_key(unit: str) -> str:
    return {"％": "%", "percent": "%", "yuan": "元", "rmb": "元", "mu": "亩", "dollar": "美元",
            "dollars": "美元", "usd": "美元"}.get(unit, unit)


def parse_quantity(text: str) -> Quantity | None:
    """The first number (with magnitude and unit) in a text, or None when it holds none."""
    text = text or ""
    key = aligned_key(text)  # Simplified, lower case, same length: spans point into `text`
    m = _NUMBER.search(key)
    if m is None:
        return None
    value = float(m.group("num").replace(",", ""))
    magnitude = m.group("mag") or ""
    value *= MAGNITUDES.get(magnitude, 1.0) if magnitude else 1.0
    return Quantity(value, _unit_key(m.group("unit") or ""), text[m.start():m.end()],
                    text[m.start("mag"):m.end("mag")] if magnitude else "",
                    text[m.start("unit"):m.end("unit")] if m.group("unit") else "")


def comparable(a: Quantity, b: Quantity) -> bool:
    """Whether two figures measure the same thing (same unit, or neither has one)."""
    return a.unit == b.unit
