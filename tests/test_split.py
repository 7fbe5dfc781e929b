from index import Settings
from index.records import Article, BlockKind, Sentence
from index.split import embedding_text, make_passages


def _article(parts: list[tuple[str, BlockKind]]) -> Article:
    text = ""
    sentences = []
    for i, (sentence, kind) in enumerate(parts):
        if text:
            text += "\n\n" if kind is BlockKind.HEADING or sentences[-1].kind is BlockKind.HEADING \
                else ""
        start = len(text)
        text += sentence
        sentences.append(Sentence(index=i, start=start, end=len(text), text=sentence, kind=kind))
    return Article(id="a1", title="標題", text=text, source="test", content_hash="h",
                   sentences=tuple(sentences))


def test_windows_hold_whole_sentences_and_respect_size(tmp_path) -> None:
    body = [(f"第{i}句話說的是一件很長很長的事情，總共有不少字。", BlockKind.BODY) for i in range(12)]
    article = _article(body)
    passages = make_passages(article, Settings(home=tmp_path, passage_chars=80))
    assert len(passages) > 3
    for p in passages:
        assert article.text[p.start:p.end] == p.text
        assert p.start == article.sentences[p.first_sentence].start
        assert p.end == article.sentences[p.last_sentence].end
        assert len(p.text) <= 80 or p.first_sentence == p.last_sentence
    # neighbours share one sentence (the overlap)
    assert passages[1].first_sentence == passages[0].last_sentence


def test_every_sentence_is_covered(tmp_path) -> None:
    body = [(f"句子{i}在這裡。", BlockKind.BODY) for i in range(30)]
    article = _article(body)
    passages = make_passages(article, Settings(home=tmp_path, passage_chars=40))
    covered = {i for p in passages for i in range(p.first_sentence, p.last_sentence + 1)}
    assert covered == set(range(30))


def test_ids_are_stable_and_content_derived(tmp_path) -> None:
    article = _article([("甲乙丙丁戊己庚辛。", BlockKind.BODY), ("壬癸子丑寅卯。", BlockKind.BODY)])
    settings = Settings(home=tmp_path)
    assert [p.id for p in make_passages(article, settings)] == \
        [p.id for p in make_passages(article, settings)]


def test_sections_do_not_cross_headings_and_heading_gives_context(tmp_path) -> None:
    article = _article([
        ("第一節", BlockKind.HEADING), ("甲事項的內容在此說明。", BlockKind.BODY),
        ("第二節", BlockKind.HEADING), ("乙事項的內容在此說明。", BlockKind.BODY),
    ])
    passages = make_passages(article, Settings(home=tmp_path, passage_chars=500))
    assert [p.text for p in passages] == ["第一節\n\n甲事項的內容在此說明。",
                                          "第二節\n\n乙事項的內容在此說明。"]
    assert embedding_text(article, passages[0]).startswith("標題\n")


def test_markup_only_windows_are_never_passages(tmp_path) -> None:
    article = _article([("。", BlockKind.BODY), ("|}", BlockKind.HEADING), ("——", BlockKind.HEADING)])
    assert make_passages(article, Settings(home=tmp_path)) == []
