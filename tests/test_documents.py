"""PDF, .docx and Western single-byte text files, made by real tools, read by ingest.

The PDFs are printed by headless Chromium from HTML written here (once per session); the .docx is
written by python-docx. Nothing here loads the embedding model: the CLI test hands the library a
stand-in embedder, which is never asked for a vector because nothing is ingestible.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from real_files import print_to_pdf

from index.decode import decode_bytes
from index.errors import InputError
from index.ingest import (
    SUPPORTED_SUFFIXES,
    SourceFile,
    articles_from_file,
    collect_files,
    read_source_files,
)
from index.pdf_layout import pdf_blocks
from index.records import Article, BlockKind

HEADLINE = "青島城市更新攻堅行動全面提速"
RUNNING_HEAD = "青島晚報　2024年5月8日　星期三　城市新聞　A3版"
CAPTION = "圖：閻家山TOD項目效果圖，記者王明攝"
#: Long sentences, so that each wraps over several lines of a newspaper column.
SENTENCES = [
    "青島市城市更新和城市建設三年攻堅行動已經進入第二個年頭，全市上下圍繞交通基礎設施、老舊小區改造和歷史城區保護等重點領域持續發力。",
    "今年一季度，全市共有一百二十個重點項目集中開工，計劃總投資超過八百億元，涉及軌道交通、市政道路、地下管廊和公共服務設施等多個門類。",
    "市住房和城鄉建設局相關負責人介紹說，今年將重點推進地鐵沿線站點周邊的綜合開發，讓市民在家門口就能享受到便捷的公共交通和完善的生活配套。",
    "閻家山TOD項目位於城陽區與嶗山區的交界地帶，規劃用地面積約十五點七公頃，項目總投資二十六億元，建成後將形成集居住、商業和辦公於一體的城市綜合體。",
    "青科大TOD項目則依托地鐵站點建設地下商業空間和換乘大廳，總投資三點五億元，預計明年年底前竣工並投入使用。",
    "在老舊小區改造方面，今年計劃完成改造的小區共有三百多個，惠及居民超過十萬戶，改造內容包括屋面防水、外牆保溫、管網更新和加裝電梯等。",
    "不少居民表示，改造之後小區的環境明顯改善，停車難和出行難等長期困擾大家的問題也得到了有效緩解。",
    "歷史城區保護更新工作同樣穩步推進，中山路片區的多處老建築已經完成修繕，吸引了大量遊客前來參觀打卡。",
    "業內專家認為，城市更新不僅是對物理空間的改造提升，更是對城市功能和產業結構的系統性優化，需要政府、企業和市民共同參與。",
    "為了保障項目順利實施，市裡建立了重點項目調度機制，每月召開一次推進會議，協調解決項目建設中遇到的用地、資金和審批等難題。",
    "與此同時，金融機構也在不斷加大對城市更新項目的信貸支持力度，多家銀行推出了專門面向城市更新領域的綜合金融服務方案。",
    "平安銀行青島分行相關負責人表示，該行今年已累計向城市更新項目投放貸款超過五十億元，並將繼續發揮綜合金融優勢服務實體經濟。",
    "在交通基礎設施建設方面，地鐵六號線一期工程已經全線貫通，計劃於今年下半年開通試運營，屆時將進一步完善西海岸新區的軌道交通網絡。",
    "膠州灣第二海底隧道工程也在加緊建設之中，目前主線隧道掘進已經完成過半，建成後將大大縮短東西兩岸之間的通行時間。",
    "市民李先生說，他每天都要往返於黃島和市南區之間上下班，非常期待第二條海底隧道早日建成通車。",
    "按照計劃，到二〇二五年底，全市城市更新和城市建設三年攻堅行動的各項目標任務將全面完成，城市面貌將煥然一新。",
]
#: The figure is placed inside this sentence (between its two halves), as a page layout may.
SPLIT_SENTENCE = 5
SPLIT_AT = "惠及居民超過十萬戶，"
SECTION_HEAD = "記者手記"
PAGE_TWO = [
    "採訪中記者注意到，不少老舊小區在改造前都會廣泛徵求居民意見，改造方案經過多輪修改才最終確定。",
    "這種共建共治共享的做法，讓城市更新真正成為了一項惠及千家萬戶的民心工程。",
]

ENGLISH_SENTENCES = [
    "The city's renewal campaign has entered its second year, with transport "
    "infrastructure, the renovation of old residential compounds and the protection of historic "
    "districts at its core.",
    "In the first quarter, one hundred and twenty major projects broke ground, with planned "
    "investment of more than eighty billion yuan across metro lines, roads and public services.",
    "Officials said the focus this year is development around metro stations, so that residents "
    "can enjoy convenient public transport and services right on their doorstep.",
    "Experts believe urban renewal is not only a physical upgrade but a systematic optimization "
    "of the city's functions and industrial structure, requiring everyone's participation.",
    "Banks have stepped up lending to renewal projects, and several have launched financial "
    "service packages aimed specifically at the companies that carry them out.",
    "Commuters said they look forward to the second undersea tunnel opening to traffic, which "
    "will greatly shorten the trip between the two shores of the bay.",
]


# --- fixtures made by real tools -----------------------------------------------------------------


@pytest.fixture(scope="session")
def made_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for every file this module makes, kept for the whole session."""
    return tmp_path_factory.mktemp("documents")


def _print_to_pdf(html: str, folder: Path, stem: str) -> Path:
    """Print an HTML page to PDF with headless Chromium (skips when Chromium is missing)."""
    return print_to_pdf(html, folder, stem)


def _picture(path: Path) -> Path:
    """A small PNG chart, drawn with matplotlib (no display needed)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2.4, 1.4), dpi=72)
    ax = fig.subplots()
    ax.bar([1, 2, 3, 4], [3, 1, 4, 2], color="#4477aa")
    ax.set_axis_off()
    fig.savefig(path)
    return path


def _paragraphs(sentences: list[str], space: str = "") -> str:
    pairs = zip(sentences[0::2], sentences[1::2], strict=False)
    return "".join(f"<p>{a}{space}{b}</p>" for a, b in pairs)


_PAGE_CSS = """
@page { size: A4; margin: 16mm 15mm; }
body { margin: 0; padding-top: 9mm; font-family: 'Noto Serif CJK TC', serif; font-size: 11pt;
       line-height: 1.6; }
.runhead { position: fixed; top: 0; left: 0; right: 0; font-size: 8pt; color: #555;
           border-bottom: 1px solid #999; }
h1 { font-size: 22pt; text-align: center; margin: 0 0 7mm; }
h2 { font-size: 14pt; margin: 4mm 0 2mm; }
.cols { column-count: 2; column-gap: 8mm; text-align: justify; column-fill: auto; height: 195mm; }
p { margin: 0 0 1.5mm; text-indent: 2em; }
p.rest { text-indent: 0; }
figure { margin: 2mm 0; break-inside: avoid; }
img { width: 70%; display: block; }
figcaption { font-size: 8.5pt; color: #333; margin-top: 1mm; }
"""


@pytest.fixture(scope="session")
def newspaper_pdf(made_dir: Path) -> Path:
    """A two-page Chinese newspaper page: headline, two columns (the left one filled first, so the
    column break falls inside a paragraph), a running head on every page, a figure with its caption
    placed between the two halves of a sentence."""
    picture = _picture(made_dir / "chart.png")
    split = SENTENCES[SPLIT_SENTENCE]
    cut = split.index(SPLIT_AT) + len(SPLIT_AT)
    left, right = SENTENCES[:SPLIT_SENTENCE - 1], SENTENCES[SPLIT_SENTENCE + 1:]
    body = (
        _paragraphs(left)
        + f"<p>{SENTENCES[SPLIT_SENTENCE - 1]}{split[:cut]}</p>"
        + f'<figure><img src="{picture.name}"><figcaption>{CAPTION}</figcaption></figure>'
        + f'<p class="rest">{split[cut:]}</p>'
        + _paragraphs(right)
    )
    html = f"""<!doctype html><html lang="zh-Hant"><head><meta charset="utf-8">
<title>{HEADLINE}</title><style>{_PAGE_CSS}</style></head><body>
<div class="runhead">{RUNNING_HEAD}</div>
<h1>{HEADLINE}</h1>
<div class="cols">{body}</div>
<div style="break-before: page"></div>
<h2>{SECTION_HEAD}</h2>
<p>{"".join(PAGE_TWO)}</p>
</body></html>"""
    return _print_to_pdf(html, made_dir, "newspaper")


@pytest.fixture(scope="session")
def english_pdf(made_dir: Path) -> Path:
    """A one-page English article in two justified columns."""
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 18mm 15mm; }}
body {{ margin: 0; font-family: 'Noto Serif', serif; font-size: 11pt; line-height: 1.45; }}
h1 {{ font-size: 24pt; margin: 0 0 6mm; }}
.cols {{ column-count: 2; column-gap: 9mm; text-align: justify; }}
p {{ margin: 0 0 3mm; }}
</style></head><body><h1>City Renewal Speeds Up</h1>
<div class="cols">{_paragraphs(ENGLISH_SENTENCES, " ")}</div></body></html>"""
    return _print_to_pdf(html, made_dir, "english")


@pytest.fixture(scope="session")
def vertical_pdf(made_dir: Path) -> Path:
    """A Chinese article set in vertical lines (read top to bottom, right to left)."""
    html = f"""<!doctype html><html lang="zh-Hant"><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 15mm; }}
body {{ margin: 0; font-family: 'Noto Serif CJK TC', serif; font-size: 11pt; writing-mode: vertical-rl; }}
h1 {{ font-size: 20pt; }} p {{ margin: 0 0 0 2mm; text-indent: 2em; }}
</style></head><body><h1>{HEADLINE}</h1>{_paragraphs(SENTENCES[:8])}</body></html>"""
    return _print_to_pdf(html, made_dir, "vertical")


@pytest.fixture(scope="session")
def scanned_pdf(made_dir: Path) -> Path:
    """A PDF holding only a picture, like a scan without OCR."""
    folder = made_dir / "scans"
    folder.mkdir()
    picture = _picture(folder / "scan.png")
    html = f'<!doctype html><html><body><img src="{picture.name}" style="width:90%"></body></html>'
    return _print_to_pdf(html, folder, "scan")


DOCX_TITLE = "平安銀行青島分行服務實體經濟"
DOCX_HEAD = "主要數據"
DOCX_PARAGRAPHS = [
    "平安銀行青島分行是平安銀行在青島地區設立的一級分行，自正式落戶青島以來，扎根山東半島，辛勤耕耘。",
    "分行逐步成長為當地一家業務特色鮮明、品牌形象知名的股份制商業銀行。",
]
DOCX_BROKEN = ("下一步，分行將繼續發揮綜合金融和", "科技賦能優勢，不斷優化營商環境。")
DOCX_TABLE = [["指標", "數值"], ["資產總額", "一千二百億元"], ["存款餘額", "八百億元"]]


@pytest.fixture(scope="session")
def word_file(made_dir: Path) -> Path:
    """A .docx written by python-docx: Title, paragraphs, a heading, a line break, a table."""
    import docx

    document = docx.Document()
    document.add_heading(DOCX_TITLE, 0)
    for text in DOCX_PARAGRAPHS:
        document.add_paragraph(text)
    document.add_heading(DOCX_HEAD, 1)
    para = document.add_paragraph(DOCX_BROKEN[0])
    para.add_run().add_break()
    para.add_run(DOCX_BROKEN[1])
    table = document.add_table(rows=len(DOCX_TABLE), cols=2)
    for r, row in enumerate(DOCX_TABLE):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    path = made_dir / "bank.docx"
    document.save(str(path))
    return path


def _ingest(path: Path) -> list[Article]:
    return articles_from_file(SourceFile(name=path.name, source=str(path), data=path.read_bytes()))


def _body(article: Article) -> list[str]:
    return [s.text for s in article.sentences if s.kind is BlockKind.BODY]


# --- PDF -----------------------------------------------------------------------------------------


def test_pdf_and_docx_are_supported_suffixes() -> None:
    assert SUPPORTED_SUFFIXES[".pdf"] == "pdf" and SUPPORTED_SUFFIXES[".docx"] == "docx"


def test_two_column_pdf_reads_column_by_column_in_whole_sentences(newspaper_pdf: Path) -> None:
    [article] = _ingest(newspaper_pdf)
    assert article.title == HEADLINE
    # Every sentence whole, the left column's before the right column's, page 1 before page 2:
    # lines are never interleaved across columns, and the sentences broken by line ends, by the
    # column break and by the figure are joined again.
    assert _body(article) == SENTENCES + PAGE_TWO
    for s in article.sentences:
        assert article.text[s.start : s.end] == s.text
    # The column break fell inside a paragraph, which was read on in the next column.
    blocks = pdf_blocks(newspaper_pdf.read_bytes(), newspaper_pdf.name)
    assert any(block.continues for block in blocks)


def test_pdf_caption_is_lifted_out_of_the_sentence(newspaper_pdf: Path) -> None:
    [article] = _ingest(newspaper_pdf)
    captions = [s.text for s in article.sentences if s.kind is BlockKind.CAPTION]
    assert "".join(captions) == CAPTION
    for sentence in _body(article):
        assert "圖：" not in sentence and "王明攝" not in sentence
    # The caption comes after the sentence it was printed in the middle of.
    text = article.text
    assert text.index(SENTENCES[SPLIT_SENTENCE]) < text.index(CAPTION)


def test_pdf_running_head_and_section_head(newspaper_pdf: Path) -> None:
    [article] = _ingest(newspaper_pdf)
    head = "".join(RUNNING_HEAD.split())
    everything = "".join((article.title + article.text).split())
    assert everything.count(head) <= 1  # printed on both pages: dropped (once as a title is fine)
    for sentence in _body(article):
        assert "青島晚報" not in sentence and "星期三" not in sentence
    heads = [s.text for s in article.sentences if s.kind is BlockKind.HEADING]
    assert SECTION_HEAD in heads


def test_english_two_column_pdf(english_pdf: Path) -> None:
    [article] = _ingest(english_pdf)
    assert article.title == "City Renewal Speeds Up"
    assert _body(article) == ENGLISH_SENTENCES  # joined with spaces, columns in order


def test_vertical_chinese_pdf(vertical_pdf: Path) -> None:
    [article] = _ingest(vertical_pdf)
    assert article.title == HEADLINE
    assert _body(article) == SENTENCES[:8]  # lines right to left, "TOD" set sideways kept in place


def test_scanned_pdf_is_rejected_with_a_reason(scanned_pdf: Path) -> None:
    with pytest.raises(InputError, match=r"^scan\.pdf: no text layer \(scanned image\?\)"):
        _ingest(scanned_pdf)


def test_damaged_pdf_is_an_input_error_not_a_traceback(newspaper_pdf: Path) -> None:
    data = newspaper_pdf.read_bytes()
    for broken in (data[: len(data) // 3], b"%PDF-1.7\n" + bytes(range(256)) * 8):
        try:
            articles = articles_from_file(SourceFile("broken.pdf", "broken.pdf", broken))
        except InputError as exc:
            assert str(exc).startswith("broken.pdf: ")
        else:
            assert articles  # pypdf may recover part of a truncated file


def test_folder_with_only_a_scan_lists_it_and_exits_nonzero(scanned_pdf: Path, tmp_path: Path,
                                                           monkeypatch, capsys) -> None:
    only_pictures = tmp_path / "only-pictures"
    only_pictures.mkdir()
    (only_pictures / "scan.pdf").write_bytes(scanned_pdf.read_bytes())
    (only_pictures / "scan.png").write_bytes((scanned_pdf.parent / "scan.png").read_bytes())
    # The ingest functions: the scan is found, read, and refused with its reason; the picture is
    # listed as unsupported.
    found, rejected = collect_files([only_pictures])
    files, unreadable = read_source_files(found)
    assert [p.name for p in found] == ["scan.pdf"] and not unreadable
    assert [Path(r.name).name for r in rejected] == ["scan.png"]
    with pytest.raises(InputError, match="no text layer"):
        articles_from_file(files[0])
    # The CLI over the real library, with an embedder that must never be asked for a vector.
    from articleqa import cli
    from index.embed import ModelFingerprint
    from index.library import Library

    class NoModel:
        fingerprint = ModelFingerprint("no-model", 8, True, "query: ", "passage: ")
        dimension = 8

        def embed_passages(self, texts, progress=False):  # pragma: no cover - must not happen
            raise AssertionError("nothing ingestible must embed nothing")

    class LibraryWithoutModel(Library):
        def __init__(self, settings, **kwargs) -> None:
            super().__init__(settings, embedder=NoModel(), seed_builtin=False, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cli, "Library", LibraryWithoutModel)
    code = cli.main(["ingest", str(only_pictures), "--home", str(tmp_path / "home"),
                     "--index", str(tmp_path / "index")])
    out, err = capsys.readouterr()
    assert code == 1
    assert "scan.pdf: no text layer (scanned image?)" in err
    assert "scan.png: unsupported file type" in err
    assert "Traceback" not in err and "0 added" in out


# --- .docx ---------------------------------------------------------------------------------------


def test_docx_paragraphs_heading_and_table(word_file: Path) -> None:
    [article] = _ingest(word_file)
    assert article.title == DOCX_TITLE
    body = _body(article)
    assert body[: len(DOCX_PARAGRAPHS) + 1] == [
        "平安銀行青島分行是平安銀行在青島地區設立的一級分行，自正式落戶青島以來，扎根山東半島，辛勤耕耘。",
        DOCX_PARAGRAPHS[1],
        "".join(DOCX_BROKEN),  # a manual line break inside a sentence is joined without a space
    ]
    heads = [s.text for s in article.sentences if s.kind is BlockKind.HEADING]
    assert heads == [DOCX_HEAD]
    rows = [" ".join(row) for row in DOCX_TABLE]
    table_text = article.text[article.text.index(rows[0]):]
    assert table_text.split("\n") == rows  # the table, row by row, after the paragraphs


def test_docx_title_from_core_properties(made_dir: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = "Harbour Tide Report"
    document.add_heading("Morning", 1)
    document.add_paragraph("High tide today is at 6:40 a.m. at the north pier. Low tide follows at noon.")
    path = made_dir / "tide.docx"
    document.save(str(path))
    [article] = _ingest(path)
    assert article.title == "Harbour Tide Report"
    assert [s.text for s in article.sentences if s.kind is BlockKind.HEADING] == ["Morning"]
    assert _body(article) == ["High tide today is at 6:40 a.m. at the north pier.",
                              "Low tide follows at noon."]


def test_not_a_docx_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"^notes\.docx: not a readable Word \.docx file"):
        articles_from_file(SourceFile("notes.docx", "notes.docx", b"plain text, not a zip"))


# --- Western single-byte text --------------------------------------------------------------------

CP1252_TEXT = (
    "Harbour Café Reopens\n\n"
    "The café’s owner said: “We are back.” A coffee costs €3 — the same as in 2019…\n"
    "Visitors praised the crème brûlée and the naïve murals.\n"
)
LATIN1_TEXT = "Zürich Notes\n\nThe «Café Größe» in Zürich charges £4 or 5°C colder. Señor Núñez agrees.\n"


def test_cp1252_text_file_decodes() -> None:
    data = CP1252_TEXT.encode("cp1252")
    assert any(0x80 <= b <= 0x9F for b in data)  # curly quotes, € and — are cp1252-only bytes
    assert decode_bytes(data, "cafe.txt") == CP1252_TEXT
    [article] = articles_from_file(SourceFile("cafe.txt", "cafe.txt", data))
    assert article.title == "Harbour Café Reopens"
    assert "The café’s owner said: “We are back.”" in _body(article)


def test_latin1_text_file_decodes() -> None:
    assert decode_bytes(LATIN1_TEXT.encode("latin-1"), "zurich.txt") == LATIN1_TEXT


@pytest.mark.parametrize("word", ["Über", "naïve", "Müller", "Ça va", "São Paulo"])
def test_short_single_byte_words(word: str) -> None:
    assert decode_bytes(word.encode("cp1252"), "w.txt") == word


@pytest.mark.parametrize(
    ("text", "codec"),
    [("平安銀行青島分行：堅持金融為民，服務實體經濟", "big5"), ("謝謝", "big5"), ("謝謝", "gb18030"),
     ("北京", "gb18030"), ("这是测试", "gb18030"), ("的", "gb18030"), ("時間", "big5")],
)
def test_chinese_legacy_encodings_still_win(text: str, codec: str) -> None:
    assert decode_bytes(text.encode(codec), "a.txt") == text
