"""The page's pure formatting: answers, citations, highlighted articles, tables, labels (no model)."""

from __future__ import annotations

import pytest

from index.ingest import Rejected
from index.library import IngestReport
from index.records import Article, Passage, Sentence
from qa.records import Answer, Citation, Hit
from ui import format as fmt
from ui.labels import LANGUAGES, examples, labels, normalize_language

ZH = labels("zh-Hant")
EN = labels("en")
TEXT = "第一句話。閻家山TOD項目總投資26億元。<b>第三句</b>＆更多。"
S1 = TEXT.index("閻")
S2 = TEXT.index("<b>")


def _article(text: str = TEXT, article_id: str = "a1", title: str = "雁山 <新聞>",
             source: str = "builtin:qingdao-evening-news-page.txt") -> Article:
    sentences = (Sentence(0, 0, S1, text[0:S1]), Sentence(1, S1, S2, text[S1:S2]),
                 Sentence(2, S2, len(text), text[S2:]))
    return Article(id=article_id, title=title, text=text, source=source, content_hash="h",
                   sentences=sentences, ingested_at="2026-11-25T15:55:49+00:00")


def _citation(n: int, start: int, end: int, article_id: str = "a1", text: str | None = None) -> Citation:
    return Citation(n=n, article_id=article_id, title="雁山 <新聞>", sentence_id=f"{article_id}:{n}",
                    start=start, end=end, text=TEXT[start:end] if text is None else text, score=1.0)


def _answer(**changes: object) -> Answer:
    base: dict[str, object] = dict(
        question="閻家山TOD項目總投資多少？",
        answer="26億元\n\n閻家山TOD項目總投資26億元。 [1]",
        short_answer="26億元", abstained=False, citations=(_citation(1, S1, S2),), passages=(),
        timings_ms={"total": 42.0}, resolved_question="閻家山TOD項目總投資多少？")
    base.update(changes)
    return Answer(**base)  # type: ignore[arg-type]


def test_answer_html_bolds_the_short_answer_and_marks_citations() -> None:
    html = fmt.answer_html(_answer(), ZH)
    assert '<p class="aqa-short"><strong translate="no">26億元</strong></p>' in html
    assert '<sup class="aqa-cite" data-n="1">[1]</sup>' in html
    assert " [1]" not in html  # the plain marker became a chip
    assert "\n" not in html  # one Markdown HTML block: nothing inside is read as Markdown
    assert "42 毫秒" in html
    assert "aqa-abstain" not in html


def test_answer_html_escapes_markup_in_the_answer() -> None:
    html = fmt.answer_html(_answer(answer="x\n\n<script>alert(1)</script> *y* [1]", short_answer="x"),
                           EN)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_answer_html_without_a_short_answer_line() -> None:
    html = fmt.answer_html(_answer(answer="閻家山TOD項目總投資26億元。 [1]", short_answer=None), ZH)
    assert "aqa-short" not in html and "<strong>" not in html
    assert html.count("aqa-cite") == 1
    inline = fmt.answer_html(_answer(answer="總投資26億元。 [1]", short_answer="26億元"), ZH)
    assert "總投資<strong>26億元</strong>。" in inline


def test_unknown_markers_stay_text() -> None:
    html = fmt.answer_html(_answer(answer="26億元\n\n見 [7] 與 [1]"), ZH)
    assert "[7]" in html and 'data-n="7"' not in html


def test_abstention_looks_different_and_has_no_citations() -> None:
    answer = _answer(answer="The articles do not say.", short_answer=None, abstained=True,
                     citations=())
    html = fmt.answer_html(answer, EN)
    assert "aqa-abstain" in html and "⚠" in html
    assert "aqa-cite" not in html and "<strong>" not in html
    assert EN["abstain_note"] in html
    assert EN["sources_abstained"] in fmt.sources_html(answer, EN)
    assert fmt.citation_choices(answer, 3) == []


def test_followup_shows_the_resolved_question() -> None:
    answer = _answer(question="那青科大TOD呢？", resolved_question="青科大TOD項目總投資多少？")
    assert '理解為：<span translate="no">青科大TOD項目總投資多少？</span>' in fmt.answer_html(answer, ZH)
    assert "理解為" not in fmt.answer_html(_answer(), ZH)


def test_partial_and_question_messages_are_escaped_single_lines() -> None:
    partial = fmt.partial_html("26億元\n\n<i>閻家山")
    assert "26億元<br><br>&lt;i&gt;閻家山" in partial and "aqa-cursor" in partial
    assert fmt.question_html("a <b>\nb") == (
        '<div class="aqa-msg aqa-question" translate="no">a &lt;b&gt;<br>b</div>')
    assert fmt.chat_messages([("q", "a")]) == [{"role": "user", "content": "q"},
                                               {"role": "assistant", "content": "a"}]


def test_sources_list_each_cited_sentence_with_its_title() -> None:
    html = fmt.sources_html(_answer(), ZH)
    assert "閻家山TOD項目總投資26億元。" in html
    assert "雁山 &lt;新聞&gt;" in html
    assert ZH["sources_empty"] in fmt.sources_html(None, ZH)


def test_citation_choices_and_lookup() -> None:
    answer = _answer(citations=(_citation(1, S1, S2), _citation(2, 0, S1)))
    choices = fmt.citation_choices(answer, 4)
    assert choices == [("[1] 雁山 <新聞>", "1@4"), ("[2] 雁山 <新聞>", "2@4")]
    assert fmt.find_citation(answer, "2@4") == answer.citations[1]
    assert fmt.find_citation(answer, "2") == answer.citations[1]
    assert fmt.find_citation(answer, "9@4") is None
    assert fmt.find_citation(answer, None) is None
    assert fmt.find_citation(None, "1@0") is None


def test_article_html_marks_the_exact_span_and_escapes_text() -> None:
    article = _article()
    citations = (_citation(1, S1, S2), _citation(2, 0, S1), _citation(3, 0, 4, article_id="other"))
    html = fmt.article_html(article, citations, active=1, labels=ZH)
    active = ('<mark id="aqa-mark-active" class="aqa-mark aqa-active" data-n="1">'
              '<sup class="aqa-cite">[1]</sup>閻家山TOD項目總投資26億元。</mark>')
    assert active in html
    assert '<mark class="aqa-mark" data-n="2"><sup class="aqa-cite">[2]</sup>第一句話。</mark>' in html
    assert "[3]" not in html  # a citation of another article is not marked here
    assert "&lt;b&gt;第三句&lt;/b&gt;＆更多。" in html and "<b>" not in html
    assert html.count("id=\"aqa-mark-active\"") == 1
    assert '<h3 class="aqa-article-title" translate="no">雁山 &lt;新聞&gt;</h3>' in html
    assert "<span translate=\"no\">qingdao-evening-news-page.txt</span>（內建語料）" in html


def test_article_html_skips_bad_or_overlapping_offsets() -> None:
    article = _article()
    html = fmt.article_html(article, (_citation(1, S1, S2), _citation(2, S1 + 3, S1 + 5),
                                      _citation(3, 50, 400, text="x")), active=2, labels=EN)
    assert html.count("<mark") == 1 and "aqa-mark-active" not in html
    plain = html.replace('<mark class="aqa-mark" data-n="1"><sup class="aqa-cite">[1]</sup>', "")
    assert "第一句話。閻家山TOD項目總投資26億元。</mark>&lt;b&gt;" in plain


def test_passages_table_from_hits_and_dicts() -> None:
    passage = Passage(id="p1", article_id="a1", title="T <1>", first_sentence=0, last_sentence=1,
                      start=0, end=5, text="第一句話。")
    hit = Hit(rank=1, score=0.87654, passage=passage)
    from_hits = fmt.passages_html([hit], ZH)
    assert "0.877" in from_hits and "T &lt;1&gt;" in from_hits and ZH["col_score"] in from_hits
    assert fmt.passages_html([hit.as_dict()], ZH) == from_hits
    assert ZH["passages_empty"] in fmt.passages_html([], ZH)


def test_library_table_and_choices() -> None:
    upload = _article(article_id="b2", title="Harbour <Library>", source="upload:harbour.md")
    on_disk = _article(article_id="c3", title="Disk", source="/data/news/disk.txt")
    builtin = _article()
    html = fmt.library_html([upload, on_disk, builtin], EN)
    assert html.index("雁山") < html.index("Disk") < html.index("Harbour")  # built-in first
    assert "Harbour &lt;Library&gt;" in html and "harbour.md" in html and "disk.txt" in html
    assert '<span translate="no">qingdao-evening-news-page.txt</span> (built-in corpus)' in html
    assert '<time datetime="2026-11-25T15:55:49+00:00">2026-11-25 15:55 +00:00</time>' in html
    assert '<td class="aqa-title-cell" translate="no">Harbour &lt;Library&gt;</td>' in html
    assert EN["library_count"].format(n=3) in html
    assert EN["library_empty"] in fmt.library_html([], EN)
    choices = fmt.library_choices([upload, builtin], ZH)
    assert choices[0][1] == "a1" and choices[1] == ("Harbour <Library> — harbour.md", "b2")


def test_ingest_summary_lists_what_happened_with_reasons() -> None:
    from index.ingest import too_large, unsupported_type

    rejected = [Rejected.of("scan.jpg", unsupported_type("scan.jpg")),
                Rejected.of("huge.md", too_large("huge.md")), Rejected("odd.txt", "odd", "new")]
    report = IngestReport(added=["Harbour"], unchanged=["雁山"], rejected=rejected)
    html = fmt.ingest_summary_html(report, ZH)
    assert "新增（1）" in html and '<span translate="no">Harbour</span>' in html
    assert "未變更（已在文章庫中）（1）" in html
    assert "未收錄（3）" in html
    assert ('<strong translate="no">scan.jpg</strong>: 不支援的檔案類型（可用 .docx, .htm, .html, '
            '.markdown, .md, .pdf, .text, .txt）</li>') in html
    assert "檔案超過 20 MB 的上限" in html
    assert "odd.txt</strong>: " + ZH["err_error"] in html  # a code without words: never English
    assert "unsupported" not in html
    assert rejected[0].reason.startswith("unsupported file type (use ")  # the CLI's and API's
    english = fmt.ingest_summary_html(report, EN)
    assert "unsupported file type (use .docx" in english and "larger than 20 MB" in english
    assert ZH["nothing_changed"] in fmt.ingest_summary_html(IngestReport(), ZH)


def test_answer_from_dict_round_trips() -> None:
    answer = _answer(citations=(_citation(1, S1, S2),))
    again = fmt.answer_from_dict(answer.as_dict())
    assert again.citations == answer.citations
    assert (again.question, again.answer, again.short_answer, again.abstained) == (
        answer.question, answer.answer, answer.short_answer, answer.abstained)
    assert fmt.answer_html(again, ZH) == fmt.answer_html(answer, ZH)


def test_format_time_keeps_unparsable_text() -> None:
    assert fmt.format_time("2026-01-02T03:04:05+00:00") == "2026-01-02 03:04 +00:00"
    assert fmt.format_time("2026-01-02T03:04:05+08:00") == "2026-01-02 03:04 +08:00"
    assert fmt.format_time("2026-01-02T03:04:05") == "2026-01-02 03:04"
    assert fmt.format_time("yesterday") == "yesterday"


def test_labels_cover_every_language() -> None:
    assert LANGUAGES == ("zh-Hant", "zh-Hans", "en")
    assert set(labels("zh-Hant")) == set(labels("zh-Hans")) == set(labels("en"))
    for code, expected in (("zh-TW", "zh-Hant"), ("zh_Hant", "zh-Hant"), ("en-US", "en"),
                           (None, "zh-Hant"), ("EN", "en"), ("zh", "zh-Hant"), ("zh-HK", "zh-Hant"),
                           ("zh-CN", "zh-Hans"), ("zh_Hans", "zh-Hans"), ("zh-SG", "zh-Hans"),
                           ("zh-Hans-CN", "zh-Hans")):
        assert normalize_language(code) == expected, code
    with pytest.raises(ValueError, match="unsupported interface language"):
        normalize_language("fr")
    assert "閻家山TOD項目總投資多少？" in examples("zh-Hant")
    assert all(labels("zh-Hant")[k] != labels("en")[k] for k in ("title", "ask", "clear"))
    # The Simplified page says it in Simplified: every string is its own OpenCC t2s form.
    import opencc

    to_simplified = opencc.OpenCC("t2s")
    hans = labels("zh-Hans")
    assert all(to_simplified.convert(v) == v for v in hans.values()), [
        v for v in hans.values() if to_simplified.convert(v) != v]
    assert hans["title"] == "新闻问答" and hans["clear"] == "清除对话"


def _error_codes_in_source() -> set[str]:
    """Every error code the project can raise or record: `code=`/`error_code=` arguments,
    class-level `code = ...` of the errors, and the code given to a Rejected(...) directly."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    codes: set[str] = set()
    for path in [*root.glob("index/*.py"), *root.glob("qa/*.py"), *root.glob("api/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg in ("code", "error_code") and isinstance(kw.value, ast.Constant):
                        codes.add(kw.value.value)
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name == "Rejected" and len(node.args) >= 3 and isinstance(
                        node.args[2], ast.Constant):
                    codes.add(node.args[2].value)
            elif isinstance(node, ast.ClassDef) and path == root / "index" / "errors.py":
                for item in node.body:
                    target = item.targets[0] if isinstance(item, ast.Assign) else getattr(
                        item, "target", None)
                    value = getattr(item, "value", None)
                    if getattr(target, "id", "") == "code" and isinstance(value, ast.Constant):
                        codes.add(value.value)
    return {c for c in codes if isinstance(c, str)}


def test_every_error_code_has_words_in_every_language() -> None:
    codes = _error_codes_in_source()
    assert {"query_too_long", "unsupported_type", "pdf_no_text", "index_damaged",
            "no_file_ingested", "jobs_full", "error"} <= codes  # the scan finds them
    for language in LANGUAGES:
        missing = sorted(c for c in codes if f"err_{c}" not in labels(language))
        assert not missing, f"{language} has no words for error codes {missing}"


def test_errors_are_shown_in_the_page_language() -> None:
    from index.errors import EmptyQueryError, IndexCorruptError, InputError

    long = InputError("the query has 2996 characters; the limit is 2000", code="query_too_long",
                      chars=2996, limit=2000)
    assert long.code == "query_too_long" and "2996 characters" in str(long)
    zh = fmt.error_html(long, ZH)
    assert "問題有 2996 個字元，上限是 2000 個" in zh and "characters" not in zh
    assert "问题有 2996 个字符" in fmt.error_html(long, labels("zh-Hans"))
    assert "2996 characters; the limit is 2000" in fmt.error_html(long, EN)
    assert ZH["err_query_empty"] in fmt.error_html(EmptyQueryError("empty"), ZH)  # the class's
    assert ZH["err_index_damaged"] in fmt.error_html(IndexCorruptError("CURRENT is gone"), ZH)
    odd = InputError("something new", code="never_seen")
    assert ZH["err_error"] in fmt.error_html(odd, ZH) and "something" not in fmt.error_html(odd, ZH)
    missing_value = InputError("x", code="query_too_long")  # its template needs chars and limit
    assert ZH["err_error"] in fmt.error_html(missing_value, ZH)
    assert fmt.error_html(("query_empty", {}), ZH) == fmt.error_html(EmptyQueryError("e"), ZH)


def test_jobs_html_shows_running_and_recent_jobs_with_their_progress() -> None:
    from datetime import UTC, datetime

    from index.ingest import SourceFile
    from index.jobs import IngestJob
    from ui.format import jobs_html
    from ui.labels import labels

    files = [SourceFile(f"{n}.md", f"upload:{n}.md", b"x") for n in ("a", "b", "c")]
    running = IngestJob.create(files)
    running._set(state="running", stage="embedding", texts_total=200, texts_embedded=50,
                 articles_total=10, articles_committed=4)
    done = IngestJob.create([SourceFile("d.txt", "upload:d.txt", b"x")])
    done._set(state="done", finished_at=datetime.now(UTC).isoformat(), articles_total=1,
              articles_committed=1)
    old = IngestJob.create([SourceFile("e.txt", "upload:e.txt", b"x")])
    old._set(state="done", finished_at="2020-01-01T00:00:00+00:00")
    zh = jobs_html([running, done, old], labels("zh-Hant"))
    assert '進行中</strong> <span translate="no">a.md, b.md</span> 等 1 個檔案' in zh
    assert "嵌入段落與句子：50/200 · 4/10 篇已可搜尋" in zh and f'value="{running.progress:.3f}"' in zh
    assert "完成</strong> <span translate=\"no\">d.txt</span>" in zh and "1/1 篇已可搜尋" in zh
    assert old.id not in zh  # finished long ago: no longer listed
    assert jobs_html([old], labels("zh-Hant")) == ""
    en = jobs_html([running], labels("en"))
    assert 'Running</strong> <span translate="no">a.md, b.md</span> and 1 more files' in en
    assert "Embedding passages and sentences: 50/200 · 4 of 10 articles searchable" in en


def test_the_kind_of_answer_is_visible() -> None:
    summary = _answer(kind="summary", short_answer=None,
                      answer="雁山科技生態城發展願景發布\n閻家山TOD項目總投資26億元。 [1]")
    html = fmt.answer_html(fmt.answer_from_dict(summary.as_dict()), ZH)
    assert 'aqa-kind-summary' in html and '<span class="aqa-kind-badge">摘要</span>' in html
    assert "aqa-short" not in html
    assert "Summary" in fmt.answer_html(summary, labels("en"))
    plain = fmt.answer_html(_answer(), ZH)
    assert "aqa-kind-badge" not in plain and "aqa-kind-factoid" in plain
