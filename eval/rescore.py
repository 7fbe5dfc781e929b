"""Score a saved `articleqa eval` report again with this version's metrics, without a model run.

Why: when a metric is fixed, earlier runs must be compared on the same footing; asking every
question again would take most of an hour on a large benchmark and would not change a single
answer (answers are deterministic and saved whole in results.jsonl). The answer scores and the
factoid kind score are recomputed from the saved answers; retrieval, latency and the other kinds'
scores (which need the corpus) are kept as saved.

Usage: python -m eval.rescore REPORT_DIR [REPORT_DIR ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from index.errors import ArticleQAError, InputError

from .gold import KNOWN_FIELDS, GoldItem, parse_item
from .kinds import kind_scores
from .report import write_report
from .run import EvalConfig, EvalResult, aggregate, answer_scores


def _item(record: dict[str, Any], where: str) -> GoldItem:
    """The gold question a saved record was asked from (its gold fields, checked as a gold line)."""
    return parse_item({k: v for k, v in record.items() if k in KNOWN_FIELDS}, where)


def rescore_record(record: dict[str, Any], where: str = "results.jsonl") -> dict[str, Any]:
    """One saved record with its answer scores (and a factoid's kind score) computed again."""
    saved = record["answer"]
    answer = SimpleNamespace(abstained=saved["abstained"], short_answer=saved["short_answer"],
                             answer=saved["answer"],
                             citations=[SimpleNamespace(text=c["text"]) for c in saved["citations"]])
    item = _item(record, where)
    rescored = {**record, "answer": {**saved, **answer_scores(item, answer)}}  # type: ignore[arg-type]
    if item.kind == "factoid":
        rescored["kind_scores"] = kind_scores(item, saved, {})
    return rescored


def rescore_report(directory: Path) -> EvalResult:
    """The run saved in `directory` (results.jsonl, metrics.json), scored again; files rewritten."""
    directory = Path(directory)
    try:
        metrics = json.loads((directory / "metrics.json").read_text(encoding="utf-8"))
        lines = (directory / "results.jsonl").read_text(encoding="utf-8").splitlines()
        records = [rescore_record(json.loads(line), f"{directory / 'results.jsonl'}:{n}")
                   for n, line in enumerate(lines, start=1) if line.strip()]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{directory} is not a readable articleqa eval report "
                         f"({exc.__class__.__name__}: {exc})") from exc
    result = EvalResult(gold=metrics["gold"], corpus=metrics["corpus"],
                        configs=[EvalConfig(c["name"], c.get("changes") or {})
                                 for c in metrics["configs"]],
                        records=records, counts=metrics["counts"], started=metrics["started"],
                        seconds=metrics["seconds"], models=metrics.get("models") or {})
    result.metrics = aggregate(result)
    write_report(result, directory, metrics.get("command", "articleqa eval"))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("reports", nargs="+", type=Path, metavar="REPORT_DIR")
    args = parser.parse_args(argv)
    for directory in args.reports:
        try:
            answer = rescore_report(directory).metrics["answer"]
        except ArticleQAError as exc:
            parser.exit(2, f"error: {exc}\n")
        top = answer["top_citation_contains_answer"]
        print(f"{directory}: F1 {answer['char_f1']:.4f}  EM {answer['exact_match']:.4f}  "
              f"contains {answer['contains_answer']:.4f}  top cited {top:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
