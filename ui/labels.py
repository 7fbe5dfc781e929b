"""Interface strings in Traditional Chinese (the default, like the articles), Simplified Chinese
and English, including the page's wording of every error code (index.errors) a user can meet."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

DEFAULT_LANGUAGE: Final = "zh-Hant"
LANGUAGES: Final = ("zh-Hant", "zh-Hans", "en")

_ZH_HANT: dict[str, str] = {
    "title": "新聞問答",
    "subtitle": "就已收錄的新聞文章提問；每個答案都附上出處句子，點選引文即可在原文中看到標示。",
    "tab_chat": "問答",
    "tab_library": "文章庫",
    "chat_label": "對話",
    "chat_placeholder": "請輸入問題，例如下方的範例。可以接著追問。",
    "question_label": "問題",
    "question_placeholder": "輸入問題後按 ⏎ 或「提問」",
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
    "more_tabs": "更多分頁",
    "you_said": "你的問題：",
    "reply": "回答：",
    "signin": "請以伺服器的存取金鑰登入（使用者名稱不拘）。",
    "source_builtin": "內建語料",
    "source_upload": "上傳",
    "with_count": "{label}（{n}）",
    "with_kind": "{name}（{kind}）",
}

_ZH_HANS: dict[str, str] = {
    "title": "新闻问答",
    "subtitle": "就已收录的新闻文章提问；每个答案都附上出处句子，点击引文即可在原文中看到标示。",
    "tab_chat": "问答",
    "tab_library": "文章库",
    "chat_label": "对话",
    "chat_placeholder": "请输入问题，例如下方的示例。可以接着追问。",
    "question_label": "问题",
    "question_placeholder": "输入问题后按 ⏎ 或「提问」",
    "ask": "提问",
    "clear": "清除对话",
    "examples": "示例问题",
    "sources": "出处",
    "sources_empty": "提问后，答案所依据的句子会列在这里。",
    "sources_abstained": "文章中找不到足以回答的句子，所以没有引文。",
    "open_citation": "打开引文",
    "open_citation_hint": "选择下方的引文，即可在原文中看到被标示的句子。",
    "article_empty": "选择一则引文，即可在原文中看到被标示的句子。",
    "passages": "检索到的段落",
    "passages_empty": "尚无检索结果。",
    "col_rank": "排名",
    "col_score": "分数",
    "col_title": "标题",
    "col_passage": "段落",
    "col_sentences": "句数",
    "col_source": "来源文件",
    "col_ingested": "收录时间",
    "library_heading": "已收录的文章",
    "library_empty": "文章库是空的；请上传文章。",
    "library_count": "共 {n} 篇文章",
    "upload_heading": "加入文章",
    "upload_label": "上传 .txt、.md、.html、.pdf 或 .docx 文件",
    "upload_button": "加入文章库",
    "upload_none": "请先选择要上传的文件。",
    "upload_reading": "读取文件…",
    "upload_done": "完成",
    "upload_queued": "排队等候中…",
    "upload_embedding": "嵌入段落与句子：{done}/{total}",
    "upload_eta": "（约剩 {eta}）",
    "upload_committing": "写入索引…",
    "jobs_heading": "导入进度",
    "kind_descriptive": "说明",
    "kind_summary": "摘要",
    "kind_comparison": "比较",
    "job_queued": "排队中",
    "job_running": "进行中",
    "job_done": "完成",
    "job_failed": "失败",
    "job_cancelled": "已取消",
    "job_articles": "{done}/{total} 篇已可搜索",
    "job_more_files": "等 {n} 个文件",
    "duration_s": "{s} 秒",
    "duration_m": "{m} 分 {s} 秒",
    "added": "新增",
    "updated": "更新",
    "unchanged": "未变更（已在文章库中）",
    "removed": "移除",
    "rejected": "未收录",
    "nothing_changed": "没有任何变更。",
    "remove_heading": "移除文章",
    "remove_label": "选择文章",
    "remove_button": "移除",
    "remove_none": "请先选择要移除的文章。",
    "abstain_note": "文章中没有足够的依据，因此不作答。",
    "followup_note": "理解为：{q}",
    "timing": "{ms:.0f} 毫秒",
    "error": "出错了：{msg}",
    "feedback_saved_up": "已记录：这个答案有帮助。",
    "feedback_saved_down": "已记录：这个答案没有帮助。",
    "feedback_removed": "已撤销反馈。",
    "language": "界面语言",
    "more_tabs": "更多标签页",
    "you_said": "你的问题：",
    "reply": "回答：",
    "signin": "请用服务器的访问密钥登录（用户名任意）。",
    "source_builtin": "内置语料",
    "source_upload": "上传",
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
    "question_placeholder": "Type a question and press ⏎ or “Ask”",
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
    "more_tabs": "More tabs",
    "you_said": "Your question: ",
    "reply": "Answer: ",
    "signin": "Sign in with the server's API key (any user name).",
    "source_builtin": "built-in corpus",
    "source_upload": "upload",
    "with_count": "{label} ({n})",
    "with_kind": "{name} ({kind})",
}

#: The page's wording of each error code (index.errors, index.ingest, index.jobs), with the
#: values the error carries. A code without an entry is shown as `err_error`, never in English.
_ERRORS: Final[dict[str, dict[str, str]]] = {
    "zh-Hant": {
        "err_error": "發生了無法處理的錯誤；詳情已記錄在伺服器日誌中。",
        "err_internal_error": "發生了無法處理的錯誤；詳情已記錄在伺服器日誌中。",
        "err_input_error": "無法使用這項輸入。",
        "err_config_error": "伺服器的設定有誤；請管理者檢查設定。",
        "err_model_error": "模型無法載入；請管理者檢查伺服器日誌。",
        "err_index_mismatch": "索引是由另一個模型或版本建立的；請管理者重建索引（文章會保留）。",
        "err_index_damaged": "索引已損壞；請管理者執行修復（文章會保留）。",
        "err_index_busy": "文章庫正在被另一個程序寫入；請稍後再試。",
        "err_jobs_full": "已有 {jobs} 項匯入正在排隊或進行；請等其中一些完成後再上傳。",
        "err_not_found": "找不到這篇文章；它可能已被移除。",
        "err_query_empty": "問題是空的；請輸入問題。",
        "err_query_not_text": "問題必須是文字。",
        "err_query_too_long": "問題有 {chars} 個字元，上限是 {limit} 個；請縮短後再問。",
        "err_unsupported_type": "不支援的檔案類型（可用 {types}）",
        "err_folder_empty": "資料夾中沒有可匯入的檔案",
        "err_no_such_path": "找不到這個檔案或資料夾",
        "err_too_large": "檔案超過 {mb} MB 的上限",
        "err_cannot_read": "無法讀取檔案",
        "err_not_text": "不是文字檔（二進位資料）",
        "err_cannot_decode": "無法以 {encodings} 解碼",
        "err_file_empty": "檔案是空的",
        "err_no_article_text": "找不到文章內文",
        "err_article_empty": "文章內文是空的",
        "err_docx_unreadable": "不是可讀取的 Word .docx 檔案",
        "err_pdf_encrypted": "PDF 已加密（需要密碼）",
        "err_pdf_unreadable": "無法讀取這個 PDF",
        "err_pdf_no_text": "PDF 沒有文字層（可能是掃描影像）；只能讀取含文字的 PDF",
        "err_pdf_no_characters": "PDF 的文字層無法讀取（字型沒有對應任何字元）",
        "err_no_file_name": "檔案沒有可用的名稱",
        "err_no_file_ingested": "沒有任何檔案可以匯入",
    },
    "zh-Hans": {
        "err_error": "发生了无法处理的错误；详情已记录在服务器日志中。",
        "err_internal_error": "发生了无法处理的错误；详情已记录在服务器日志中。",
        "err_input_error": "无法使用这项输入。",
        "err_config_error": "服务器的设置有误；请管理员检查设置。",
        "err_model_error": "模型无法加载；请管理员检查服务器日志。",
        "err_index_mismatch": "索引是由另一个模型或版本建立的；请管理员重建索引（文章会保留）。",
        "err_index_damaged": "索引已损坏；请管理员执行修复（文章会保留）。",
        "err_index_busy": "文章库正在被另一个进程写入；请稍后再试。",
        "err_jobs_full": "已有 {jobs} 项导入正在排队或进行；请等其中一些完成后再上传。",
        "err_not_found": "找不到这篇文章；它可能已被移除。",
        "err_query_empty": "问题是空的；请输入问题。",
        "err_query_not_text": "问题必须是文字。",
        "err_query_too_long": "问题有 {chars} 个字符，上限是 {limit} 个；请缩短后再问。",
        "err_unsupported_type": "不支持的文件类型（可用 {types}）",
        "err_folder_empty": "文件夹中没有可导入的文件",
        "err_no_such_path": "找不到这个文件或文件夹",
        "err_too_large": "文件超过 {mb} MB 的上限",
        "err_cannot_read": "无法读取文件",
        "err_not_text": "不是文本文件（二进制数据）",
        "err_cannot_decode": "无法以 {encodings} 解码",
        "err_file_empty": "文件是空的",
        "err_no_article_text": "找不到文章正文",
        "err_article_empty": "文章正文是空的",
        "err_docx_unreadable": "不是可读取的 Word .docx 文件",
        "err_pdf_encrypted": "PDF 已加密（需要密码）",
        "err_pdf_unreadable": "无法读取这个 PDF",
        "err_pdf_no_text": "PDF 没有文字层（可能是扫描图像）；只能读取含文字的 PDF",
        "err_pdf_no_characters": "PDF 的文字层无法读取（字体没有对应任何字符）",
        "err_no_file_name": "文件没有可用的名称",
        "err_no_file_ingested": "没有任何文件可以导入",
    },
    "en": {
        "err_error": "Something went wrong that could not be handled; the server log has the "
                     "details.",
        "err_internal_error": "Something went wrong that could not be handled; the server log "
                              "has the details.",
        "err_input_error": "This input cannot be used.",
        "err_config_error": "The server's settings are invalid; ask its administrator to check "
                            "them.",
        "err_model_error": "The model cannot be loaded; ask the administrator to check the server "
                           "log.",
        "err_index_mismatch": "The index was built by another model or version; ask the "
                              "administrator to rebuild it (the articles are kept).",
        "err_index_damaged": "The index is damaged; ask the administrator to repair it (the "
                             "articles are kept).",
        "err_index_busy": "Another process is writing to the library; try again shortly.",
        "err_jobs_full": "{jobs} ingests are already queued or running; upload again when some "
                         "have finished.",
        "err_not_found": "That article is not in the library; it may have been removed.",
        "err_query_empty": "The question is empty; type a question.",
        "err_query_not_text": "The question must be text.",
        "err_query_too_long": "The question has {chars} characters; the limit is {limit}. Please "
                              "shorten it.",
        "err_unsupported_type": "unsupported file type (use {types})",
        "err_folder_empty": "the folder holds no files to ingest",
        "err_no_such_path": "no such file or folder",
        "err_too_large": "the file is larger than {mb} MB",
        "err_cannot_read": "the file cannot be read",
        "err_not_text": "not a text file (binary data)",
        "err_cannot_decode": "cannot decode as {encodings}",
        "err_file_empty": "the file is empty",
        "err_no_article_text": "no article text found",
        "err_article_empty": "the article text is empty",
        "err_docx_unreadable": "not a readable Word .docx file",
        "err_pdf_encrypted": "the PDF is encrypted (password protected)",
        "err_pdf_unreadable": "the PDF cannot be read",
        "err_pdf_no_text": "the PDF has no text layer (a scanned image?); only PDFs with text can "
                           "be read",
        "err_pdf_no_characters": "the PDF's text layer cannot be read (its fonts map no "
                                 "characters)",
        "err_no_file_name": "the file has no usable name",
        "err_no_file_ingested": "no file could be ingested",
    },
}

_TABLES: Final = {
    language: MappingProxyType({**table, **_ERRORS[language]})
    for language, table in (("zh-Hant", _ZH_HANT), ("zh-Hans", _ZH_HANS), ("en", _EN))
}

#: Each language's name in itself, for the page's language links.
LANGUAGE_NAMES: Final = {"zh-Hant": "繁體中文", "zh-Hans": "简体中文", "en": "English"}

#: The locale Gradio's own widgets (the upload area, its buttons' labels) are shown in.
GRADIO_LOCALES: Final = {"zh-Hant": "zh-TW", "zh-Hans": "zh-CN", "en": "en"}

#: Example questions shown under the chat, per interface language (every language can be asked
#: about every article).
EXAMPLES: Final = {
    "zh-Hant": (
        "閻家山TOD項目總投資多少？",
        "平安銀行青島分行的資產總額是多少？",
        "平安银行青岛分行有多少家网点？",
    ),
    "zh-Hans": (
        "阎家山TOD项目总投资多少？",
        "平安银行青岛分行的资产总额是多少？",
        "平安銀行青島分行有多少家網點？",
    ),
    "en": (
        "閻家山TOD項目總投資多少？",
        "平安銀行青島分行的資產總額是多少？",
        "平安银行青岛分行有多少家网点？",
    ),
}

_SIMPLIFIED_REGIONS: Final = ("cn", "sg", "my", "hans")


def normalize_language(language: str | None) -> str:
    """A supported language code for `language` (zh, zh-TW, zh-CN, zh_Hans, en-US ... accepted).

    Plain `zh` and the Traditional regions (TW, HK, MO) give zh-Hant, the default; CN, SG and
    `Hans` give zh-Hans.
    """
    code = (language or DEFAULT_LANGUAGE).strip().replace("_", "-").lower()
    if code.startswith("en"):
        return "en"
    if code.startswith("zh") or code in ("", "tw", "hk", "cn"):
        parts = code.split("-")
        return "zh-Hans" if any(p in _SIMPLIFIED_REGIONS for p in parts[1:]) or code == "cn" \
            else "zh-Hant"
    raise ValueError(f"unsupported interface language {language!r}; use one of {', '.join(LANGUAGES)}")


def labels(language: str | None = DEFAULT_LANGUAGE) -> MappingProxyType[str, str]:
    """The interface strings for a language."""
    return _TABLES[normalize_language(language)]


def examples(language: str | None = DEFAULT_LANGUAGE) -> tuple[str, ...]:
    """The example questions for a language."""
    return EXAMPLES[normalize_language(language)]
