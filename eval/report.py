"""Turn an EvalResult into files people read: report.md, results.jsonl, metrics.json, PNG charts.

Also renders the plain-text summary table the CLI prints. Charts use matplotlib's Agg canvas
directly (no pyplot, no display), so a report can be written on a headless machine.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .run import CUTOFF, HIT_KS, LEVELS, RECALL_KS, STAGES, EvalResult

log = logging.getLogger(__name__)

RETRIEVAL_KEYS = ([f"hit@{k}" for k in HIT_KS] + [f"recall@{k}" for k in RECALL_KS]
                  + [f"mrr@{CUTOFF}", f"ndcg@{CUTOFF}"])
WORST = 20
FILES = ("report.md", "results.jsonl", "metrics.json", "recall_at_k.png", "latency.png")


def fmt(value: Any, digits: int = 3) -> str:
    """A score for a table: fixed decimals, `-` when undefined."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def _ms(value: Any) -> str:
    """Milliseconds: one decimal below 10 ms, whole numbers above."""
    if value is None:
        return "-"
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


# ---------------------------------------------------------------------------------------------
# Tables (shared by the markdown report and the printed summary)
# ---------------------------------------------------------------------------------------------


def retrieval_rows(metrics: dict[str, Any], level: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of one level's retrieval table: metrics down, configs across."""
    configs = [c["name"] for c in metrics["configs"]]
    rows = []
    for key in RETRIEVAL_KEYS:
        rows.append([key] + [fmt(metrics["retrieval"][c][level][key]) for c in configs])
    rows.append(["search p50 ms"] + [_ms(metrics["retrieval"][c][level]["latency_ms"]["p50"])
                                      for c in configs])
    rows.append(["scored questions"] + [str(metrics["retrieval"][c][level]["n"]) for c in configs])
    return [f"{level} retrieval"] + configs, rows


def comparison_rows(metrics: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """One row per config with the headline retrieval figures of both levels."""
    header = ["config", "settings", "P hit@1", "P R@5", "P R@20", "P MRR@10", "P nDCG@10",
              "S hit@1", "S R@5", "S MRR@10", "search p50 ms"]
    rows = []
    for config in metrics["configs"]:
        p = metrics["retrieval"][config["name"]]["passage"]
        s = metrics["retrieval"][config["name"]]["sentence"]
        changes = ", ".join(f"{k}={v}" for k, v in config["changes"].items()) or "(defaults)"
        rows.append([config["name"], changes, fmt(p["hit@1"]), fmt(p["recall@5"]),
                     fmt(p["recall@20"]), fmt(p[f"mrr@{CUTOFF}"]), fmt(p[f"ndcg@{CUTOFF}"]),
                     fmt(s["hit@1"]), fmt(s["recall@5"]), fmt(s[f"mrr@{CUTOFF}"]),
                     _ms(p["latency_ms"]["p50"])])
    return header, rows


def answer_rows(metrics: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Answer quality of the primary config: over all questions and over answerable ones."""
    a = metrics["answer"]
    ok = a["answerable"]
    rows = [
        ["exact match (short answer)", fmt(a["exact_match"]), fmt(ok["exact_match"])],
        ["F1 (short answer)", fmt(a["char_f1"]), fmt(ok["char_f1"])],
        ["contains gold (full answer)", fmt(a["contains_answer"]), fmt(ok["contains_answer"])],
        ["top cited sentence holds gold", "-", fmt(a["top_citation_contains_answer"])],
        ["F1 of the whole top cited sentence", "-", fmt(a["top_citation_f1"])],
    ]
    return ["answers", f"all ({a['n']})", f"answerable ({ok['n']})"], rows


def other_rows(metrics: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Citation and abstention figures of the primary config."""
    c, ab = metrics["citations"], metrics["abstention"]
    rows = [
        ["citation precision (answered)", fmt(c["precision"])],
        ["citation recall", fmt(c["recall"])],
        ["citations per answer", fmt(c["mean_count"], 2)],
        ["abstention rate", fmt(ab["rate"])],
        ["abstention precision", fmt(ab["precision"])],
        ["abstention recall", fmt(ab["recall"])],
        ["false abstention rate", fmt(ab["false_abstention_rate"])],
    ]
    return ["citations and abstention", "value"], rows


def latency_rows(metrics: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Per-stage ask latency of the primary config, in ms."""
    rows = []
    for stage in (*STAGES, "wall"):
        s = metrics["latency_ms"][stage]
        rows.append([stage, _ms(s["p50"]), _ms(s["p95"]), _ms(s["max"]), _ms(s["mean"])])
    return ["ask latency (ms)", "p50", "p95", "max", "mean"], rows


def tag_rows(metrics: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The per-tag breakdown (tags with at least 3 questions)."""
    rows = [[tag, str(t["n"]), fmt(t["recall@5"]), fmt(t["contains_answer"]), fmt(t["char_f1"]),
             fmt(t["abstention_rate"])] for tag, t in metrics["tags"].items()]
    return ["tag", "n", "R@5", "contains", "F1", "abstained"], rows


def kind_rows(metrics: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """One row per kind of request: n, how often recognised, then that kind's own scores."""
    from .kinds import KIND_SCORES

    rows = []
    for kind, entry in metrics.get("kinds", {}).items():
        scores = "  ".join(f"{name} {fmt(entry.get(name), 2 if name == 'cited_count' else 3)}"
                           for name in KIND_SCORES[kind])
        rows.append([kind, str(entry["n"]), fmt(entry["recognised"]), scores])
    return ["kind", "n", "recognised", "scores"], rows


def plain_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to width, first left-aligned, the rest right-aligned."""
    table = [list(header), *[list(r) for r in rows]]
    widths = [max(_width(row[i]) for row in table) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [_pad(cell, widths[i], left=i == 0) for i, cell in enumerate(row)]
        return "  ".join(cells).rstrip()

    return "\n".join([line(table[0]), "  ".join("-" * w for w in widths)]
                     + [line(r) for r in table[1:]])


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if "\u2e80" <= ch <= "\uffdc" else 1 for ch in text)


def _pad(text: str, width: int, left: bool) -> str:
    space = " " * (width - _width(text))
    return text + space if left else space + text


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """A GitHub-flavoured markdown table; the first `left` columns are text, the rest numbers."""
    lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |",
             "|" + "|".join(["---"] * left + ["---:"] * (len(header) - left)) + "|"]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def summary_text(metrics: dict[str, Any], report_dir: Path | None = None) -> str:
    """The summary the CLI prints: configs side by side for retrieval, then the primary's answers."""
    counts = metrics["counts"]
    parts = [
        f"{metrics['gold']}: {counts['questions']} questions ({counts['answerable']} answerable, "
        f"{counts['unanswerable']} unanswerable) over {counts['articles']} articles / "
        f"{counts['passages']} passages; {metrics['seconds']:.0f}s",
    ]
    for level in LEVELS:
        parts.append(plain_table(*retrieval_rows(metrics, level)))
    primary = metrics["primary"]
    a, c, ab = metrics["answer"], metrics["citations"], metrics["abstention"]
    lat = metrics["latency_ms"]
    parts.append("\n".join([
        f"answers ({primary}): EM {fmt(a['exact_match'])}  F1 {fmt(a['char_f1'])}  "
        f"contains {fmt(a['contains_answer'])}  | answerable: EM {fmt(a['answerable']['exact_match'])}"
        f"  F1 {fmt(a['answerable']['char_f1'])}  contains {fmt(a['answerable']['contains_answer'])}",
        f"top cited sentence: holds gold {fmt(a['top_citation_contains_answer'])}  "
        f"F1 as answer {fmt(a['top_citation_f1'])}",
        f"citations: precision {fmt(c['precision'])}  recall {fmt(c['recall'])}  "
        f"per answer {fmt(c['mean_count'], 2)}",
        f"abstention: rate {fmt(ab['rate'])}  precision {fmt(ab['precision'])}  "
        f"recall {fmt(ab['recall'])}  false-abstention {fmt(ab['false_abstention_rate'])}",
        "latency ms (p50/p95): " + "  ".join(
            f"{stage} {_ms(lat[stage]['p50'])}/{_ms(lat[stage]['p95'])}" for stage in (*STAGES, "wall")),
    ]))
    if metrics.get("kinds"):
        parts.append("by kind of request:\n" + plain_table(*kind_rows(metrics)))
    if report_dir is not None:
        parts.append(f"report: {report_dir}")
    return "\n\n".join(parts)


# ---------------------------------------------------------------------------------------------
# Failures
# ---------------------------------------------------------------------------------------------


def worst_failures(records: Sequence[dict[str, Any]], primary: str,
                   n: int = WORST) -> list[dict[str, Any]]:
    """The primary config's worst answers: lowest F1, then missing the gold, then worst rank."""
    failed = [r for r in records if r["answer"]["exact_match"] < 1.0]

    def key(record: dict[str, Any]) -> tuple[float, bool, int]:
        rank = record["retrieval"][primary]["passage"]["first_relevant_rank"]
        return (record["answer"]["char_f1"], bool(record["answer"]["contains_answer"]),
                -(rank if rank is not None else 10**6))

    return sorted(failed, key=key)[:n]


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def failure_markdown(record: dict[str, Any], number: int, primary: str) -> str:
    """One failure as a short markdown section."""
    a = record["answer"]
    rank = record["retrieval"][primary]["passage"]["first_relevant_rank"]
    where = ("unanswerable" if not record["answerable"]
             else f"first relevant passage at rank {rank}" if rank is not None
             else "no relevant passage in the top 20")
    lines = [f"### {number}. `{record['id']}` (F1 {fmt(a['char_f1'])}, {where})", "",
             f"- question: {_clip(record['question'])}"]
    if record["query"] != record["question"]:
        lines.append(f"- resolved as: {_clip(record['query'])}")
    lines.append(f"- gold: {' / '.join(record['answers']) or '(unanswerable)'}")
    lines.append(f"- prediction: {'(abstained)' if a['abstained'] else _clip(a['prediction'])}")
    for citation in a["citations"]:
        lines.append(f"- [{citation['n']}] {_clip(citation['text'])} ({citation['title']})")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Charts
# ---------------------------------------------------------------------------------------------


def _figure(width: float = 7.5, height: float = 4.5) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(figure)
    return figure


def plot_recall(metrics: dict[str, Any], path: Path, benchmark: bool) -> None:
    """Passage-level mean recall@k, k = 1..20, one line per compared config."""
    figure = _figure()
    axes = figure.add_subplot()
    plotted = False
    for config in metrics["configs"]:
        curve = metrics["retrieval"][config["name"]]["passage"]["recall_curve"]
        if curve:
            ks = list(range(1, len(curve) + 1))
            label = config["name"] + (" (primary)" if config["name"] == metrics["primary"] else "")
            axes.plot(ks, [v if v is not None else math.nan for v in curve], marker="o",
                      markersize=3, linewidth=1.5, label=label)
            plotted = True
    unit = "paragraphs" if benchmark else "passages"
    axes.set_xlabel(f"k (top retrieved {unit})")
    axes.set_ylabel("mean recall@k")
    axes.set_title(f"Passage-level recall@k: {metrics['gold']} "
                   f"({metrics['retrieval'][metrics['primary']]['passage']['n']} questions)")
    axes.set_xlim(0.5, 20.5)
    axes.set_xticks([1, 2, 3, 5, 10, 15, 20])
    axes.grid(alpha=0.3)
    if plotted:
        axes.legend(loc="best")
    else:
        axes.text(0.5, 0.5, "no answerable questions to score", ha="center",
                  transform=axes.transAxes)
    figure.tight_layout()
    figure.savefig(path)


def plot_latency(values_ms: Sequence[float], metrics: dict[str, Any], path: Path) -> None:
    """Histogram of total ask latency with its p50 and p95 marked."""
    figure = _figure()
    axes = figure.add_subplot()
    summary = metrics["latency_ms"]["total"]
    if values_ms:
        bins = max(5, min(40, len(values_ms) // 4))
        axes.hist(values_ms, bins=bins, color="#4c72b0", alpha=0.85, label="questions")
        for name, value, color in (("p50", summary["p50"], "#dd8452"),
                                   ("p95", summary["p95"], "#c44e52")):
            axes.axvline(value, color=color, linestyle="--", linewidth=1.5,
                         label=f"{name} {value:.0f} ms")
        axes.legend(loc="upper right")
    axes.set_xlabel("total ask latency (ms)")
    axes.set_ylabel("questions")
    axes.set_title(f"Ask latency: {metrics['gold']}, {metrics['primary']} "
                   f"({len(values_ms)} questions)")
    axes.grid(alpha=0.3, axis="y")
    figure.tight_layout()
    figure.savefig(path)


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


def report_markdown(result: EvalResult, command: str) -> str:
    """The report.md text."""
    m = result.metrics
    counts = m["counts"]
    primary = m["primary"]
    benchmark = "documents" in counts
    corpus_line = (f"{counts['articles']} articles, {counts['passages']} passages, "
                   f"{counts['sentences']} sentences")
    relevance = (
        "A passage is relevant when its article is the question's gold paragraph; rankings are "
        "deduplicated by paragraph (a paragraph ranks at its first passage). A sentence is relevant "
        "when it belongs to the gold paragraph and overlaps the gold evidence sentence."
        if benchmark else
        "A passage (or sentence) is relevant when its text overlaps a gold evidence string "
        "(`texts_overlap`); recall@k is the share of evidence strings the top k cover."
    )
    parts = [
        f"# Evaluation: {m['gold']}",
        "",
        f"- command: `{command}`",
        f"- started: {m['started']}, took {m['seconds']:.0f} s",
        f"- corpus: {m['corpus']}; {corpus_line}",
        f"- questions: {counts['questions']} of {counts['questions_in_gold']} in the gold set "
        f"({counts['answerable']} answerable, {counts['unanswerable']} unanswerable, "
        f"{counts['conversations']} conversations, {counts['follow_ups']} follow-ups)",
        f"- primary config (answers): `{primary}`; compared: "
        + ", ".join(f"`{c['name']}`" for c in m["configs"]),
    ]
    if counts["evidence_not_found"]:
        parts.append(f"- **{counts['evidence_not_found']} answerable question(s) have evidence "
                     "that no passage of the corpus overlaps**; retrieval metrics skip them")
    parts += ["", "## Comparison", "", markdown_table(*comparison_rows(m), left=2), "",
              "P = passage level, S = sentence level. " + relevance,
              "Retrieval uses the question as the follow-up resolver rewrote it (the same query "
              "for every config). Unanswerable questions are not scored for retrieval. Search "
              "latency excludes embedding the question: its vector is reused from `ask` (see "
              "the `embed` stage below), so it is the config-dependent scoring and ranking time.",
              ""]
    for level in LEVELS:
        parts += [f"## Retrieval, {level} level", "", markdown_table(*retrieval_rows(m, level)), ""]
    parts += ["![recall@k](recall_at_k.png)", "",
              f"## Answers (`{primary}`)", "", markdown_table(*answer_rows(m)), "",
              "Exact match and F1 score the short answer (the answer text when there is none; "
              "empty when abstaining). An unanswerable question scores 1 only when abstained on.",
              "", markdown_table(*other_rows(m)), "",
              "## Latency", "", markdown_table(*latency_rows(m)), "",
              "`wall` is the evaluator's own clock around `ask`.", "",
              "![latency](latency.png)", ""]
    if m.get("kinds"):
        parts += ["## By kind of request", "", markdown_table(*kind_rows(m)), "",
                  "`recognised`: the answer took the gold kind. Descriptive: `evidence_cited` = a "
                  "cited sentence holds the gold evidence; summary: `all_from_named` = every "
                  "citation from the article(s) holding the gold key sentences, `key_precision` / "
                  "`key_recall` against those key sentences, `article_coverage` = share of the "
                  "named articles cited; comparison: `parts_cited` = every part's figure in a "
                  "cited sentence, `comparison_right` = that and the right winner; small talk: "
                  "`reply_language` = the reply's first line in the question's script.", ""]
    if m["tags"]:
        parts += [f"## By tag (`{primary}`, tags with at least 3 questions)", "",
                  markdown_table(*tag_rows(m)), ""]
    failures = worst_failures(result.records, primary)
    parts += [f"## The {len(failures)} worst answers", ""]
    for number, record in enumerate(failures, start=1):
        parts += [failure_markdown(record, number, primary), ""]
    if not failures:
        parts += ["Every answer matched a gold answer exactly.", ""]
    return "\n".join(parts)


def rounded(value: Any, digits: int = 6) -> Any:
    """A JSON value with every float rounded (keeps results.jsonl readable and small)."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v, digits) for v in value]
    return value


def write_report(result: EvalResult, directory: Path, command: str) -> dict[str, Path]:
    """Write report.md, results.jsonl, metrics.json and the two charts into `directory`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {name: directory / name for name in FILES}
    metrics = {**result.metrics, "command": command}
    with paths["results.jsonl"].open("w", encoding="utf-8") as handle:
        for record in result.records:
            handle.write(json.dumps(rounded(record), ensure_ascii=False) + "\n")
    paths["metrics.json"].write_text(json.dumps(rounded(metrics), ensure_ascii=False, indent=2) + "\n",
                                     encoding="utf-8")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        log.warning("matplotlib is not installed: the PNG charts are skipped")
        del paths["recall_at_k.png"], paths["latency.png"]
    else:
        plot_recall(result.metrics, paths["recall_at_k.png"], "documents" in result.counts)
        totals = [r["answer"]["timings_ms"]["total"] for r in result.records
                  if r["answer"]["timings_ms"].get("total") is not None]
        plot_latency(totals, result.metrics, paths["latency.png"])
    paths["report.md"].write_text(report_markdown(result, command), encoding="utf-8")
    log.info("report written to %s", directory)
    return paths
