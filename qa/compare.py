"""Comparisons and multi-part questions: each part answered by the reader with its own citation,
then, for a comparison, the comparison stated from the cited figures (`qa.quantities`).

The short answer of a comparison is the winning part's label as the user wrote it (`閻家山TOD`);
a multi-part question (`分別`, `respectively`, two questions in one) lists the parts and has none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from .answer import ABSTAIN_TEXT, Decision
from .followup import Turn, resolve_followup
from .kinds import Analysis
from .quantities import Quantity, comparable, parse_quantity
from .records import Citation

#: A part the articles do not answer, per script.
PART_MISSING = {"hant": "文章中沒有提到", "hans": "文章中没有提到", "en": "the articles do not say"}
#: The comparison statements: `{winner}`/`{other}` are labels, `{wv}`/`{ov}` their figures.
STATEMENT = {
    "max": {"hant": "{winner}更高：{wv}，{other}為{ov}，相差{diff}。",
            "hans": "{winner}更高：{wv}，{other}为{ov}，相差{diff}。",
            "en": "Higher: {winner}, {wv} against {ov} for {other} (a difference of {diff})."},
    "min": {"hant": "{winner}更低：{wv}，{other}為{ov}，相差{diff}。",
            "hans": "{winner}更低：{wv}，{other}为{ov}，相差{diff}。",
            "en": "Lower: {winner}, {wv} against {ov} for {other} (a difference of {diff})."},
    "diff": {"hant": "{first}比{second}{word}{diff}（{fv}對{sv}）。",
             "hans": "{first}比{second}{word}{diff}（{fv}对{sv}）。",
             "en": "{first} is {word} than {second} by {diff} ({fv} against {sv})."},
}
MORE_LESS = {"hant": ("高", "低"), "hans": ("高", "低"), "en": ("higher", "lower")}
NOT_COMPARABLE = {
    "hant": "這幾個數字的單位不同，無法直接比較。",
    "hans": "这几个数字的单位不同，无法直接比较。",
    "en": "These figures are in different units, so they cannot be compared directly.",
}
SEP = {"hant": "：", "hans": "：", "en": ": "}
#: A difference of two percentages is in percentage points.
POINTS = {"hant": "{n}個百分點", "hans": "{n}个百分点", "en": "{n} percentage points"}


def difference(a: Quantity, b: Quantity, script: str) -> str:
    """|a - b| in a's units (`22.5億元`), or in percentage points for two percentages."""
    if a.unit == "%":
        number = f"{abs(a.value - b.value):.4f}".rstrip("0").rstrip(".")
        return POINTS[script].format(n=number)
    return a.format_like(abs(a.value - b.value))


def part_questions(analysis: Analysis) -> list[str]:
    """Each part as a standalone question: a later part of two questions in one (`…總投資多少？`)
    is resolved against the earlier ones as a follow-up."""
    questions: list[str] = []
    for part in analysis.parts:
        if questions and analysis.chained:
            part = resolve_followup(part, [Turn(q) for q in questions]).query
        questions.append(part)
    return questions


def statement(analysis: Analysis, figures: list[tuple[str, Quantity]]) -> tuple[str, str | None]:
    """The comparison sentence and the winner's label, from parts' labels and parsed figures."""
    script = analysis.script
    (la, qa_), (lb, qb) = figures[0], figures[1]
    if not comparable(qa_, qb):
        return NOT_COMPARABLE[script], None
    if analysis.relation == "diff":
        more, less = MORE_LESS[script]
        word = more if qa_.value >= qb.value else less
        diff = difference(qa_, qb, script)
        text = STATEMENT["diff"][script].format(first=la, second=lb, word=word, diff=diff,
                                                fv=qa_.text, sv=qb.text)
        return text, la if qa_.value >= qb.value else lb
    pick = max if analysis.relation == "max" else min
    (lw, qw) = pick(figures, key=lambda f: f[1].value)
    others = [f for f in figures if f[0] != lw]
    lo, qo = others[0] if others else figures[1]
    diff = difference(qw, qo, script)
    return (STATEMENT[analysis.relation][script].format(winner=lw, wv=qw.text, other=lo, ov=qo.text,
                                                        diff=diff), lw)


def compare(analysis: Analysis, answer_part: Callable[[str], Decision]) -> Decision:
    """Answer every part with its own citation, then state the comparison (when one is asked)."""
    script = analysis.script
    lines: list[str] = []
    citations: list[Citation] = []
    figures: list[tuple[str, Quantity]] = []
    confidence = float("inf")
    for label, question in zip(analysis.labels, part_questions(analysis), strict=True):
        decision = answer_part(question)
        confidence = min(confidence, decision.confidence)
        if decision.abstained or not decision.citations:
            lines.append(f"{label}{SEP[script]}{PART_MISSING[script]}")
            continue
        numbers = []
        for c in decision.citations:  # a sentence two parts rest on is cited once
            known = next((k.n for k in citations if k.sentence_id == c.sentence_id), None)
            if known is None:
                known = len(citations) + 1
                citations.append(replace(c, n=known))
            numbers.append(known)
        markers = "".join(f" [{n}]" for n in sorted(set(numbers)))
        lines.append(f"{label}{SEP[script]}{decision.short_answer}{markers}")
        quantity = parse_quantity(decision.short_answer or "")
        if quantity is not None:
            figures.append((label, quantity))
    if not citations:
        return Decision(ABSTAIN_TEXT[script], None, True, (), confidence)
    short = None
    if analysis.relation and len(figures) >= 2 and len(figures) == len(analysis.labels):
        text, short = statement(analysis, figures)
        lines.append(text)
    return Decision("\n".join(lines), short, False, tuple(citations), confidence)
