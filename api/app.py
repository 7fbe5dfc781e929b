"""The HTTP API: a versioned JSON service over one ArticleQA engine, built by `create_app`.

Engine calls are CPU bound, so their handlers are plain `def` (FastAPI runs them in its thread
pool) or hand the work to the pool. Each read takes `library.snapshot` once, so a request sees the
old index or the new one, never a half-written one; writes go through Library, which serializes
them. The engine may be handed over as a factory: it is then built on a background thread, and
`/healthz` answers at once while `/readyz` (and every engine endpoint) says 503 until it is done.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from index.ingest import MAX_FILE_BYTES, Rejected, SourceFile, article_from_text
from index.jobs import IngestJob
from qa.service import ArticleQA

from .errors import (
    BadRequest,
    Forbidden,
    NotFound,
    NotReady,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
    error_body,
    install_error_handlers,
)
from .schemas import (
    MAX_ID_CHARS,
    MAX_JSON_BODY_BYTES,
    MAX_UPLOAD_BODY_BYTES,
    MAX_UPLOAD_FILES,
    AnswerOut,
    ArticleDetail,
    ArticleList,
    ArticleRef,
    ArticleSummary,
    ArticleText,
    AskRequest,
    ErrorOut,
    FileStatusOut,
    HealthOut,
    IngestReportOut,
    JobList,
    JobOut,
    ReadyOut,
    RejectedOut,
    SearchHit,
    SearchRequest,
    SearchResponse,
    SentenceHit,
    SentenceOut,
)

if TYPE_CHECKING:
    from index import IngestReport

log = logging.getLogger(__name__)

API_VERSION = "v1"
#: How long a caller that needs the engine (the chat page) waits for it to load.
ENGINE_WAIT_S = 600.0

# ----- the engine, possibly still loading -----
class EngineHolder:
    """The engine, or the thread still building it, or the error that stopped it."""

    def __init__(self, source: ArticleQA | Callable[[], ArticleQA]) -> None:
        self._factory: Callable[[], ArticleQA] | None = source if callable(source) else None
        self._engine: ArticleQA | None = None if callable(source) else source
        self._error: str | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        if self._engine is not None:
            self._done.set()

    def start(self) -> None:
        """Start building the engine in the background (once; later calls do nothing)."""
        with self._lock:
            if self._done.is_set() or self._thread is not None or self._factory is None:
                return
            self._thread = threading.Thread(target=self._build, name="articleqa-engine",
                                            daemon=True)
            self._thread.start()

    def _build(self) -> None:
        assert self._factory is not None
        try:
            engine = self._factory()
            snapshot = engine.library.snapshot
            engine.answerer.reader  # noqa: B018 - loaded now: a damaged reader shows on /readyz
            log.info("engine ready: %d articles, %d passages", len(snapshot.articles),
                     len(snapshot.passages))
            self._engine = engine
        except Exception as exc:  # any failure must surface on /readyz, not kill the server
            log.exception("the engine failed to load")
            self._error = f"{type(exc).__name__}: {exc}"
        finally:
            self._done.set()

    @property
    def ready(self) -> bool:
        """Whether the engine is loaded and usable."""
        return self._engine is not None

    def require(self) -> ArticleQA:
        """The engine, or NotReady (503) saying whether it is loading or failed."""
        engine = self._engine
        if engine is not None:
            return engine
        if self._error is not None:
            raise NotReady(f"the model or index failed to load: {self._error}")
        raise NotReady("the model and index are still loading; retry in a few seconds",
                       headers={"Retry-After": "5"})

    def wait(self, timeout: float = ENGINE_WAIT_S) -> ArticleQA:
        """Block until the engine is built (starting the build if needed), then return it."""
        self.start()
        self._done.wait(timeout)
        return self.require()


async def ready_engine(request: Request) -> ArticleQA:
    """Dependency: the app's engine, or 503 while it loads."""
    holder: EngineHolder = request.app.state.engine_holder
    return holder.require()


Engine = Annotated[ArticleQA, Depends(ready_engine)]


class LazyEngine:
    """Stands in for the engine before it exists: attribute access waits until it is loaded.

    Lets the chat page be built while the engine still loads in the background.
    """

    def __init__(self, holder: EngineHolder) -> None:
        self._holder = holder

    def __getattr__(self, name: str) -> Any:
        return getattr(self._holder.wait(), name)


# ----- request body limits -----
class BodyLimitMiddleware:
    """413 for an API request whose body is over its limit: by Content-Length before reading,
    and by counting while reading (chunked bodies, lying headers). Paths outside /v1 (the chat
    page) are left to their own limits."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @staticmethod
    def limit_for(scope: Scope) -> int | None:
        """The body limit of a request, or None for paths this middleware leaves alone."""
        path: str = scope.get("path", "")
        if not path.startswith(f"/{API_VERSION}/"):
            return None
        if path.rstrip("/") == f"/{API_VERSION}/articles" and scope.get("method") == "POST":
            return MAX_UPLOAD_BODY_BYTES
        return MAX_JSON_BODY_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limit_for(scope) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _send_json(send, 413, error_body(
                "too_large", f"the request body has {declared} bytes; the limit is {limit}"))
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise StarletteHTTPException(
                        413, f"the request body is over the limit of {limit} bytes")
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", ()):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_json(send: Send, status: int, body: dict) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": payload})


# ----- access -----
#: Declares the API key in the OpenAPI schema (`Authorization: Bearer <key>`); checked below.
_BEARER = HTTPBearer(auto_error=False, scheme_name="apiKey",
                     description="the server's ARTICLEQA_API_KEY, as `Authorization: Bearer <key>`")


def _key_checker(api_key: str | None, *, required: bool) -> Callable[..., Any]:
    """A dependency that checks `Authorization: Bearer <key>` when a key is configured."""
    expected = api_key.encode() if api_key else None

    async def check(request: Request,
                    _declared: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)] = None,
                    ) -> None:
        if expected is None or not required:
            return
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("this endpoint needs an API key: send 'Authorization: Bearer <key>'",
                               headers={"WWW-Authenticate": "Bearer"})
        if not hmac.compare_digest(token.strip().encode(), expected):
            raise Forbidden("the API key is not valid")

    return check


# ----- search with sentences -----
def search_passages(engine: ArticleQA, query: str, k: int, article_ids: list[str] | None,
                    sentences_per_hit: int) -> list[SearchHit]:
    """Top-k passages for a query, each with its best sentences (qa's search_with_sentences)."""
    return [SearchHit(**hit.as_dict(),  # type: ignore[arg-type]
                      sentences=[SentenceHit(sentence_id=c.sentence_id, text=c.text, start=c.start,
                                             end=c.end, score=c.score) for c in sentences])
            for hit, sentences in engine.search_with_sentences(query, k, article_ids,
                                                               sentences_per_hit)]


# ----- uploads -----
def safe_file_name(raw: str) -> str:
    """The bare file name of an upload: no folders (either slash), no control characters.

    Uploads are never written to disk by name; the name only labels the source, and this keeps
    `../../etc/passwd.txt` from even looking like a path.
    """
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return "" if name in {".", ".."} else name[:255]


async def _read_multipart(request: Request) -> tuple[list[SourceFile], list[Rejected]]:
    """The uploaded files (by bare name), and those refused before parsing."""
    form = await request.form(max_files=MAX_UPLOAD_FILES, max_fields=MAX_UPLOAD_FILES,
                              max_part_size=64 * 1024)
    try:
        uploads = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
        if not uploads:
            raise BadRequest("no files in the upload; send them as multipart/form-data field "
                             "'files' (or post JSON {title, text})")
        files: list[SourceFile] = []
        rejected: list[Rejected] = []
        for upload in uploads:
            raw_name = upload.filename or ""
            if upload.size is not None and upload.size > MAX_FILE_BYTES:
                raise PayloadTooLarge(f"{safe_file_name(raw_name) or 'a file'} has {upload.size} "
                                      f"bytes; the limit per file is {MAX_FILE_BYTES}")
            data = await upload.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                raise PayloadTooLarge(f"{safe_file_name(raw_name) or 'a file'} is over the limit "
                                      f"of {MAX_FILE_BYTES} bytes per file")
            name = safe_file_name(raw_name)
            if not name:
                rejected.append(Rejected(raw_name[:100] or "(no name)",
                                         "the file has no usable name", "no_file_name"))
                continue
            if name != raw_name:
                log.info("upload %r stored by its bare name %r", raw_name[:200], name)
            files.append(SourceFile(name=name, source=f"upload:{name}", data=data))
        return files, rejected
    finally:
        await form.close()


async def _read_article_json(request: Request) -> ArticleText:
    """The JSON body of an article upload, validated like any other request body."""
    body = await request.body()
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise RequestValidationError([{"loc": ("body",), "msg": "the body is not valid JSON",
                                       "type": "json_invalid"}]) from None
    try:
        item = ArticleText.model_validate(data)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_input=False)]
        raise RequestValidationError(errors) from None
    if not item.title.strip():
        raise BadRequest("the article title is empty")
    if len(item.text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise PayloadTooLarge(f"the article text is over the limit of {MAX_FILE_BYTES} bytes")
    return item


def _report_out(report: IngestReport, engine: ArticleQA, sources: Iterable[str]) -> IngestReportOut:
    wanted = set(sources)
    now = [ArticleRef(id=a.id, title=a.title, source=a.source)
           for a in engine.library.snapshot.articles.values() if a.source in wanted]
    return IngestReportOut(
        added=report.added, updated=report.updated, unchanged=report.unchanged,
        removed=report.removed,
        rejected=[RejectedOut(name=r.name, reason=r.reason, code=r.code)
                  for r in report.rejected],
        articles_now=now, embedded=report.embedded, reused=report.reused,
        articles=report.articles, passages=report.passages, seconds=round(report.seconds, 3))


def job_out(job: IngestJob, engine: ArticleQA) -> JobOut:
    """The API form of an ingest job (with its report once it has ended)."""
    report = None
    if job.finished and job.report is not None:
        report = _report_out(job.report, engine, job.sources)
    return JobOut(id=job.id, state=job.state, stage=job.stage,  # type: ignore[arg-type]
                  progress=job.progress, eta_s=job.eta_s, created_at=job.created_at,
                  started_at=job.started_at, finished_at=job.finished_at,
                  texts_total=job.texts_total, texts_embedded=job.texts_embedded,
                  articles_total=job.articles_total, articles_committed=job.articles_committed,
                  files=[FileStatusOut(name=f.name, state=f.state,  # type: ignore[arg-type]
                                       articles=f.articles, added=f.added, updated=f.updated,
                                       unchanged=f.unchanged, reason=f.reason, code=f.code)
                         for f in job.files],
                  error=job.error, error_code=job.error_code, report=report)


async def _until_finished(job: IngestJob) -> None:
    """Wait for a job without holding a worker thread."""
    while not job.finished:
        await asyncio.sleep(0.1)


_UPLOAD_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": ArticleText.model_json_schema()},
        "multipart/form-data": {"schema": {
            "type": "object",
            "required": ["files"],
            "properties": {"files": {"type": "array", "maxItems": MAX_UPLOAD_FILES,
                                     "items": {"type": "string", "format": "binary"}}},
        }},
    },
}

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text}
    for status, text in [(400, "bad input"), (401, "API key missing"), (403, "API key wrong"),
                         (413, "body too large"), (422, "request does not match the schema"),
                         (503, "model or index not loaded yet")]
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "no such article"}}
_NOT_JSON: dict[int | str, dict[str, Any]] = {415: {"model": ErrorOut, "description": "the body is not JSON"}}


async def _require_json(request: Request) -> None:
    """415 for a body that is not JSON (`text/plain`), as documented, before it is validated."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media and media != "application/json" and not media.endswith("+json"):  # none: 422 decides
        raise UnsupportedMediaType(f"send the request body as JSON (Content-Type: application/json); "
                                   f"got {media[:60] or 'no Content-Type'}")


def _sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _stream(first: dict[str, object], rest: Iterator[dict[str, object]]) -> Iterator[str]:
    """Server-sent events from the engine's event dicts (`event` names the event)."""
    yield _sse(str(first.get("event")), {k: v for k, v in first.items() if k != "event"})
    try:
        for item in rest:
            yield _sse(str(item.get("event")), {k: v for k, v in item.items() if k != "event"})
    except Exception:  # headers are gone: report in-band, never a traceback
        log.exception("answer stream failed")
        yield _sse("error", error_body("internal_error", "the answer stream failed"))


# ----- the app -----
def create_app(engine: ArticleQA | Callable[[], ArticleQA], *, api_key: str | None = None,
               private: bool = False, cors_origins: list[str] | None = None,
               mount_ui: Callable[[FastAPI], FastAPI] | None = None) -> FastAPI:
    """The API over `engine` (an ArticleQA, or a zero-argument factory built in the background).

    `api_key` guards writes (and reads too when `private`); `mount_ui` receives the app and mounts
    the chat page at `/` (after the API routes, which therefore take precedence).
    """
    if private and not api_key:
        raise ValueError("private mode needs an API key (set ARTICLEQA_API_KEY)")
    holder = EngineHolder(engine)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        holder.start()
        yield

    app = FastAPI(
        title="articleqa",
        version="1",
        summary="Offline question answering over news articles, with cited source sentences.",
        lifespan=lifespan,
    )
    app.state.engine_holder = holder
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware)
    if cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins),
                           allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
                           allow_headers=["Authorization", "Content-Type"])

    read_access = Depends(_key_checker(api_key, required=private))
    write_access = Depends(_key_checker(api_key, required=True))

    v1 = APIRouter(prefix=f"/{API_VERSION}", responses=_ERRORS)
    json_body = Depends(_require_json)

    @app.get("/healthz", response_model=HealthOut, tags=["health"])
    async def healthz() -> HealthOut:
        """The process is up (answers even while the model loads)."""
        return HealthOut(status="ok")

    @app.get("/readyz", response_model=ReadyOut, tags=["health"],
             responses={503: {"model": ErrorOut, "description": "still loading"}})
    async def readyz() -> ReadyOut:
        """The model and index are loaded and the index on disk is whole: 200 with the index size,
        else 503 (still loading, or the index is damaged: `articleqa doctor` repairs it)."""
        library = holder.require().library
        problem = await run_in_threadpool(library.store.live_problem)
        if problem:
            raise NotReady(problem)
        snapshot = library.snapshot
        return ReadyOut(status="ready", articles=len(snapshot.articles),
                        passages=len(snapshot.passages))

    @v1.post("/search", response_model=SearchResponse, tags=["retrieval"],
             dependencies=[read_access, json_body], responses=_NOT_JSON)
    def search(body: SearchRequest, engine: Engine) -> SearchResponse:
        """Rank passages for a query; each hit carries its best sentences with their offsets."""
        return SearchResponse(hits=search_passages(engine, body.query, body.k, body.article_ids,
                                                   body.sentences_per_hit))

    @v1.post("/ask", response_model=AnswerOut, tags=["answers"], dependencies=[read_access, json_body],
             responses={**_NOT_JSON, 200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
                              "description": "the answer (JSON), or with ?stream=true server-sent "
                                             "events: passages, delta..., final"}})
    def ask(body: AskRequest, engine: Engine,
            stream: Annotated[bool, Query(description="answer as server-sent events")] = False,
            ) -> Any:
        """Answer a question (a follow-up when `history` holds earlier turns), citing sentences."""
        history = [turn.model_dump() for turn in body.history]
        if not stream:
            return engine.ask(body.question, history).as_dict()
        events = engine.ask_stream(body.question, history)
        first = next(events)  # does the work (and raises bad input) before any byte is sent
        return StreamingResponse(_stream(first, events), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @v1.get("/articles", response_model=ArticleList, tags=["articles"], dependencies=[read_access])
    def list_articles(engine: Engine) -> ArticleList:
        """Every indexed article (id, title, sentence count, source, ingest time)."""
        articles = sorted(engine.library.snapshot.articles.values(), key=lambda a: (a.source, a.title))
        return ArticleList(count=len(articles), articles=[
            ArticleSummary(id=a.id, title=a.title, sentences=len(a.sentences), source=a.source,
                           ingested_at=a.ingested_at) for a in articles])

    @v1.get("/articles/{article_id}", response_model=ArticleDetail, tags=["articles"],
            dependencies=[read_access], responses=_NOT_FOUND)
    def get_article(article_id: Annotated[str, Path(max_length=MAX_ID_CHARS)],
                    engine: Engine) -> ArticleDetail:
        """One article: full text, and every sentence with its offsets and kind."""
        article = engine.library.snapshot.articles.get(article_id)
        if article is None:
            raise NotFound(f"no article with id {article_id!r} in the index")
        return ArticleDetail(
            id=article.id, title=article.title, source=article.source,
            ingested_at=article.ingested_at, text=article.text,
            sentences=[SentenceOut(index=s.index, sentence_id=article.sentence_id(s.index),
                                   start=s.start, end=s.end, kind=str(s.kind), text=s.text)
                       for s in article.sentences])

    @v1.post("/articles", response_model=JobOut, status_code=202, tags=["articles"],
             dependencies=[write_access], openapi_extra={"requestBody": _UPLOAD_BODY},
             responses={200: {"model": JobOut, "description": "with ?wait=true: the finished job"},
                        415: {"model": ErrorOut, "description": "neither JSON nor multipart"}})
    async def add_articles(request: Request, response: Response, engine: Engine,
                           wait: Annotated[bool, Query(description=(
                               "answer when the job has ended (200) instead of at once (202)"))] = False,
                           ) -> JobOut:
        """Add or replace articles: multipart files (.txt/.md/.html in any common encoding, .pdf
        with a text layer, .docx) or JSON {title, text}. Re-uploading a file name (or re-posting a
        title) replaces its articles. The upload becomes a background job: 202 with the job (poll
        `GET /v1/jobs/{id}` for progress); with `?wait=true`, 200 once it has ended."""
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media == "multipart/form-data":
            files, refused = await _read_multipart(request)
            job = engine.jobs.submit(files=files, rejected=refused)
        elif media == "application/json" or media.endswith("+json"):
            item = await _read_article_json(request)
            article = await run_in_threadpool(article_from_text, item.title, item.text,
                                              f"api:{item.title.strip()}")
            job = engine.jobs.submit(articles=[article])
        else:
            raise UnsupportedMediaType("send multipart/form-data files or JSON {title, text}")
        response.headers["Location"] = f"/{API_VERSION}/jobs/{job.id}"
        if not wait:
            return job_out(job, engine)
        await _until_finished(job)
        if job.state == "failed" and job.report is not None and job.report.rejected:
            rejected = job.report.rejected
            raise BadRequest("; ".join(f"{r.name}: {r.reason}" for r in rejected[:5]),
                             details=[{"name": r.name, "reason": r.reason} for r in rejected])
        response.status_code = 200
        return job_out(job, engine)

    @v1.get("/jobs", response_model=JobList, tags=["articles"], dependencies=[read_access])
    def list_jobs(engine: Engine) -> JobList:
        """The ingest jobs this server remembers (until it restarts), newest first."""
        jobs = [job_out(job, engine) for job in engine.jobs.all()]
        return JobList(count=len(jobs), jobs=jobs)

    @v1.get("/jobs/{job_id}", response_model=JobOut, tags=["articles"], dependencies=[read_access],
            responses={404: {"model": ErrorOut, "description": "no such job"}})
    def get_job(job_id: Annotated[str, Path(max_length=MAX_ID_CHARS)], engine: Engine) -> JobOut:
        """An ingest job: state, progress (0..1, with an ETA), per-file results, and the report
        once it has ended."""
        return job_out(engine.jobs.get(job_id), engine)

    @v1.delete("/jobs/{job_id}", response_model=JobOut, tags=["articles"],
               dependencies=[write_access],
               responses={404: {"model": ErrorOut, "description": "no such job"}})
    def cancel_job(job_id: Annotated[str, Path(max_length=MAX_ID_CHARS)], engine: Engine) -> JobOut:
        """Cancel an ingest job: it stops after its current batch; what it committed stays."""
        job = engine.jobs.get(job_id)
        job.cancel()
        return job_out(job, engine)

    @v1.delete("/articles/{article_id}", response_model=IngestReportOut, tags=["articles"],
               dependencies=[write_access], responses=_NOT_FOUND)
    def delete_article(article_id: Annotated[str, Path(max_length=MAX_ID_CHARS)],
                       engine: Engine) -> IngestReportOut:
        """Remove an article; 404 when the id is unknown."""
        return _report_out(engine.library.remove([article_id]), engine, [])

    @v1.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                  include_in_schema=False)
    async def unknown_route(request: Request, rest: str) -> None:
        """Any other /v1 path: the error shape, not the chat page's or the framework's 404 (and a
        405 for a known path asked with another method)."""
        path = request.url.path
        for route in v1.routes:
            matches = getattr(route, "path_regex", None)
            if matches is not None and route.name != "unknown_route" and matches.match(path):
                raise StarletteHTTPException(405, f"{request.method} is not allowed on {path[:100]}")
        raise NotFound(f"no API route /{API_VERSION}/{rest[:100]}; the routes are listed at /docs")

    app.include_router(v1)
    if mount_ui is not None:
        app = mount_ui(app)
    return app
