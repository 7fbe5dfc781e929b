"""Acceptance test of the chat page in a real browser (Debian's Chromium, driven by Playwright).

The app runs in this process on a free port over a temporary copy of the default index, so the
upload never touches the shared built-in index. Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from real_files import CHROMIUM, print_to_pdf

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

pytestmark = [
    pytest.mark.slow,
    # Gradio's queue calls pandas APIs that pandas 3 deprecates; not this project's code.
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update"]
ANSWER_TIMEOUT_MS = 20_000

#: True once the active <mark> is scrolled inside the article pane and the pane is on screen.
MARK_IN_VIEW = """() => {
    const box = document.querySelector('#aqa-article .aqa-article-text');
    const mark = document.querySelector('#aqa-article #aqa-mark-active');
    if (!box || !mark) return false;
    const b = box.getBoundingClientRect(), m = mark.getBoundingClientRect();
    return m.top >= b.top - 1 && m.bottom <= b.bottom + 1 && m.top >= 0 && m.top < innerHeight;
}"""

HARBOUR_TITLE = "Harbour Library Opens on the Waterfront"
HARBOUR_HTML = f"""<!doctype html><html lang="en"><meta charset="utf-8"><body>
<h1>{HARBOUR_TITLE}</h1>
<p>The new Harbour Library opened on the Qingdao waterfront on Saturday. The library holds 48,250
books, including a large collection of maritime history. The reading room seats 640 visitors and
looks out over the harbour. Opening hours are from 9 a.m. to 9 p.m. every day.</p>
</body></html>"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(settings, embedder, builtin_library, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """The app over a temp copy of the default index, served on a free local port."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    from index import Library
    from qa import ArticleQA
    from qa.feedback import FeedbackStore
    from ui.app import warm_up
    from ui.pages import serve_pages

    root = tmp_path_factory.mktemp("ui")
    index_dir = root / "index"
    shutil.copytree(builtin_library.store.path, index_dir, ignore=shutil.ignore_patterns("*.lock"))
    local = settings.with_(index_dir=index_dir)
    engine = ArticleQA(local, library=Library(local, embedder=embedder, seed_builtin=True))
    warm_up(engine)
    feedback = FeedbackStore(root / "feedback.jsonl")
    port = _free_port()
    server = serve_pages(engine, port=port, feedback=feedback, block=False, quiet=True)
    try:
        yield {"url": f"http://127.0.0.1:{port}/", "feedback": feedback, "root": root}
    finally:
        server.close()


def _ask(page: Any, question: str, timings: dict[str, float] | None = None) -> Any:
    """Type a question, send it, and return the locator of the newest finished bot message."""
    from playwright.sync_api import expect

    before = page.locator("#aqa-chat .aqa-msg:is(.aqa-answer, .aqa-abstain)").count()
    box = page.locator("#aqa-question textarea")
    box.fill(question)
    started = time.perf_counter()
    box.press("Enter")
    done = page.locator("#aqa-chat .aqa-msg:is(.aqa-answer, .aqa-abstain)")
    expect(done).to_have_count(before + 1, timeout=ANSWER_TIMEOUT_MS)
    if timings is not None:
        timings[question] = time.perf_counter() - started
    return done.last


#: Records the progress lines the page shows while an upload job runs (Gradio's progress text).
PROGRESS_RECORDER = """() => {
  window.aqaProgressSeen = [];
  new MutationObserver(() => {
    for (const el of document.querySelectorAll('.progress-level-inner, .progress-text')) {
      const text = el.textContent.trim();
      if (text && !window.aqaProgressSeen.includes(text)) window.aqaProgressSeen.push(text);
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


#: Every string the page shows or names for screen readers, except content: what is marked
#: translate="no" (articles, titles, file names, questions and the answers to them) or is a
#: widget holding content (class aqa-content: example questions, citation choices).
UI_STRINGS = """() => {
  const skip = el => el.closest('[translate="no"], .aqa-content, script, style');
  const out = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    const text = node.textContent.trim();
    if (text && el && !skip(el) && el.checkVisibility()) out.push(text);
  }
  for (const el of document.querySelectorAll('[placeholder], [aria-label], [title], [alt]')) {
    if (skip(el)) continue;
    for (const name of ['placeholder', 'aria-label', 'title', 'alt']) {
      const value = el.getAttribute(name);
      if (value) out.push(value);
    }
  }
  return out;
}"""
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
FILE_TYPE = re.compile(r"\.[A-Za-z0-9]+\b")  # ".docx" names a file type in any language


def _assert_in_language(page: Any, language: str) -> None:
    """The page's interface (every shown string but content) is in `language` only: no Chinese
    on the English page, no Latin words on a Chinese one. A check over the rendered page."""
    strings = page.evaluate(UI_STRINGS)
    if language == "en":
        wrong = [s for s in strings if CJK.search(s)]
    else:
        wrong = [s for s in strings if LATIN_WORD.search(FILE_TYPE.sub("", s))]
    assert not wrong, f"{language} page shows strings in another language: {wrong[:10]}"
    assert len(strings) > 20, strings  # the page was really read


def _shot(page: Any, name: str, full_page: bool = False) -> None:
    """A screenshot once CSS transitions have finished (radio dots and toasts fade in)."""
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')",
                           timeout=5_000)
    page.wait_for_timeout(500)  # the last repaint after an update (a radio's dot) lags a little
    page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page)


def test_chat_page_end_to_end(served: dict[str, Any], tmp_path: Path) -> None:
    """Ask, open a citation, follow up, upload, ask about the upload, abstain, vote, phone view."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)  # two shared cores: a busy machine must not fail the test
    started = time.perf_counter()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    root_url: str = served["url"]
    url = root_url + "zh-Hant/"
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            # The Chinese page in an English browser: the page's language wins, Gradio's too.
            context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
            page = context.new_page()
            page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(
                (root_url, "data:", "blob:")) else None)
            page.goto(root_url)  # redirected to the default language's page
            page.wait_for_url(url)
            expect(page.locator("#aqa-question textarea")).to_be_visible(timeout=30_000)
            expect(page.get_by_text("新聞問答").first).to_be_visible()

            # 1. A question with a short answer and a citation, highlighted in its article.
            answer = _ask(page, "閻家山TOD項目總投資多少？")
            expect(answer.locator(".aqa-short strong")).to_contain_text("26億元")
            expect(answer.locator(".aqa-cite").first).to_have_text("[1]")
            page.locator("#aqa-citations label").filter(has_text="[1]").click()
            mark = page.locator("#aqa-article mark.aqa-active")
            expect(mark).to_contain_text("總投資26億元")
            page.wait_for_function(MARK_IN_VIEW, timeout=5_000)
            expect(page.locator("#aqa-sources")).to_contain_text("雁山科技生態城發展願景發布")
            chat = page.locator("#aqa-chat")
            expect(chat).not_to_contain_text("<div")
            expect(chat).not_to_contain_text("&lt;")
            _shot(page, "desktop-answer-highlight.png")

            # 2. A follow-up resolved with the conversation's history.
            timings: dict[str, float] = {}
            answer = _ask(page, "那青科大TOD呢？", timings)
            expect(answer).to_contain_text("3.5億元")
            expect(page.locator("#aqa-article mark.aqa-active")).to_contain_text("3.5億元")
            expect(page.locator("#aqa-citations input").first).to_be_checked()
            page.wait_for_function(MARK_IN_VIEW, timeout=5_000)
            _shot(page, "desktop-followup.png")

            # 3. Upload an English article as a PDF (printed by Chromium) in the library tab, plus
            #    a file it must reject.
            article = print_to_pdf(HARBOUR_HTML, tmp_path, "harbour-library")
            page.get_by_role("tab", name="文章庫").click()
            library = page.locator("#aqa-library")
            expect(library).to_contain_text("雁山科技生態城發展願景發布")
            scan = tmp_path / "scan.jpg"
            scan.write_bytes(b"\xff\xd8\xff\xe0 not an article")
            page.locator("#aqa-upload input[type=file]").set_input_files([str(article), str(scan)])
            expect(page.locator("#aqa-upload")).to_contain_text("harbour-library.pdf")
            page.evaluate(PROGRESS_RECORDER)
            page.locator("#aqa-upload-button").click()
            summary = page.locator("#aqa-upload-summary")
            expect(summary).to_contain_text(HARBOUR_TITLE, timeout=ANSWER_TIMEOUT_MS)
            seen = page.evaluate("() => window.aqaProgressSeen")
            stages = ("嵌入段落與句子", "寫入索引", "排隊等候中")  # the job's own stage lines
            assert any(stage in text for text in seen for stage in stages), seen
            expect(summary).to_contain_text("新增（1）")
            expect(summary.locator(".aqa-report-warn")).to_contain_text("scan.jpg")
            expect(summary.locator(".aqa-report-warn")).to_contain_text("不支援的檔案類型")
            expect(library).to_contain_text(HARBOUR_TITLE)
            jobs = page.locator("#aqa-jobs .aqa-job").first  # the upload's job, as every job shows
            expect(jobs).to_contain_text("harbour-library.pdf")
            expect(jobs).to_contain_text("完成")
            expect(jobs.locator("progress")).to_have_attribute("value", "1.000")
            _assert_in_language(page, "zh-Hant")  # the reasons a file was refused included
            _shot(page, "desktop-library.png", full_page=True)

            # 4. Ask about the uploaded article: the answer cites it.
            page.get_by_role("tab", name="問答").click()
            answer = _ask(page, "How many books does the Harbour Library hold?", timings)
            expect(answer).to_contain_text("48,250")
            expect(page.locator("#aqa-sources")).to_contain_text(HARBOUR_TITLE)

            # 5. Thumbs up on the first answer is stored on disk.
            like = page.locator("#aqa-chat .message-buttons-left").first.locator(
                "button[aria-label='讚'], button[aria-label='Like']")
            like.click()
            toast = page.get_by_text("已記錄：這個答案有幫助。")
            expect(toast).to_be_visible()
            store = served["feedback"]
            deadline = time.monotonic() + 10
            records: list[dict[str, Any]] = []
            while time.monotonic() < deadline:
                records = store.read()
                if records:
                    break
                time.sleep(0.1)
            assert records, f"no feedback written to {store.path}"
            assert records[-1]["vote"] == "up"
            assert records[-1]["question"] == "閻家山TOD項目總投資多少？"
            assert records[-1]["short_answer"] == "26億元"
            raw = store.path.read_text(encoding="utf-8").splitlines()
            assert json.loads(raw[-1])["citations"][0]["text"].find("總投資26億元") >= 0

            # 6. A question the articles do not cover (asked in a new conversation, so it is not read
            #    as a follow-up): the abstention looks different, no citations.
            page.get_by_role("button", name="清除對話").click()
            expect(page.locator("#aqa-chat .aqa-msg")).to_have_count(0)
            answer = _ask(page, "今天天氣怎麼樣？")
            expect(answer).to_have_class("aqa-msg aqa-abstain")
            expect(answer.locator(".aqa-cite")).to_have_count(0)
            expect(page.locator("#aqa-sources .aqa-empty-warn")).to_be_visible()
            expect(page.locator("#aqa-citations")).to_be_hidden()
            _shot(page, "desktop-abstention.png")

            # 6b. A summary of the whole library looks like one (a badge, a line per article,
            #     each cited), small talk gets a reply and no citation, and an error (a question
            #     over the length limit) is said in the page's language.
            answer = _ask(page, "總結一下所有文章")
            expect(answer).to_have_class(re.compile(r"\baqa-kind-summary\b"))
            expect(answer.locator(".aqa-kind-badge")).to_have_text("摘要")
            assert answer.locator(".aqa-cite").count() >= 3
            expect(answer).to_contain_text(HARBOUR_TITLE)  # the uploaded article has its line
            expect(page.locator("#aqa-sources li.aqa-source")).to_have_count(
                answer.locator(".aqa-cite").count())
            _shot(page, "desktop-summary.png")
            answer = _ask(page, "你好")
            expect(answer).to_have_class(re.compile(r"\baqa-kind-smalltalk\b"))
            expect(answer).to_contain_text("可以試著問")
            expect(answer.locator(".aqa-cite")).to_have_count(0)
            expect(page.locator("#aqa-citations")).to_be_hidden()
            answer = _ask(page, "問" * 2100)
            expect(answer).to_have_class(re.compile(r"\baqa-error\b"))
            expect(answer).to_contain_text("問題有 2100 個字元，上限是 2000 個")
            _assert_in_language(page, "zh-Hant")

            # 7. A phone-sized window: columns wrap, nothing overflows sideways.
            page.set_viewport_size({"width": 390, "height": 844})
            page.get_by_role("tab", name="問答").click()
            answer = _ask(page, "平安銀行青島分行的資產總額是多少？")
            expect(answer.locator(".aqa-short strong")).to_contain_text("807.42億元")
            expect(toast).to_be_hidden(timeout=8_000)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 392, f"the page is {width}px wide on a 390px screen"
            chat_box = page.locator("#aqa-chat").bounding_box()
            side_box = page.locator("#aqa-sources").bounding_box()
            assert chat_box and side_box and side_box["y"] >= chat_box["y"] + chat_box["height"] - 1
            _shot(page, "phone-390.png", full_page=True)

            # 8. Typing while an answer streams is kept; a question sent before the last one is
            #    answered waits its turn and is answered too, after it, in the same conversation.
            box = page.locator("#aqa-question textarea")
            before = page.locator("#aqa-chat .aqa-answer, #aqa-chat .aqa-abstain").count()
            box.fill("閻家山TOD項目總投資多少？")
            box.press("Enter")
            expect(box).to_have_value("")  # the question has left; the box is free at once
            box.fill("那青科大TOD呢？")  # typed while the first answer is on its way
            box.press("Enter")
            expect(box).to_have_value("")
            box.fill("還沒送出的問題")
            answers = page.locator("#aqa-chat .aqa-answer, #aqa-chat .aqa-abstain")
            expect(answers).to_have_count(before + 2, timeout=ANSWER_TIMEOUT_MS)
            expect(answers.nth(before)).to_contain_text("26億元")
            expect(answers.nth(before + 1)).to_contain_text("3.5億元")  # a follow-up of the first
            expect(box).to_have_value("還沒送出的問題")
            box.fill("")

            # 9. A reload keeps the conversation (stored in the browser); clearing really clears it.
            page.reload()
            messages = page.locator("#aqa-chat .aqa-msg")
            expect(page.locator("#aqa-chat")).to_contain_text("807.42億元", timeout=30_000)
            expect(page.locator("#aqa-chat .aqa-abstain:not(.aqa-error)")).to_have_count(1)
            expect(page.locator("#aqa-chat .aqa-error")).to_contain_text("上限是 2000 個")
            expect(page.locator("#aqa-chat")).to_contain_text("那青科大TOD呢？")
            expect(page.locator("#aqa-sources")).to_contain_text("總投資3.5億元")  # the last turn's

            # 10. Another language from the page's links: the same conversation, in its words.
            page.get_by_role("link", name="简体中文").click()
            page.wait_for_url(root_url + "zh-Hans/")
            expect(page.locator("#aqa-chat")).to_contain_text("807.42億元", timeout=30_000)
            expect(page.get_by_role("button", name="清除对话")).to_be_visible()
            expect(page.locator("#aqa-chat .aqa-kind-badge").first).to_have_text("摘要")
            expect(page.locator("#aqa-chat .aqa-error")).to_contain_text("上限是 2000 个")
            _assert_in_language(page, "zh-Hans")
            page.get_by_role("link", name="繁體中文").click()
            page.wait_for_url(url)
            expect(page.locator("#aqa-chat")).to_contain_text("807.42億元", timeout=30_000)
            page.get_by_role("button", name="清除對話").click()
            expect(messages).to_have_count(0)
            page.wait_for_timeout(500)  # the cleared conversation is stored
            page.reload()
            expect(page.locator("#aqa-question textarea")).to_be_visible(timeout=30_000)
            page.wait_for_timeout(1_500)  # what a reload would restore has had time to appear
            expect(messages).to_have_count(0)
            context.close()

            # 11. The English page in a Chinese browser: Gradio's own widgets speak English too.
            context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-TW")
            page = context.new_page()
            page.goto(root_url + "en/")
            expect(page.locator("#aqa-question textarea")).to_be_visible(timeout=30_000)
            answer = _ask(page, "How many books does the Harbour Library hold?")
            expect(answer).to_contain_text("48,250")
            answer = _ask(page, "閻家山TOD項目總投資多少？")  # Chinese content, English interface
            expect(answer.locator(".aqa-short strong")).to_contain_text("26億元")
            _assert_in_language(page, "en")
            page.get_by_role("tab", name="Library").click()
            expect(page.locator("#aqa-library")).to_contain_text(HARBOUR_TITLE)
            _assert_in_language(page, "en")
            _shot(page, "desktop-english.png")
        finally:
            browser.close()
    assert not outside, f"the page tried to reach the network: {outside[:5]}"
    print("seconds from Enter to a finished answer in the page:", timings)
    # Warm engine, local server: well under a second each (a generous bound for shared CI cores).
    assert max(timings.values()) < 5.0, timings  # English over new passages pays USE's rerank
    assert time.perf_counter() - started < 120


def test_build_app_leaves_a_loading_engine_alone() -> None:
    """The page can be built before the engine exists (the HTTP server mounts it while loading)."""
    from ui.app import build_app, launch_kwargs

    class Untouchable:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"build_app touched engine.{name}")

    for language, title in (("zh-Hant", "新聞問答"), ("zh-Hans", "新闻问答"), ("en", "News Q&A")):
        app = build_app(Untouchable(), language=language)  # type: ignore[arg-type]
        assert app.title == title
    assert {"theme", "css"} <= set(launch_kwargs())


def test_history_passes_earlier_answers_for_followups() -> None:
    """Follow-ups get the earlier turns as question/answer dicts with the articles they cited (first
    cited first, once each); failed turns are left out."""
    from qa.records import Answer, Citation
    from ui.app import ChatTurn, history_of

    cited = [Citation(n=n, article_id=a, title="t", sentence_id=f"{a}:{n}", start=0, end=1, text="x",
                      score=1.0)
             for n, a in ((1, "a2"), (2, "a1"), (3, "a2"))]
    answer = Answer(question="閻家山TOD項目總投資多少？", answer="26億元\n\n... [1]", short_answer="26億元",
                    abstained=False, citations=tuple(cited), passages=(), resolved_question="")
    turns = [ChatTurn("q", "a", answer), ChatTurn("q2", "error", None)]
    assert history_of(turns) == [{"question": "閻家山TOD項目總投資多少？", "answer": "26億元",
                                  "resolved_question": "閻家山TOD項目總投資多少？",
                                  "article_ids": ["a2", "a1"]}]
