"""The chat page in every interface language, served by one process over one engine.

Each language has its own page (a Blocks built by `ui.app.build_app`) at `/zh-Hant/`, `/zh-Hans/`
and `/en/`; `/` redirects to the default language, and each page links to the others.

Gradio's own widgets (the upload area's "Drop File Here", its buttons' labels) take their language
from the browser, not from the page, so a Chinese page in an English browser would show them in
English. `GradioLocale` puts one line of script ahead of each page's HTML that reports the page's
locale to them instead (and sets `<html lang>` to match, which screen readers and fonts use).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from qa.feedback import FeedbackStore
from qa.service import ArticleQA

from .app import build_app, launch_kwargs
from .labels import DEFAULT_LANGUAGE, GRADIO_LOCALES, LANGUAGES, labels, normalize_language

#: Runs before Gradio's scripts (they are modules, so they wait for the document to be parsed).
_LOCALE_SCRIPT = ('<script>(()=>{{const l="{locale}";const p=Navigator.prototype;'
                  'Object.defineProperty(p,"language",{{configurable:true,get:()=>l}});'
                  'Object.defineProperty(p,"languages",{{configurable:true,get:()=>[l]}});'
                  '}})();</script>')


def page_path(language: str) -> str:
    """Where the page in `language` is served (`/zh-Hant/`, `/zh-Hans/`, `/en/`)."""
    return f"/{normalize_language(language)}/"


class GradioLocale:
    """ASGI middleware: the HTML of each page tells Gradio's widgets the page's locale.

    Only a GET of a page itself is touched (its response read whole; it is a few kB); every
    other request, the event streams included, passes through untouched.
    """

    def __init__(self, app: Any, pages: Mapping[str, str]) -> None:
        self.app = app
        self.pages = dict(pages)  # page path -> Gradio locale

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any],
                      send: Callable[..., Any]) -> None:
        locale = None
        if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD"):
            locale = self.pages.get(scope["path"])
        if locale is None:
            await self.app(scope, receive, send)
            return
        # Ask for the page uncompressed (Gradio would Brotli it), so the script can go in.
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]
        scope = {**scope, "headers": headers}
        start: dict[str, Any] = {}
        body: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            await send_page(b"".join(body))

        async def send_page(content: bytes) -> None:
            fields = dict(start.get("headers") or [])
            if fields.get(b"content-type", b"").startswith(b"text/html") and b"<head>" in content:
                script = _LOCALE_SCRIPT.format(locale=locale).encode()
                content = content.replace(b"<head>", b"<head>" + script, 1)
                content = content.replace(b'lang="en"', f'lang="{locale}"'.encode(), 1)
            out = [(k, v) for k, v in start.get("headers") or [] if k.lower() != b"content-length"]
            out.append((b"content-length", str(len(content)).encode()))
            await send({**start, "headers": out})
            await send({"type": "http.response.body", "body": content, "more_body": False})

        await self.app(scope, receive, capture)


def mount_pages(server: FastAPI, engine: ArticleQA, *, language: str = DEFAULT_LANGUAGE,
                feedback: FeedbackStore | None = None,
                password: Callable[[str, str], bool] | None = None) -> FastAPI:
    """Mount the page in every language on `server` (and `/` redirecting to `language`'s).

    `password`, when given, is checked at the page's sign-in (Gradio's login form), with the
    sign-in message in the page's language. Returns `server`.
    """
    default = page_path(language)
    # One secret for every page: the conversation kept in the browser survives a language switch.
    secret = secrets.token_urlsafe(16)
    for lang in LANGUAGES:
        blocks = build_app(engine, language=lang, feedback=feedback, browser_secret=secret)
        kwargs = launch_kwargs(lang)
        if password is not None:
            kwargs.update(auth=password, auth_message=labels(lang)["signin"])
        server = gr.mount_gradio_app(server, blocks, path=page_path(lang).rstrip("/"), **kwargs)

    @server.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        # Relative, so that a proxy serving the pages under a prefix keeps working.
        return RedirectResponse(default.lstrip("/"), status_code=307)

    server.add_middleware(GradioLocale, pages={page_path(lang): GRADIO_LOCALES[lang]
                                               for lang in LANGUAGES})
    return server


@dataclass
class PageServer:
    """A running page server (see `serve_pages`): its address and how to stop it."""

    url: str
    _server: Any
    _thread: threading.Thread | None

    def close(self) -> None:
        """Stop serving (waits for the server thread to end)."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)


def serve_pages(engine: ArticleQA, *, host: str = "127.0.0.1", port: int = 7860,
                language: str = DEFAULT_LANGUAGE, feedback: FeedbackStore | None = None,
                block: bool = True, quiet: bool = False) -> PageServer:
    """Serve the pages on `host:port` (the `articleqa ui` server); `url` is the default page's.

    With `block` the call returns when the server stops (Ctrl+C); without, once it accepts
    connections, the server running on a thread.
    """
    import uvicorn

    app = mount_pages(FastAPI(docs_url=None, redoc_url=None, openapi_url=None), engine,
                      language=language, feedback=feedback)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning" if quiet else "info",
                            access_log=not quiet)
    server = uvicorn.Server(config)
    url = f"http://{host}:{port}{page_path(language)}"
    if block:
        server.run()
        return PageServer(url, server, None)
    thread = threading.Thread(target=server.run, name="articleqa-pages", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the page server did not start on {host}:{port}")
        time.sleep(0.05)
    return PageServer(url, server, thread)
