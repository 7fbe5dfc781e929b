"""decode_bytes: every encoding a user's file may come in, and clear errors for the rest."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from index.decode import decode_bytes
from index.errors import DecodeError, InputError

CORPUS = Path(__file__).resolve().parents[1] / "index" / "data" / "qingdao-evening-news-page.txt"

TRADITIONAL_LONG = (
    "平安銀行青島分行是平安銀行在青島地區設立的一級分行。自正式落戶青島以來，青島分行扎根山東半島，"
    "秉承「在競爭中求生存，在創新中求發展」的精神，辛勤耕耘，砥礪奮進，逐步成長為當地一家業務特色鮮明、"
    "品牌形象知名的股份制商業銀行。\n下一步，分行將繼續發揮綜合金融和科技賦能優勢，不斷優化營商環境。\n"
)
SIMPLIFIED_LONG = (
    "平安银行青岛分行是平安银行在青岛地区设立的一级分行。自正式落户青岛以来，青岛分行扎根山东半岛，"
    "逐步成长为当地一家业务特色鲜明、品牌形象知名的股份制商业银行。\n"
)
#: Two-byte texts are where detectors fail: as GBK, "你好" is also valid Big5 ("斕疑").
SHORT_TRADITIONAL = ["你好", "的", "是", "北京", "青島晚報", "銀行", "說話", "時間", "中國", "謝謝"]
SHORT_SIMPLIFIED = ["发展", "这是测试", "时", "之", "经济"]


def test_utf8_plain_and_with_bom() -> None:
    text = "雁山科技生態城 Qingdao café\n"
    assert decode_bytes(text.encode("utf-8"), "a.txt") == text
    assert decode_bytes(codecs.BOM_UTF8 + text.encode("utf-8"), "a.txt") == text


def test_newlines_are_normalized() -> None:
    raw = "第一行\r\n第二行\r第三行\u2028第四行\n".encode()
    assert decode_bytes(raw, "a.txt") == "第一行\n第二行\n第三行\n第四行\n"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_bom(codec: str) -> None:
    text = "青島 Qingdao\n第二行"
    data = text.encode(codec)
    if codec == "utf-16-le":
        data = codecs.BOM_UTF16_LE + data
    elif codec == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    assert decode_bytes(data, "a.txt") == text


def test_gb18030_long_simplified_and_mixed_page() -> None:
    assert decode_bytes(SIMPLIFIED_LONG.encode("gb18030"), "a.txt") == SIMPLIFIED_LONG
    page = CORPUS.read_text(encoding="utf-8")  # Traditional with Simplified mixed in
    assert decode_bytes(page.encode("gb18030"), "page.txt") == page


def test_gbk_is_read_as_gb18030() -> None:
    assert decode_bytes(SIMPLIFIED_LONG.encode("gbk"), "a.txt") == SIMPLIFIED_LONG


def test_big5_long_traditional() -> None:
    assert decode_bytes(TRADITIONAL_LONG.encode("big5"), "a.txt") == TRADITIONAL_LONG
    assert decode_bytes(TRADITIONAL_LONG.encode("cp950"), "a.txt") == TRADITIONAL_LONG


@pytest.mark.parametrize(
    ("text", "codec"),
    [(t, "big5") for t in SHORT_TRADITIONAL] + [(t, "gb18030") for t in SHORT_TRADITIONAL + SHORT_SIMPLIFIED],
)
def test_short_chinese_texts(text: str, codec: str) -> None:
    assert decode_bytes(text.encode(codec), "a.txt") == text


def test_short_big5_title_with_punctuation() -> None:
    title = "平安銀行青島分行：堅持金融為民，服務實體經濟"
    assert decode_bytes(title.encode("big5"), "t.txt") == title


@pytest.mark.parametrize("text", ["café", "Ärger über Öl", "naïve résumé", "Привет", "ü"])
def test_short_utf8_with_accents_stays_utf8(text: str) -> None:
    assert decode_bytes(text.encode("utf-8"), "a.txt") == text


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
        bytes(range(1, 32)) * 4,
        b"abc\x01\x02\x03\x04\x05\x06\x07def",
    ],
)
def test_binary_data_is_refused(data: bytes) -> None:
    with pytest.raises(DecodeError, match=r"^notes\.bin: not a text file \(binary data\)$"):
        decode_bytes(data, "notes.bin")


def test_undecodable_bytes_name_the_file() -> None:
    with pytest.raises(DecodeError, match=r"^x\.txt: cannot decode as UTF-8, GB18030 or Big5$"):
        decode_bytes(b"hello \xff\xff world \x80", "x.txt")


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n", codecs.BOM_UTF8, codecs.BOM_UTF8 + b"  \n"])
def test_empty_file(data: bytes) -> None:
    with pytest.raises(InputError, match=r"^x\.txt: file is empty$") as info:
        decode_bytes(data, "x.txt")
    assert not isinstance(info.value, DecodeError)


def test_decode_error_is_an_input_error() -> None:
    with pytest.raises(InputError):
        decode_bytes(b"\x00\x01", "b.bin")
