"""Pure formatting: qa's records in, HTML for the page out. No retrieval or scoring happens here.

Chat messages are emitted as one line of HTML (a single Markdown HTML block), so the Markdown
renderer leaves the escaped text alone and nothing from an article is ever read as markup.
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from index.ingest import BUILTIN_SOURCE
from qa.records import Answer, Citation, Hit

if TYPE_CHECKING:  # the library module pulls in FAISS; formatting needs only the field names
    from index.errors import ArticleQAError
    from index.jobs import IngestJob
    from index.library import IngestReport
    from index.records import Article

MARKER = re.compile(r"\s*\[(\d+)\]")


def esc(text: str) -> str:
    """HTML-escape text (quotes included) so article content can never become markup."""
    return html.escape(text, quote=True)


def content(text: str, tag: str = "span", cls: str = "") -> str:
    """Escaped content (an article's words, a title, a file name, the user's question) marked
    `translate="no"`: it stays in its own language whatever the page's."""
    attrs = f' class="{cls}"' if cls else ""
    return f'<{tag}{attrs} translate="no">{esc(text)}</{tag}>'


def _fill(template: str, **values_html: str) -> str:
    """A label with `{name}` fields filled by ready-made HTML (the label's own words escaped)."""
    out: list[str] = []
    for literal, name, _, _ in string.Formatter().parse(template):
        out.append(esc(literal))
        if name is not None:
            out.append(values_html[name])
    return "".join(out)


def error_text(code: str, params: Mapping[str, object], labels: Mapping[str, str]) -> str:
    """An error code (index.errors) in the page's language, with the values it carries; a code
    the page has no words for is said in general terms, never in English on a Chinese page."""
    template = labels.get(f"err_{code}")
    if template is None:
        return labels["err_error"]
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return labels["err_error"]


def _lines_html(text: str) -> str:
    """Escaped text with line breaks as <br> (no raw newlines: the message stays one HTML block)."""
    return "<br>".join(esc(line) for line in text.split("\n"))


def _with_markers(text: str, numbers: Iterable[int]) -> str:
    """Escaped text whose [n] citation markers (for known n) become marker chips."""
    known = set(numbers)
    out: list[str] = []
    last = 0
    for match in MARKER.finditer(text):
        n = int(match.group(1))
        if n not in known:
            continue
        out.append(_lines_html(text[last:match.start()]))
        out.append(f'<sup class="aqa-cite" data-n="{n}">[{n}]</sup>')
        last = match.end()
    out.append(_lines_html(text[last:]))
    return "".join(out)


def answer_from_dict(data: Mapping[str, Any]) -> Answer:
    """An Answer back from `Answer.as_dict()` (the stream's `final` event); passages stay out."""
    fields = ("n", "article_id", "title", "sentence_id", "start", "end", "text", "score")
    citations = tuple(Citation(**{k: c[k] for k in fields}) for c in data.get("citations") or [])
    return Answer(question=str(data["question"]), answer=str(data.get("answer") or ""),
                  short_answer=data.get("short_answer"), abstained=bool(data.get("abstained")),
                  citations=citations, passages=(), timings_ms=dict(data.get("timings_ms") or {}),
                  resolved_question=str(data.get("resolved_question") or ""),
                  kind=str(data.get("kind") or "factoid"))


def split_short_answer(answer: Answer) -> tuple[str | None, str]:
    """The short answer (when the text starts with it) and the rest of the answer text."""
    text = answer.answer.strip("\n")
    short = (answer.short_answer or "").strip()
    if short:
        first, _, rest = text.partition("\n")
        if first.strip() == short:
            return short, rest.strip("\n")
    return None, text


def answer_html(answer: Answer, labels: Mapping[str, str]) -> str:
    """The chat message for a finished answer: bold short answer, cited text, muted footnotes."""
    notes: list[str] = []
    if answer.resolved_question and answer.resolved_question.strip() != answer.question.strip():
        notes.append(_fill(labels["followup_note"], q=content(answer.resolved_question)))
    total = answer.timings_ms.get("total")
    if total is not None:
        notes.append(esc(labels["timing"].format(ms=total)))
    footer = f'<div class="aqa-note">{" · ".join(notes)}</div>' if notes else ""
    if answer.abstained:
        return ('<div class="aqa-msg aqa-abstain" role="note">'
                '<span class="aqa-abstain-icon" aria-hidden="true">⚠</span>'
                f'<div class="aqa-abstain-body"><div class="aqa-abstain-text" translate="no">'
                f'{_lines_html(answer.answer.strip())}</div>'
                f'<div class="aqa-note">{esc(labels["abstain_note"])}</div>{footer}</div></div>')
    numbers = [c.n for c in answer.citations]
    short, rest = split_short_answer(answer)
    parts = [f'<div class="aqa-msg aqa-answer aqa-kind-{esc(answer.kind)}">']
    badge = labels.get(f"kind_{answer.kind}")
    if badge:  # a summary, an explanation or a comparison says so; a plain answer needs no badge
        parts.append(f'<span class="aqa-kind-badge">{esc(badge)}</span>')
    if short is not None:
        parts.append(f'<p class="aqa-short"><strong translate="no">{esc(short)}</strong></p>')
    elif answer.short_answer and answer.short_answer in rest:
        # The short answer inside the text (no first line of its own): emphasise its first use.
        head, _, tail = rest.partition(answer.short_answer)
        rest_html = (_with_markers(head, numbers) + f"<strong>{esc(answer.short_answer)}</strong>"
                     + _with_markers(tail, numbers))
        parts.append(f'<p class="aqa-body" translate="no">{rest_html}</p>{footer}</div>')
        return "".join(parts)
    if rest:
        parts.append(f'<p class="aqa-body" translate="no">{_with_markers(rest, numbers)}</p>')
    parts.append(f"{footer}</div>")
    return "".join(parts)


def partial_html(text: str) -> str:
    """The chat message while an answer streams in: the text so far and a cursor."""
    return (f'<div class="aqa-msg aqa-streaming"><p class="aqa-body" translate="no">{_lines_html(text)}'
            '<span class="aqa-cursor" aria-hidden="true">▍</span></p></div>')


def error_html(error: ArticleQAError | tuple[str, Mapping[str, object]],
               labels: Mapping[str, str]) -> str:
    """The message shown when a question or an upload fails: the error (or its code and values)
    in the page's language."""
    code, params = error if isinstance(error, tuple) else (error.code, error.params)
    message = labels["error"].format(msg=error_text(code, params, labels))
    return ('<div class="aqa-msg aqa-abstain aqa-error" role="alert">'
            '<span class="aqa-abstain-icon" aria-hidden="true">✕</span>'
            f'<div class="aqa-abstain-body">{esc(message)}</div></div>')


def question_html(question: str) -> str:
    """The user's message, escaped."""
    return f'<div class="aqa-msg aqa-question" translate="no">{_lines_html(question)}</div>'


def chat_messages(turns: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """gr.Chatbot messages (role/content dicts) for (question HTML, answer HTML) turns."""
    messages: list[dict[str, str]] = []
    for question, answer in turns:
        messages.append({"role": "user", "content": question})
        messages.append({"role": "assistant", "content": answer})
    return messages


def sources_html(answer: Answer | None, labels: Mapping[str, str]) -> str:
    """The cited sentences of the current answer, each with its article title."""
    if answer is None:
        return f'<div class="aqa-empty">{esc(labels["sources_empty"])}</div>'
    if answer.abstained or not answer.citations:
        return f'<div class="aqa-empty aqa-empty-warn">{esc(labels["sources_abstained"])}</div>'
    items = "".join(
        f'<li class="aqa-source" data-n="{c.n}"><span class="aqa-cite">[{c.n}]</span>'
        f'<div>{content(c.text, "div", "aqa-source-text")}'
        f'{content(c.title, "div", "aqa-source-title")}</div></li>'
        for c in answer.citations)
    hint = f'<div class="aqa-hint">{esc(labels["open_citation_hint"])}</div>'
    return f'<ol class="aqa-sources">{items}</ol>{hint}'


def citation_choices(answer: Answer | None, turn: int = 0) -> list[tuple[str, str]]:
    """Radio choices, one per citation: label `[n] title`, value `n@turn`.

    The turn number makes every answer's values new, so a fresh answer's first citation shows as
    selected even when the previous answer's selection was also `[1]`.
    """
    if answer is None or answer.abstained:
        return []
    return [(f"[{c.n}] {c.title}", f"{c.n}@{turn}") for c in answer.citations]


def find_citation(answer: Answer | None, choice: str | None) -> Citation | None:
    """The citation a radio value (`n@turn` or plain `n`) names, if any."""
    if answer is None or not choice:
        return None
    number = str(choice).partition("@")[0]
    return next((c for c in answer.citations if str(c.n) == number), None)


def _source_name(source: str) -> tuple[str, bool]:
    """An article's source key as a file name, and whether it is the built-in corpus."""
    if source == BUILTIN_SOURCE or source.startswith("builtin:"):
        return source.partition(":")[2], True
    if source.startswith("upload:"):
        return source.partition(":")[2], False
    return PurePath(source).name or source, False


def source_label(source: str, labels: Mapping[str, str]) -> str:
    """A short, readable name for an article's source key (plain text, for a dropdown)."""
    name, builtin = _source_name(source)
    return labels["with_kind"].format(name=name, kind=labels["source_builtin"]) if builtin else name


def source_html(source: str, labels: Mapping[str, str]) -> str:
    """`source_label` as HTML: the file name marked as content, the words around it the page's."""
    name, builtin = _source_name(source)
    if not builtin:
        return content(name)
    return _fill(labels["with_kind"], name=content(name), kind=esc(labels["source_builtin"]))


def article_html(article: Article, citations: Sequence[Citation], active: int | None,
                 labels: Mapping[str, str], reveal: bool = False) -> str:
    """An article with its cited sentences wrapped in <mark> at their exact character offsets.

    The active citation's mark gets id `aqa-mark-active` (the page scrolls it into view); other
    citations in the same article are marked too, more faintly. Offsets out of range or
    overlapping an earlier mark are skipped rather than guessed. `reveal` (the user chose this
    citation) asks the page to scroll the mark into view too, not just the article pane.
    """
    text = article.text
    spans = sorted((c for c in citations if c.article_id == article.id), key=lambda c: c.start)
    out: list[str] = []
    pos = 0
    for c in spans:
        if not (pos <= c.start < c.end <= len(text)):
            continue
        out.append(esc(text[pos:c.start]))
        is_active = c.n == active
        attrs = ('id="aqa-mark-active" class="aqa-mark aqa-active"' if is_active
                 else 'class="aqa-mark"')
        out.append(f'<mark {attrs} data-n="{c.n}"><sup class="aqa-cite">[{c.n}]</sup>'
                   f'{esc(text[c.start:c.end])}</mark>')
        pos = c.end
    out.append(esc(text[pos:]))
    meta = (f'{esc(labels["col_source"])}: {source_html(article.source, labels)} · '
            f'{esc(labels["col_sentences"])}: {len(article.sentences)}')
    return (f'<article class="aqa-article" data-article-id="{esc(article.id)}"'
            f' data-reveal="{1 if reveal else 0}">'
            f'{content(article.title, "h3", "aqa-article-title")}'
            f'<div class="aqa-article-meta">{meta}</div>'
            f'<div class="aqa-article-text" translate="no">{"".join(out)}</div></article>')


def article_placeholder(labels: Mapping[str, str]) -> str:
    """What the article pane shows before a citation is chosen."""
    return f'<div class="aqa-empty">{esc(labels["article_empty"])}</div>'


def passages_html(hits: Sequence[Hit] | Sequence[Mapping[str, object]],
                  labels: Mapping[str, str]) -> str:
    """The retrieved passages with rank, score and title, as a table."""
    if not hits:
        return f'<div class="aqa-empty">{esc(labels["passages_empty"])}</div>'
    rows = []
    for hit in hits:
        if isinstance(hit, Hit):
            rank, score, title, text = hit.rank, hit.score, hit.passage.title, hit.passage.text
        else:
            rank, score = hit["rank"], hit["score"]
            title, text = str(hit["title"]), str(hit["text"])
        rows.append(f'<tr><td class="aqa-num">{esc(str(rank))}</td>'
                    f'<td class="aqa-num">{float(score):.3f}</td>'  # type: ignore[arg-type]
                    f'<td>{content(title, "div", "aqa-passage-title")}'
                    f'{content(text, "div", "aqa-passage-text")}</td></tr>')
    head = (f'<tr><th class="aqa-num">{esc(labels["col_rank"])}</th>'
            f'<th class="aqa-num">{esc(labels["col_score"])}</th>'
            f'<th>{esc(labels["col_passage"])}</th></tr>')
    return (f'<table class="aqa-table aqa-passages"><thead>{head}</thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def format_time(stamp: str) -> str:
    """An ISO timestamp as `YYYY-MM-DD HH:MM ±HH:MM` (its zone as an offset: digits read the
    same in every language); the raw text when unparsable."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    offset = moment.strftime("%z")
    zone = f" {offset[:3]}:{offset[3:]}" if offset else ""
    return moment.strftime("%Y-%m-%d %H:%M") + zone


def sorted_articles(articles: Iterable[Article]) -> list[Article]:
    """Articles in a stable display order: by source, then title."""
    return sorted(articles, key=lambda a: (a.source != BUILTIN_SOURCE, a.source, a.title))


def library_html(articles: Iterable[Article], labels: Mapping[str, str]) -> str:
    """The indexed articles as a table: title, sentences, source file, ingestion time."""
    items = sorted_articles(articles)
    if not items:
        return f'<div class="aqa-empty">{esc(labels["library_empty"])}</div>'
    rows = "".join(
        f'<tr data-article-id="{esc(a.id)}">{content(a.title, "td", "aqa-title-cell")}'
        f'<td class="aqa-num">{len(a.sentences)}</td>'
        f'<td>{source_html(a.source, labels)}</td>'
        f'<td class="aqa-nowrap"><time datetime="{esc(a.ingested_at)}">'
        f'{esc(format_time(a.ingested_at))}</time></td></tr>'
        for a in items)
    head = "".join(f"<th{cls}>{esc(labels[key])}</th>" for key, cls in (
        ("col_title", ""), ("col_sentences", ' class="aqa-num"'), ("col_source", ""),
        ("col_ingested", "")))
    count = esc(labels["library_count"].format(n=len(items)))
    return (f'<div class="aqa-count">{count}</div><div class="aqa-table-wrap">'
            f'<table class="aqa-table aqa-library"><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>")


def library_choices(articles: Iterable[Article], labels: Mapping[str, str]) -> list[tuple[str, str]]:
    """Dropdown choices for removing an article: label `title — source`, value the article id."""
    return [(f"{a.title} — {source_label(a.source, labels)}", a.id) for a in sorted_articles(articles)]


def ingest_summary_html(report: IngestReport, labels: Mapping[str, str]) -> str:
    """What an upload or removal did: added, updated, unchanged, removed and rejected files."""
    sections: list[str] = []
    for key, names, cls in (("added", report.added, "ok"), ("updated", report.updated, "ok"),
                            ("unchanged", report.unchanged, "muted"),
                            ("removed", report.removed, "muted")):
        if names:
            items = "".join(f"<li>{content(name)}</li>" for name in names)
            title = esc(labels["with_count"].format(label=labels[key], n=len(names)))
            sections.append(f'<div class="aqa-report-{cls}"><strong>{title}</strong>'
                            f"<ul>{items}</ul></div>")
    if report.rejected:
        items = "".join(f"<li>{content(r.name, 'strong')}: "
                        f"{esc(error_text(r.code, r.params, labels))}</li>"
                        for r in report.rejected)
        title = esc(labels["with_count"].format(label=labels["rejected"], n=len(report.rejected)))
        sections.append(f'<div class="aqa-report-warn"><strong>⚠ {title}</strong>'
                        f"<ul>{items}</ul></div>")
    if not sections:
        sections.append(f'<div class="aqa-report-muted">{esc(labels["nothing_changed"])}</div>')
    return f'<div class="aqa-report">{"".join(sections)}</div>'


def job_progress_text(job: IngestJob, labels: Mapping[str, str]) -> str:
    """One line for the progress bar of an upload job: its stage, counts and time left."""
    if job.state == "queued":
        return labels["upload_queued"]
    if job.stage == "reading":
        return labels["upload_reading"]
    if job.stage == "committing" or (job.texts_total and job.texts_embedded >= job.texts_total):
        return labels["upload_committing"]
    text = labels["upload_embedding"].format(done=job.texts_embedded, total=job.texts_total)
    eta = job.eta_s
    if eta is not None:
        minutes, seconds = divmod(int(round(eta)), 60)
        left = (labels["duration_m"].format(m=minutes, s=seconds) if minutes
                else labels["duration_s"].format(s=seconds))
        text += labels["upload_eta"].format(eta=left)
    return text


#: How long a finished job stays in the page's progress list.
JOB_SHOWN_AFTER_S = 600


def jobs_html(jobs: Iterable[IngestJob], labels: Mapping[str, str], limit: int = 5) -> str:
    """The running and recently finished ingest jobs (from the page or the API), newest first,
    each with its files, a progress bar and what it has done; empty when there are none."""
    now = datetime.now(UTC)
    shown = [j for j in jobs if not j.finished or (
        j.finished_at and (now - datetime.fromisoformat(j.finished_at)).total_seconds()
        < JOB_SHOWN_AFTER_S)][:limit]
    if not shown:
        return ""
    rows = []
    for job in shown:
        names = [f.name for f in job.files]
        label = content(", ".join(names[:2]))
        if len(names) > 2:
            label += " " + esc(labels["job_more_files"].format(n=len(names) - 2))
        if not job.finished:
            detail = job_progress_text(job, labels)
        elif job.error:
            detail = error_text(job.error_code, job.error_params, labels)
        else:
            detail = labels["job_articles"].format(done=job.articles_committed,
                                                   total=job.articles_total)
        if not job.finished and job.articles_total:
            detail += " · " + labels["job_articles"].format(done=job.articles_committed,
                                                           total=job.articles_total)
        rows.append(
            f'<li class="aqa-job aqa-job-{esc(job.state)}" data-job-id="{esc(job.id)}">'
            f'<div><strong>{esc(labels["job_" + job.state])}</strong> {label}</div>'
            f'<progress max="1" value="{job.progress:.3f}"></progress>'
            f'<div class="aqa-job-detail">{esc(detail)}</div></li>')
    return (f'<h3 class="aqa-h3">{esc(labels["jobs_heading"])}</h3>'
            f'<ul class="aqa-jobs">{"".join(rows)}</ul>')
