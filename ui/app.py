"""The chat page: a Gradio app over one ArticleQA engine. It only lays out and formats qa's results.

`build_app(engine)` returns the Blocks; `launch(app, ...)` serves it with the page's theme and CSS
(Gradio 6 takes those at launch time, not in the Blocks constructor).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402  (the environment must be set before gradio is imported)

from index.errors import ArticleQAError  # noqa: E402
from index.ingest import MAX_FILE_BYTES, Rejected, SourceFile, too_large, unreadable  # noqa: E402
from qa.feedback import FEEDBACK_FILE, FeedbackStore  # noqa: E402
from qa.records import Answer  # noqa: E402
from qa.service import ArticleQA  # noqa: E402

from . import format as fmt  # noqa: E402
from .labels import LANGUAGE_NAMES, LANGUAGES, examples, labels, normalize_language  # noqa: E402

log = logging.getLogger(__name__)

#: Partial answers are sent to the page at most this often (each update re-sends the chat).
STREAM_INTERVAL_S = 0.05

#: Page styles; colours come from the theme's variables so dark mode stays readable.
CSS = """
.gradio-container { max-width: 1320px !important; margin: 0 auto !important; }
#aqa-header { padding: 0.25rem 0 0.5rem; }
#aqa-header h1 { font-size: 1.65rem; font-weight: 700; margin: 0 0 0.25rem; letter-spacing: 0.02em; }
#aqa-header p { margin: 0; color: var(--body-text-color-subdued); line-height: 1.6; }
.aqa-h2 { font-size: 1.05rem; font-weight: 600; margin: 0.25rem 0 0; }
.aqa-msg { line-height: 1.75; overflow-wrap: anywhere; }
.aqa-msg p { margin: 0; }
.aqa-short { margin-bottom: 0.35rem !important; }
.aqa-short strong { font-size: 1.3em; font-weight: 700; color: var(--color-accent); }
.aqa-cite { display: inline-block; font-size: 0.72em; font-weight: 700; line-height: 1;
  color: var(--color-accent); vertical-align: super; margin: 0 0.1em; white-space: nowrap; }
.aqa-note { font-size: 0.8em; color: var(--body-text-color-subdued); margin-top: 0.45rem; }
.aqa-abstain { display: flex; gap: 0.6rem; align-items: flex-start; padding: 0.6rem 0.75rem;
  border-left: 4px solid #f59e0b; border-radius: 6px; background: rgba(245, 158, 11, 0.1); }
.aqa-abstain-icon { color: #d97706; font-size: 1.15em; line-height: 1.5; }
.aqa-abstain-text { color: var(--body-text-color-subdued); font-style: italic; }
.aqa-error { border-left-color: #dc2626; background: rgba(220, 38, 38, 0.08); }
.aqa-error .aqa-abstain-icon { color: #dc2626; }
.aqa-cursor { color: var(--color-accent); animation: aqa-blink 1s steps(2) infinite; margin-left: 1px; }
@keyframes aqa-blink { 50% { opacity: 0; } }
.aqa-placeholder { color: var(--body-text-color-subdued); text-align: center; padding: 1rem; }
#aqa-ask-row { align-items: stretch; gap: 0.5rem; }
#aqa-examples-row { align-items: center; gap: 0.4rem; flex-wrap: wrap; }
#aqa-examples-row > * { flex: 0 1 auto !important; min-width: 0 !important; width: auto !important; }
.aqa-examples-label { font-size: 0.85rem; color: var(--body-text-color-subdued); white-space: nowrap; }
.aqa-example { white-space: normal !important; text-align: left; }
#aqa-chat .top-panel { display: none !important; }
#aqa-citations input[type=radio]:checked, #aqa-citations input[type=radio]:checked:hover {
  background-color: var(--color-accent) !important; border-color: var(--color-accent) !important; }
#aqa-clear { margin-left: auto; }
.aqa-hint { font-size: 0.82rem; color: var(--body-text-color-subdued); margin-top: 0.6rem; }
.aqa-empty { color: var(--body-text-color-subdued); font-size: 0.92rem; line-height: 1.6;
  padding: 0.6rem 0.75rem; border: 1px dashed var(--border-color-primary); border-radius: 8px; }
.aqa-empty-warn { border-color: #f59e0b; }
ol.aqa-sources { list-style: none; padding: 0; margin: 0; display: flex; flex-direction: column;
  gap: 0.5rem; }
li.aqa-source { display: flex; gap: 0.5rem; align-items: flex-start; padding: 0.55rem 0.7rem;
  border: 1px solid var(--border-color-primary); border-radius: 8px;
  background: var(--block-background-fill); line-height: 1.65; }
li.aqa-source > .aqa-cite { vertical-align: baseline; font-size: 0.85em; padding-top: 0.2em; }
.aqa-source-text { overflow-wrap: anywhere; }
.aqa-source-title { font-size: 0.8rem; color: var(--body-text-color-subdued); margin-top: 0.2rem; }
.aqa-article { border: 1px solid var(--border-color-primary); border-radius: 8px;
  background: var(--block-background-fill); padding: 0.75rem 0.9rem; }
.aqa-article-title { font-size: 1.05rem; font-weight: 700; margin: 0 0 0.2rem; }
.aqa-article-meta { font-size: 0.78rem; color: var(--body-text-color-subdued); margin-bottom: 0.5rem; }
.aqa-article-text { position: relative; white-space: pre-wrap; line-height: 1.85;
  max-height: min(440px, 50vh);
  overflow-y: auto; overflow-wrap: anywhere; padding-right: 0.4rem; }
mark.aqa-mark { background: #fef3c7; color: #1f2937; border-radius: 3px; padding: 0.05em 0.1em; }
mark.aqa-mark.aqa-active { background: #fcd34d; box-shadow: 0 0 0 2px #f59e0b; }
mark.aqa-mark .aqa-cite { color: #92400e; }
.aqa-table-wrap { overflow-x: auto; }
table.aqa-table { width: 100%; border-collapse: collapse; font-size: 0.9rem; }
table.aqa-table th, table.aqa-table td { text-align: left; vertical-align: top; padding: 0.45rem 0.6rem;
  border: none !important; border-bottom: 1px solid var(--border-color-primary) !important; }
table.aqa-table, table.aqa-table tr, table.aqa-table thead, table.aqa-table tbody {
  border: none !important; }
table.aqa-table th { font-weight: 600; color: var(--body-text-color-subdued); white-space: nowrap; }
table.aqa-table .aqa-num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.aqa-nowrap { white-space: nowrap; }
.aqa-title-cell { font-weight: 600; }
.aqa-passage-title { font-size: 0.8rem; color: var(--body-text-color-subdued); }
.aqa-passage-text { line-height: 1.65; }
.aqa-sr { position: absolute !important; width: 1px; height: 1px; overflow: hidden;
  clip-path: inset(50%); white-space: nowrap; }
.aqa-languages { font-size: 0.85rem; margin-top: 0.35rem; color: var(--body-text-color-subdued); }
.aqa-languages a, .aqa-languages strong { padding: 0 !important; margin: 0 0.2rem !important; }
.aqa-languages a { color: var(--color-accent); text-decoration: none; }
.aqa-languages a:hover { text-decoration: underline; }
.aqa-count { font-size: 0.85rem; color: var(--body-text-color-subdued); margin-bottom: 0.35rem; }
.aqa-kind-badge { display: inline-block; font-size: 0.8em; padding: 0 0.45rem; margin-bottom: 0.3rem;
  border-radius: 999px; background: var(--color-accent-soft); color: var(--color-accent); }
.aqa-jobs { list-style: none; margin: 0.3rem 0; padding: 0; }
.aqa-job { margin: 0.4rem 0; }
.aqa-job progress { width: 100%; height: 0.7rem; }
.aqa-job-detail { color: var(--body-text-color-subdued); font-size: 0.9em; }
.aqa-report > div { margin: 0.4rem 0; }
.aqa-report ul { margin: 0.2rem 0 0 1.2rem; padding: 0; }
.aqa-report-ok strong { color: #059669; }
.aqa-report-muted { color: var(--body-text-color-subdued); }
.aqa-report-warn { padding: 0.45rem 0.7rem; border-left: 4px solid #f59e0b; border-radius: 6px;
  background: rgba(245, 158, 11, 0.1); }
@media (max-width: 640px) {
  #aqa-header h1 { font-size: 1.35rem; }
  #aqa-chat { height: 62vh !important; }
  .aqa-article-text { max-height: 55vh; }
  table.aqa-table { font-size: 0.82rem; }
  #aqa-chat .message-row .message, #aqa-chat .flex-wrap { max-width: 100% !important; }
}
"""

#: Scrolls the article pane so the active <mark> sits in its middle; then, when the user chose the
#: citation or the pane sits beside the chat (wide screens), scrolls the page just enough to show it.
ARTICLE_JS = """
const focusMark = () => {
  const article = element.querySelector('.aqa-article');
  const box = element.querySelector('.aqa-article-text');
  const mark = element.querySelector('#aqa-mark-active');
  if (!article || !box || !mark) return;
  box.scrollTop = Math.max(0, mark.offsetTop - (box.clientHeight - mark.offsetHeight) / 2);
  const chat = document.querySelector('#aqa-chat');
  const beside = chat && article.getBoundingClientRect().left >= chat.getBoundingClientRect().right;
  if (article.dataset.reveal === '1' || beside) {
    const r = mark.getBoundingClientRect();
    if (r.top < 0 || r.bottom > window.innerHeight) mark.scrollIntoView({block: 'nearest'});
  }
};
watch('value', () => requestAnimationFrame(focusMark));
requestAnimationFrame(focusMark);
"""


#: Runs in the browser as a question is sent: passes the question on as it is and empties the box
#: (as if typed), so that the next question can be typed at once and no answer wipes it later.
SEND_JS = """(question, turns) => {
  const box = document.querySelector('#aqa-question textarea');
  if (box) {
    setTimeout(() => {
      if (box.value === question) {
        box.value = '';
        box.dispatchEvent(new Event('input', {bubbles: true}));
      }
    }, 0);
  }
  return [question, turns];
}"""

#: How many turns of a conversation the browser keeps, and how many sessions the server follows.
MAX_SAVED_TURNS = 30
MAX_SESSIONS = 1000


@dataclass(frozen=True)
class ChatTurn:
    """One exchange as the page keeps it: the messages shown and the Answer (None on error)."""

    question_html: str
    answer_html: str
    answer: Answer | None
    passages: tuple[Mapping[str, Any], ...] = ()
    #: When the question failed: the error's code and values (shown again in any language).
    error: tuple[str, Mapping[str, object]] | None = None


def history_of(turns: list[ChatTurn]) -> list[dict[str, object]]:
    """Earlier answered turns in the shape ArticleQA.ask takes for follow-ups."""
    history: list[dict[str, object]] = []
    for turn in turns:
        if turn.answer is None:
            continue
        a = turn.answer
        history.append({"question": a.question, "answer": a.short_answer or a.answer,
                        "resolved_question": a.resolved_question or a.question,
                        "article_ids": list(a.article_ids)})
    return history


def theme() -> gr.themes.Base:
    """The page theme: system and bundled fonts only (nothing is fetched), CJK fonts first in line."""
    return gr.themes.Default(
        primary_hue="teal", secondary_hue="amber", neutral_hue="slate",
        font=(gr.themes.LocalFont("IBM Plex Sans"), "Noto Sans CJK TC", "Noto Sans TC",
              "PingFang TC", "Microsoft JhengHei", "ui-sans-serif", "system-ui", "sans-serif"),
    )


#: Gradio names a few of its widgets for screen readers in English whatever its locale (the
#: upload area, the chat log, the tab overflow button), and each chat message by its raw HTML.
#: Such a widget name (one in plain ASCII) is replaced by the widget's name in the page's
#: language; a message loses its name (it is read as it is) and starts with who says it, for
#: screen readers only.
RELABEL_JS = """() => {
  const names = %s;
  const speakers = %s;
  const ascii = /^[\\x00-\\x7f]*$/;
  const ours = new Set(names.map(([, name]) => name));
  const relabel = () => {
    for (const [selector, name] of names) {
      for (const el of document.querySelectorAll(selector)) {
        const now = el.getAttribute('aria-label');
        if (!ours.has(now) && ascii.test(now)) el.setAttribute('aria-label', name);
      }
    }
    for (const el of document.querySelectorAll('#aqa-chat [aria-label]:not([role=log])')) {
      const msg = el.querySelector('.aqa-msg');
      if (!msg) continue;
      el.removeAttribute('aria-label');  // read the message itself, after who says it
      if (msg.querySelector(':scope > .aqa-sr')) continue;
      const who = document.createElement('span');
      who.className = 'aqa-sr';
      who.textContent = msg.classList.contains('aqa-question') ? speakers[0] : speakers[1];
      msg.prepend(who);
    }
  };
  new MutationObserver(relabel).observe(document.body, {subtree: true, childList: true,
    attributes: true, attributeFilter: ['aria-label']});
  relabel();
}"""


def page_js(language: str) -> str:
    """The script a page in `language` runs at load: its widgets named in its language."""
    lab = labels(language)
    names = [("#aqa-upload [aria-label]", lab["upload_label"]),
             ("#aqa-chat .bubble-wrap[aria-label]", lab["chat_label"]),
             ("#aqa-tabs .overflow-menu > button[aria-label]", lab["more_tabs"])]
    speakers = [lab["you_said"], lab["reply"]]
    return RELABEL_JS % (json.dumps(names, ensure_ascii=False),
                         json.dumps(speakers, ensure_ascii=False))


def launch_kwargs(language: str = "zh-Hant") -> dict[str, Any]:
    """What `gr.mount_gradio_app` needs for the page in `language` to look and read as designed
    (see ui.pages)."""
    return {"theme": theme(), "css": CSS, "footer_links": [], "show_error": True,
            "js": page_js(language)}


def warm_up(engine: ArticleQA, questions: tuple[str, ...] = (
        "閻家山TOD項目總投資多少？", "What do the articles say?")) -> None:
    """Answer a Chinese and an English question so the first real ones are fast (the models,
    jieba, OpenCC and, for a question in another script than the text, USE-multilingual and the
    CC-CEDICT glossary load here)."""
    for question in questions:
        try:
            engine.ask(question)
        except ArticleQAError as exc:  # an empty index cannot answer; that is fine here
            log.info("warm-up skipped: %s", exc)
            return


def language_links(current: str, lab: Mapping[str, str]) -> str:
    """Links to the page in the other languages, each named in its own language (so they are
    marked with that language and as not to be translated)."""
    links = []
    for other in LANGUAGES:
        name = fmt.esc(LANGUAGE_NAMES[other])
        if other == current:
            links.append(f'<strong aria-current="page" lang="{other}" translate="no">{name}'
                         "</strong>")
        else:
            links.append(f'<a href="../{other}/" hreflang="{other}" lang="{other}" '
                         f'translate="no">{name}</a>')
    return (f'<nav class="aqa-languages" aria-label="{fmt.esc(lab["language"])}">'
            f'{" · ".join(links)}</nav>')


def build_app(engine: ArticleQA, *, language: str = "zh-Hant",
              feedback: FeedbackStore | None = None,
              browser_secret: str | None = None) -> gr.Blocks:
    """The chat page (answers with sources and highlighted articles) and the library tab, every
    string in `language`.

    Votes go to `feedback`, by default `<settings.home>/feedback.jsonl`. The conversation kept in
    the browser is sealed with `browser_secret` (pages sharing it share the conversation). Serve
    the result with `ui.pages`, which mounts every language and adds the theme and CSS.
    """
    lang = normalize_language(language)
    lab = labels(lang)
    stores: list[FeedbackStore] = [feedback] if feedback is not None else []

    # ----- handlers (closures over the engine; per-session state is the list of ChatTurns) -----
    # Nothing below touches the engine until a request comes in, so a stand-in engine that is
    # still loading (the HTTP server's LazyEngine) can be passed to build_app.
    def feedback_store() -> FeedbackStore:
        if not stores:
            stores.append(FeedbackStore(engine.settings.home / FEEDBACK_FILE))
        return stores[0]

    def render(turns: list[ChatTurn]) -> list[dict[str, str]]:
        return fmt.chat_messages([(t.question_html, t.answer_html) for t in turns])

    def article_view(answer: Answer | None, choice: str | None, reveal: bool = False) -> str:
        citation = fmt.find_citation(answer, choice)
        if answer is None or citation is None:
            return fmt.article_placeholder(lab)
        article = engine.library.snapshot.articles.get(citation.article_id)
        if article is None or article.text[citation.start:citation.end] != citation.text:
            # The article was removed or re-ingested since: offsets no longer hold, never guess.
            return fmt.article_placeholder(lab)
        return fmt.article_html(article, answer.citations, citation.n, lab, reveal=reveal)

    #: Each browser session's conversation as last answered. A question asked while another is
    #: still being answered waits its turn (Gradio queues them) and carries the conversation as it
    #: was when it was asked; it continues from this instead, so no turn is dropped.
    conversations: OrderedDict[str, list[ChatTurn]] = OrderedDict()

    conversations_lock = threading.Lock()

    def remember(request: gr.Request | None, turns: list[ChatTurn]) -> None:
        session = getattr(request, "session_hash", None)
        if session:
            with conversations_lock:
                conversations[session] = turns
                conversations.move_to_end(session)
                while len(conversations) > MAX_SESSIONS:
                    conversations.popitem(last=False)

    def ask(question: str, turns: list[ChatTurn],
            request: gr.Request = None) -> Iterator[tuple[Any, ...]]:  # type: ignore[assignment]
        question = (question or "").strip()
        if not question:
            yield (gr.skip(),) * 8
            return
        session = getattr(request, "session_hash", None)
        with conversations_lock:
            turns = list(conversations.get(session, turns or []) if session else turns or [])
        q_html = fmt.question_html(question)
        pending = ChatTurn(q_html, fmt.partial_html(""), None)
        yield (render([*turns, pending]), turns, gr.skip(), gr.skip(), gr.skip(), gr.skip(),
               gr.skip(), gr.skip())  # the box was emptied in the browser as the question left
        text = ""
        shown_at = time.perf_counter()
        passages: tuple[Mapping[str, Any], ...] = ()
        try:
            for event in engine.ask_stream(question, history_of(turns)):
                kind = event.get("event")
                if kind == "passages":
                    passages = tuple(event.get("passages") or ())  # type: ignore[arg-type]
                    yield (gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(),
                           fmt.passages_html(passages, lab), gr.skip())  # type: ignore[arg-type]
                elif kind == "delta":
                    text += str(event.get("text") or "")
                    now = time.perf_counter()
                    if now - shown_at < STREAM_INTERVAL_S:
                        continue  # text that arrives faster than the eye reads is sent in one go
                    shown_at = now
                    pending = ChatTurn(q_html, fmt.partial_html(text), None)
                    yield (render([*turns, pending]), gr.skip(), gr.skip(), gr.skip(), gr.skip(),
                           gr.skip(), gr.skip(), gr.skip())
                elif kind == "final":
                    answer = fmt.answer_from_dict(event["answer"])  # type: ignore[arg-type]
                    turn = ChatTurn(q_html, fmt.answer_html(answer, lab), answer, passages)
                    turns = [*turns, turn]
                    remember(request, turns)
                    choices = fmt.citation_choices(answer, len(turns))
                    first = choices[0][1] if choices else None
                    # The question box was emptied when the question was sent; what was typed
                    # since (the next question) is left alone. The browser keeps the turn with
                    # the same update that shows it, so a reload at once still has it.
                    yield (render(turns), turns, gr.skip(), fmt.sources_html(answer, lab),
                           gr.update(choices=choices, value=first, visible=bool(choices)),
                           article_view(answer, first), gr.skip(), save(turns))
        except ArticleQAError as exc:
            error = (exc.code, dict(exc.params))
            turns = [*turns, ChatTurn(q_html, fmt.error_html(error, lab), None, error=error)]
            remember(request, turns)
            yield (render(turns), turns, gr.skip(), fmt.sources_html(None, lab),
                   gr.update(choices=[], value=None, visible=False), fmt.article_placeholder(lab),
                   fmt.passages_html([], lab), save(turns))

    def last_answer(turns: list[ChatTurn]) -> Answer | None:
        return turns[-1].answer if turns else None

    def choose_citation(choice: str | None, turns: list[ChatTurn]) -> str:
        return article_view(last_answer(turns), choice, reveal=True)

    def example_asker(text: str) -> Callable[..., Iterator[tuple[Any, ...]]]:
        """Asks one example question without touching the question box."""
        def ask_example(turns: list[ChatTurn],
                        request: gr.Request = None) -> Iterator[tuple[Any, ...]]:  # type: ignore[assignment]
            yield from ask(text, turns, request)
        return ask_example

    def save(turns: list[ChatTurn]) -> list[dict[str, Any]]:
        """The conversation as the browser keeps it (gr.BrowserState): the messages as shown and
        each answer's JSON, so a reload shows the same page and follow-ups still work."""
        return [{"question_html": t.question_html, "answer_html": t.answer_html,
                 "answer": t.answer.as_dict() if t.answer is not None else None,
                 "passages": list(t.passages),
                 "error": list(t.error) if t.error is not None else None}
                for t in turns[-MAX_SAVED_TURNS:]]

    def restore(stored: list[dict[str, Any]] | None,
                request: gr.Request = None) -> tuple[Any, ...]:  # type: ignore[assignment]
        """The conversation kept in the browser, shown again after a reload."""
        turns: list[ChatTurn] = []
        for item in stored or []:
            try:
                answer = fmt.answer_from_dict(item["answer"]) if item.get("answer") else None
                error = None
                if item.get("error"):
                    error = (str(item["error"][0]), dict(item["error"][1]))
                # Shown again in this page's language (the conversation may come from another's).
                shown = (fmt.answer_html(answer, lab) if answer else
                         fmt.error_html(error, lab) if error else str(item["answer_html"]))
                turns.append(ChatTurn(str(item["question_html"]), shown, answer,
                                      tuple(item.get("passages") or ()), error))
            except (AttributeError, KeyError, TypeError, ValueError):
                continue  # written by another version of the page: leave it out
        if not turns:
            return (gr.skip(),) * 7
        remember(request, turns)
        answer = last_answer(turns)
        choices = fmt.citation_choices(answer, len(turns)) if answer is not None else []
        first = choices[0][1] if choices else None
        return (render(turns), turns, gr.skip(), fmt.sources_html(answer, lab),
                gr.update(choices=choices, value=first, visible=bool(choices)),
                article_view(answer, first), fmt.passages_html(turns[-1].passages, lab))

    def clear(request: gr.Request = None) -> tuple[Any, ...]:  # type: ignore[assignment]
        remember(request, [])
        return ([], [], "", fmt.sources_html(None, lab),
                gr.update(choices=[], value=None, visible=False), fmt.article_placeholder(lab),
                fmt.passages_html([], lab), [])

    def vote(turns: list[ChatTurn], data: gr.LikeData) -> None:
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        position = int(index) // 2
        if not (0 <= position < len(turns)) or turns[position].answer is None:
            return
        if data.liked not in (True, False):
            gr.Info(lab["feedback_removed"], duration=3)
            return
        feedback_store().record(turns[position].answer, bool(data.liked))  # type: ignore[arg-type]
        gr.Info(lab["feedback_saved_up"] if data.liked else lab["feedback_saved_down"], duration=3)

    def library_outputs(summary: str | Any = None) -> tuple[Any, ...]:
        articles = list(engine.library.snapshot.articles.values())
        return (fmt.library_html(articles, lab),
                gr.update(choices=fmt.library_choices(articles, lab), value=None),
                gr.skip() if summary is None else summary)

    def upload(paths: list[str] | None, progress: gr.Progress = gr.Progress()  # noqa: B008 (how Gradio injects it)
               ) -> tuple[Any, ...]:
        if not paths:
            return (*library_outputs(f'<div class="aqa-empty">{fmt.esc(lab["upload_none"])}</div>'),
                    gr.skip())
        progress(0.05, desc=lab["upload_reading"])
        files: list[SourceFile] = []
        refused: list[Rejected] = []
        for raw in paths:
            path = Path(raw)
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    refused.append(Rejected.of(path.name, too_large(path.name)))
                    continue
                files.append(SourceFile(name=path.name, source=f"upload:{path.name}",
                                        data=path.read_bytes()))
            except OSError as exc:
                refused.append(Rejected.of(path.name, unreadable(path.name, exc)))
        try:  # a background job: the bar follows it, and other uploads and questions go on
            job = engine.jobs.submit(files=files, rejected=refused)
            while not job.wait(0.1):
                progress(job.progress, desc=fmt.job_progress_text(job, lab))
            report = job.final_report()
        except ArticleQAError as exc:
            return (*library_outputs(fmt.error_html(exc, lab)), gr.skip())
        progress(1.0, desc=lab["upload_done"])
        return (*library_outputs(fmt.ingest_summary_html(report, lab)), None)

    def show_jobs(seen: int) -> tuple[Any, ...]:
        """Every ingest job's progress (uploads from the page or the API); the library list is
        refreshed when a job has committed something since the last look."""
        jobs = engine.jobs.all()
        committed = sum(j.articles_committed for j in jobs)
        if committed == seen:
            return fmt.jobs_html(jobs, lab), gr.skip(), gr.skip(), seen
        return fmt.jobs_html(jobs, lab), *library_outputs()[:2], committed

    def remove(article_id: str | None) -> tuple[Any, ...]:
        if not article_id:
            return library_outputs(f'<div class="aqa-empty">{fmt.esc(lab["remove_none"])}</div>')
        try:
            report = engine.library.remove([article_id])
        except ArticleQAError as exc:
            return library_outputs(fmt.error_html(exc, lab))
        return library_outputs(fmt.ingest_summary_html(report, lab))

    # ----- layout -----
    with gr.Blocks(title=lab["title"], fill_width=False, analytics_enabled=False) as app:
        gr.HTML(f'<header class="aqa-header" lang="{lang}"><h1>{fmt.esc(lab["title"])}</h1>'
                f'<p>{fmt.esc(lab["subtitle"])}</p>{language_links(lang, lab)}</header>',
                elem_id="aqa-header", js_on_load=None)
        turns_state = gr.State([])
        #: The conversation, kept in the browser's storage so that a reload does not lose it.
        saved = gr.BrowserState([], storage_key="articleqa-conversation",
                                secret=browser_secret)
        jobs_seen = gr.State(0)  # articles committed by jobs when the library list was last drawn
        with gr.Tabs(elem_id="aqa-tabs"):
            with (gr.Tab(lab["tab_chat"], id="chat", elem_id="aqa-tab-chat"),
                  gr.Row(equal_height=False, elem_id="aqa-main")):
                with gr.Column(scale=3, min_width=320, elem_id="aqa-chat-col"):
                    chatbot = gr.Chatbot(
                        label=lab["chat_label"], show_label=False, elem_id="aqa-chat",
                        height=520, layout="bubble", latex_delimiters=[],
                        placeholder=f'<div class="aqa-placeholder">'
                                    f'{fmt.esc(lab["chat_placeholder"])}</div>',
                        feedback_options=("Like", "Dislike"), buttons=[],
                        autoscroll=True, line_breaks=False,
                    )
                    with gr.Row(elem_id="aqa-ask-row", equal_height=True):
                        question = gr.Textbox(
                            label=lab["question_label"], show_label=False,
                            placeholder=lab["question_placeholder"],
                            lines=1, max_lines=4, scale=5, min_width=150, autofocus=True,
                            elem_id="aqa-question", container=False)
                        ask_button = gr.Button(lab["ask"], variant="primary", scale=1,
                                               min_width=72, elem_id="aqa-ask")
                    with gr.Row(elem_id="aqa-examples-row"):
                        gr.HTML(f'<span class="aqa-examples-label">{fmt.esc(lab["examples"])}'
                                "</span>", js_on_load=None, elem_classes=["aqa-inline"])
                        example_buttons = [
                            gr.Button(q, size="sm", variant="secondary", min_width=60,
                                      scale=0, elem_classes=["aqa-example", "aqa-content"])
                            for q in examples(lang)
                        ]
                        clear_button = gr.Button(lab["clear"], size="sm", variant="secondary",
                                                 scale=0, min_width=60, elem_id="aqa-clear")
                with gr.Column(scale=2, min_width=300, elem_id="aqa-side-col"):
                    gr.HTML(f'<h2 class="aqa-h2">{fmt.esc(lab["sources"])}</h2>',
                            js_on_load=None)
                    sources = gr.HTML(fmt.sources_html(None, lab), elem_id="aqa-sources",
                                      js_on_load=None)
                    citation = gr.Radio(choices=[], value=None, label=lab["open_citation"],
                                        visible=False, elem_id="aqa-citations", container=False,
                                        elem_classes=["aqa-content"])  # "[n] title"
                    article = gr.HTML(fmt.article_placeholder(lab), elem_id="aqa-article",
                                      js_on_load=ARTICLE_JS)
                    with gr.Accordion(lab["passages"], open=False, elem_id="aqa-passages"):
                        passages = gr.HTML(fmt.passages_html([], lab), js_on_load=None)
            with (gr.Tab(lab["tab_library"], id="library", elem_id="aqa-tab-library"),
                  gr.Row(equal_height=False)):
                with gr.Column(scale=3, min_width=320):
                    gr.HTML(f'<h2 class="aqa-h2">{fmt.esc(lab["library_heading"])}</h2>',
                            js_on_load=None)
                    library = gr.HTML(elem_id="aqa-library", js_on_load=None)
                with gr.Column(scale=2, min_width=300):
                    gr.HTML(f'<h2 class="aqa-h2">{fmt.esc(lab["upload_heading"])}</h2>',
                            js_on_load=None)
                    files = gr.File(label=lab["upload_label"], file_count="multiple",
                                    type="filepath",
                                    elem_id="aqa-upload", height=140)
                    upload_button = gr.Button(lab["upload_button"], variant="primary",
                                              elem_id="aqa-upload-button")
                    summary = gr.HTML(elem_id="aqa-upload-summary", js_on_load=None)
                    jobs_panel = gr.HTML(elem_id="aqa-jobs", js_on_load=None)
                    jobs_timer = gr.Timer(2.0)
                    gr.HTML(f'<h2 class="aqa-h2">{fmt.esc(lab["remove_heading"])}</h2>',
                            js_on_load=None)
                    remove_choice = gr.Dropdown(choices=[], value=None, label=lab["remove_label"],
                                                elem_id="aqa-remove-choice")
                    remove_button = gr.Button(lab["remove_button"], variant="stop",
                                              elem_id="aqa-remove-button")

        # ----- events -----
        chat_outputs = [chatbot, turns_state, question, sources, citation, article, passages]
        # Asking and clearing also write the conversation the browser keeps (`saved`).
        asked_outputs = [*chat_outputs, saved]
        # "multiple": a question sent while another is answered is queued, never dropped. The
        # box is emptied in the browser as the question leaves (its value is already taken), so
        # whatever is typed next is never wiped by an answer arriving later.
        for send in (question.submit, ask_button.click):
            send(ask, [question, turns_state], asked_outputs, show_progress="hidden",
                 trigger_mode="multiple", js=SEND_JS)
        for button, text in zip(example_buttons, examples(lang), strict=True):
            button.click(example_asker(text), [turns_state], asked_outputs,
                         show_progress="hidden", trigger_mode="multiple")
        clear_button.click(clear, None, asked_outputs, queue=False, show_progress="hidden")
        chatbot.clear(clear, None, asked_outputs, queue=False, show_progress="hidden")
        app.load(restore, [saved], chat_outputs, show_progress="hidden")
        citation.input(choose_citation, [citation, turns_state], article, show_progress="hidden")
        chatbot.like(vote, [turns_state], None, show_progress="hidden")
        library_out = [library, remove_choice, summary]
        upload_button.click(upload, [files], [*library_out, files], show_progress="full")
        remove_button.click(remove, [remove_choice], library_out)
        jobs_timer.tick(show_jobs, [jobs_seen], [jobs_panel, library, remove_choice, jobs_seen],
                        show_progress="hidden")
        app.load(lambda: library_outputs(), None, library_out, show_progress="hidden")
    return app
