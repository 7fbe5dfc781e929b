"""Interface strings in Traditional Chinese (the default, like the articles) and English."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

DEFAULT_LANGUAGE: Final = "zh-Hant"
LANGUAGES: Final = ("zh-Hant", "en")

_ZH_HANT: dict[str, str] = {
    "title": "新聞問答",
    "subtitle": "就已收錄的新聞文章提問；每個答案都附上出處句子，點選引文即可在原文中看到標示。",
    "tab_chat": "問答",
    "tab_library": "文章庫",
    "chat_label": "對話",
    "chat_placeholder": "請輸入問題，例如下方的範例。可以接著追問。",
    "question_label": "問題",
    "question_placeholder": "輸入問題後按 Enter 或「提問」",
    "ask": "提問",
    "clear": "清除對話",
    "examples": "範例問題",
    "sources": "出處",
    "sources_empty": "提問後，答案所依據的句子會列在這裡。",
    "sources_abstained": "文章中找不到足以回答的句子，所以沒有引文。",
    "open_citation": "開啟引文",
    "open_citation_hint": "選擇下方的引文，即可在原文中看到被標示的句子。",
    "article_empty": "選擇一則引文，即可在原文中看到被標示的句子。",
    "passages": "檢索到的段落",
    "passages_empty": "尚無檢索結果。",
    "col_rank": "排名",
    "col_score": "分數",
    "col_title": "標題",
    "col_passage": "段落",
    "col_sentences": "句數",
    "col_source": "來源檔案",
    "col_ingested": "收錄時間",
    "library_heading": "已收錄的文章",
    "library_empty": "文章庫是空的；請上傳文章。",
    "library_count": "共 {n} 篇文章",
    "upload_heading": "加入文章",
    "upload_label": "上傳 .txt、.md、.html、.pdf 或 .docx 檔案",
    "upload_button": "加入文章庫",
    "upload_none": "請先選擇要上傳的檔案。",
    "upload_reading": "讀取檔案…",
    "upload_done": "完成",
    "upload_queued": "排隊等候中…",
    "upload_embedding": "嵌入段落與句子：{done}/{total}",
    "upload_eta": "（約剩 {eta}）",
    "upload_committing": "寫入索引…",
    "jobs_heading": "匯入進度",
    "kind_descriptive": "說明",
    "kind_summary": "摘要",
    "kind_comparison": "比較",
    "job_queued": "排隊中",
    "job_running": "進行中",
    "job_done": "完成",
    "job_failed": "失敗",
    "job_cancelled": "已取消",
    "job_articles": "{done}/{total} 篇已可搜尋",
    "job_more_files": "等 {n} 個檔案",
    "duration_s": "{s} 秒",
    "duration_m": "{m} 分 {s} 秒",
    "added": "新增",
    "updated": "更新",
    "unchanged": "未變更（已在文章庫中）",
    "removed": "移除",
    "rejected": "未收錄",
    "nothing_changed": "沒有任何變更。",
    "remove_heading": "移除文章",
    "remove_label": "選擇文章",
    "remove_button": "移除",
    "remove_none": "請先選擇要移除的文章。",
    "abstain_note": "文章中沒有足夠的根據，因此不作答。",
    "followup_note": "理解為：{q}",
    "timing": "{ms:.0f} 毫秒",
    "error": "出錯了：{msg}",
    "feedback_saved_up": "已記錄：這個答案有幫助。",
    "feedback_saved_down": "已記錄：這個答案沒有幫助。",
    "feedback_removed": "已取消回饋。",
    "language": "介面語言",
    "source_builtin": "內建語料",
    "source_upload": "上傳",
    "with_count": "{label}（{n}）",
    "with_kind": "{name}（{kind}）",
}

_EN: dict[str, str] = {
    "title": "News Q&A",
    "subtitle": "Ask about the indexed news articles. Every answer shows the sentences it rests on; "
                "choose a citation to see it highlighted in its article.",
    "tab_chat": "Ask",
    "tab_library": "Library",
    "chat_label": "Conversation",
    "chat_placeholder": "Type a question, or pick an example below. Follow-up questions work too.",
    "question_label": "Question",
    "question_placeholder": "Type a question and press Enter or “Ask”",
    "ask": "Ask",
    "clear": "Clear conversation",
    "examples": "Example questions",
    "sources": "Sources",
    "sources_empty": "After you ask, the sentences the answer rests on are listed here.",
    "sources_abstained": "No sentence in the articles answers this, so there is nothing to cite.",
    "open_citation": "Open citation",
    "open_citation_hint": "Choose a citation below to see its sentence highlighted in the article.",
    "article_empty": "Choose a citation to see its sentence highlighted in the article.",
    "passages": "Retrieved passages",
    "passages_empty": "Nothing retrieved yet.",
    "col_rank": "Rank",
    "col_score": "Score",
    "col_title": "Title",
    "col_passage": "Passage",
    "col_sentences": "Sentences",
    "col_source": "Source file",
    "col_ingested": "Ingested",
    "library_heading": "Indexed articles",
    "library_empty": "The library is empty; upload some articles.",
    "library_count": "{n} article(s)",
    "upload_heading": "Add articles",
    "upload_label": "Upload .txt, .md, .html, .pdf or .docx files",
    "upload_button": "Add to library",
    "upload_none": "Choose files to upload first.",
    "upload_reading": "Reading files…",
    "upload_done": "Done",
    "upload_queued": "Waiting in the queue…",
    "upload_embedding": "Embedding passages and sentences: {done}/{total}",
    "upload_eta": " (about {eta} left)",
    "upload_committing": "Writing the index…",
    "jobs_heading": "Ingest progress",
    "kind_descriptive": "Explanation",
    "kind_summary": "Summary",
    "kind_comparison": "Comparison",
    "job_queued": "Queued",
    "job_running": "Running",
    "job_done": "Done",
    "job_failed": "Failed",
    "job_cancelled": "Cancelled",
    "job_articles": "{done} of {total} articles searchable",
    "job_more_files": "and {n} more files",
    "duration_s": "{s} s",
    "duration_m": "{m} min {s} s",
    "added": "Added",
    "updated": "Updated",
    "unchanged": "Unchanged (already indexed)",
    "removed": "Removed",
    "rejected": "Rejected",
    "nothing_changed": "Nothing changed.",
    "remove_heading": "Remove an article",
    "remove_label": "Article",
    "remove_button": "Remove",
    "remove_none": "Choose an article to remove first.",
    "abstain_note": "The articles give no solid ground for an answer, so none is given.",
    "followup_note": "Understood as: {q}",
    "timing": "{ms:.0f} ms",
    "error": "Something went wrong: {msg}",
    "feedback_saved_up": "Thanks: marked as helpful.",
    "feedback_saved_down": "Thanks: marked as not helpful.",
    "feedback_removed": "Feedback withdrawn.",
    "language": "Language",
    "source_builtin": "built-in corpus",
    "source_upload": "upload",
    "with_count": "{label} ({n})",
    "with_kind": "{name} ({kind})",
}

_TABLES: Final = {"zh-Hant": MappingProxyType(_ZH_HANT), "en": MappingProxyType(_EN)}

#: Example questions shown under the chat, per interface language (both languages work either way).
EXAMPLES: Final = {
    "zh-Hant": (
        "閻家山TOD項目總投資多少？",
        "平安銀行青島分行的資產總額是多少？",
        "平安银行青岛分行有多少家网点？",
    ),
    "en": (
        "閻家山TOD項目總投資多少？",
        "平安銀行青島分行的資產總額是多少？",
        "平安银行青岛分行有多少家网点？",
    ),
}


def normalize_language(language: str | None) -> str:
    """A supported language code for `language` (zh, zh-TW, zh_Hant, en-US ... accepted)."""
    code = (language or DEFAULT_LANGUAGE).strip().replace("_", "-").lower()
    if code.startswith("en"):
        return "en"
    if code.startswith("zh") or code in ("", "tw", "hk"):
        return "zh-Hant"
    raise ValueError(f"unsupported interface language {language!r}; use one of {', '.join(LANGUAGES)}")


def labels(language: str | None = DEFAULT_LANGUAGE) -> MappingProxyType[str, str]:
    """The interface strings for a language."""
    return _TABLES[normalize_language(language)]


def examples(language: str | None = DEFAULT_LANGUAGE) -> tuple[str, ...]:
    """The example questions for a language."""
    return EXAMPLES[normalize_language(language)]
