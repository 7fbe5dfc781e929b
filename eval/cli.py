"""The `articleqa eval` subcommand: score a gold set or benchmark, print a summary, write a report.

The heavy imports (model, qa, matplotlib) wait until the command runs, so `articleqa --help` and
the other subcommands stay fast.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

DEFAULT_BENCHMARKS = Path("../shared/benchmarks")


def add_eval_parser(subparsers: Any, common_parent: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Register `eval` on the CLI's subparsers (with the shared --home/--index/--model options)."""
    p = subparsers.add_parser(
        "eval", parents=[common_parent], help="score retrieval, answers, citations and speed",
        description="Ask every question of a gold set (a .jsonl file) or a benchmark (a name such "
                    "as drcd-dev or xquad-en-zh, or a SQuAD-style .json file) and score retrieval "
                    "for each compared config, plus answers, citations, abstention and latency "
                    "for the first. Prints a summary and writes report.md, results.jsonl, "
                    "metrics.json and PNG charts.")
    p.add_argument("gold", metavar="GOLD", help="gold .jsonl file, benchmark name or SQuAD .json file")
    p.add_argument("--corpus", nargs="+", default=["default"], metavar="PATH",
                   help="for a gold .jsonl: 'default' (the built-in corpus / --index) or files and "
                        "folders to ingest into a cached eval index (default: default)")
    p.add_argument("--limit", type=int, metavar="N",
                   help="only the first N questions (conversations kept whole while they fit)")
    p.add_argument("--report", metavar="DIR",
                   help="report folder (default: reports/<gold name>-<timestamp>)")
    p.add_argument("--compare", nargs="+", metavar="CONFIG", default=[],
                   help="configs to compare: dense, lexical, rrf, weighted, hybrid (the default "
                        "mode), optionally NAME:key=value,... overriding settings; the first one "
                        "also answers (default: the settings' retrieval mode)")
    p.add_argument("--benchmarks", metavar="ROOT", type=Path, default=DEFAULT_BENCHMARKS,
                   help=f"folder holding the benchmark files (default: {DEFAULT_BENCHMARKS})")
    p.set_defaults(func=cmd_eval)
    return p


def command_line(args: argparse.Namespace) -> str:
    """The command as typed, rebuilt from the parsed options (for the report)."""
    parts = ["articleqa", "eval", args.gold]
    if args.corpus != ["default"]:
        parts += ["--corpus", *args.corpus]
    if args.limit is not None:
        parts += ["--limit", str(args.limit)]
    if args.compare:
        parts += ["--compare", *args.compare]
    if args.report:
        parts += ["--report", args.report]
    if args.benchmarks != DEFAULT_BENCHMARKS:
        parts += ["--benchmarks", str(args.benchmarks)]
    for option in ("home", "index", "model"):
        if getattr(args, option, None):
            parts += [f"--{option}", str(getattr(args, option))]
    return shlex.join(parts)


def cmd_eval(args: argparse.Namespace) -> int:
    """Run the evaluation; errors are ArticleQAError and become one line in articleqa.cli.main."""
    from articleqa.cli import _settings
    from eval.report import summary_text, write_report
    from eval.run import load_gold_source, parse_configs, run_eval
    from index.errors import InputError

    if args.limit is not None and args.limit < 1:
        raise InputError(f"--limit must be at least 1; got {args.limit}")
    settings = _settings(args)
    configs = parse_configs(args.compare, settings)  # fail fast, before the model loads
    gold = load_gold_source(args.gold, args.benchmarks)
    report_dir = Path(args.report) if args.report else Path(
        "reports", f"{gold.name}-{datetime.now().strftime('%Y%m%d-%H%M%S')}")
    result = run_eval(gold, settings, configs, corpus=args.corpus, limit=args.limit,
                      progress=sys.stderr.isatty())
    write_report(result, report_dir, command_line(args))
    print(summary_text(result.metrics, report_dir))
    return 0
