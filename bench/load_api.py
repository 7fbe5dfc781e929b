"""Bounded load test of the HTTP API on loopback: N clients search and ask for D seconds while
small generated articles are ingested through POST /v1/articles; then every ingested article
must be searchable by a phrase of its own, and no request may have failed.

    python bench/load_api.py                      # starts `articleqa serve` itself on a free port
    python bench/load_api.py --url http://127.0.0.1:8000 --clients 50 --duration 20

Prints p50/p95 latency and requests/s as JSON and writes it to docs/bench/load-api.json.
Only loopback addresses are accepted as targets.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import httpx

REPO = Path(__file__).resolve().parents[1]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
QUESTIONS = [
    "閻家山TOD項目總投資多少？",
    "闫家山TOD项目占地面积多大？",
    "平安銀行青島分行資產總額是多少？",
    "雁山科技生態城規劃了哪些項目？",
    "How much is invested in the Yanjiashan TOD project?",
    "What did Ping An Bank Qingdao branch do for small businesses?",
]
PLACES = ["北港", "東嶺", "西灣", "南園", "青峰", "白沙", "紅石", "金田", "銀湖", "翠谷"]


@dataclass
class Stats:
    """Latencies (ms) per kind, and the failures seen."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, kind: str, ms: float) -> None:
        self.latencies.setdefault(kind, []).append(ms)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of values; 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def summary(values: list[float]) -> dict[str, float]:
    """Count and p50/p95/p99/max of latencies in ms."""
    return {"count": len(values), "p50_ms": round(percentile(values, 50), 1),
            "p95_ms": round(percentile(values, 95), 1), "p99_ms": round(percentile(values, 99), 1),
            "max_ms": round(max(values, default=0.0), 1)}


def generated_articles(count: int, run: str) -> list[dict[str, str]]:
    """Small articles, each with a code word no other text holds (the phrase to search for)."""
    articles = []
    for i in range(count):
        code = f"LT{run}{i:02d}"
        place = PLACES[i % len(PLACES)]
        text = (f"代號{code}的{place}氣象觀測站於{i % 12 + 1}月{i % 28 + 1}日正式啟用，"
                f"總投資{(i + 3) * 110}萬元。觀測站每十分鐘記錄一次風速與雨量，資料即時上傳。"
                f"站長表示，{place}地區的颱風預警時間因此可提前兩小時。")
        articles.append({"title": f"{place}觀測站啟用（{code}）", "text": text,
                         "phrase": f"代號{code}的{place}氣象觀測站"})
    return articles


async def timed(client: httpx.AsyncClient, stats: Stats, kind: str, method: str, path: str,
                **kwargs: object) -> httpx.Response | None:
    """One request, its latency recorded; a non-2xx status or a transport error is an error."""
    started = time.perf_counter()
    try:
        resp = await client.request(method, path, **kwargs)  # type: ignore[arg-type]
    except httpx.HTTPError as exc:
        stats.errors.append(f"{kind}: {type(exc).__name__}: {exc}"[:300])
        return None
    stats.add(kind, (time.perf_counter() - started) * 1000)
    if not resp.is_success:
        stats.errors.append(f"{kind}: HTTP {resp.status_code}: {resp.text[:200]}")
    return resp


async def reader(client: httpx.AsyncClient, stats: Stats, deadline: float, seed: int) -> None:
    """One client: search or ask, back to back, until the deadline."""
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        question = rng.choice(QUESTIONS)
        if rng.random() < 0.5:
            await timed(client, stats, "search", "POST", "/v1/search", json={"query": question, "k": 5})
        else:
            await timed(client, stats, "ask", "POST", "/v1/ask", json={"question": question})


async def ingester(client: httpx.AsyncClient, stats: Stats, articles: list[dict[str, str]],
                   duration: float, headers: dict[str, str], ids: dict[str, str]) -> None:
    """Post the articles one by one, spread over the run."""
    gap = duration / (len(articles) + 1)
    for article in articles:
        await asyncio.sleep(gap)
        resp = await timed(client, stats, "ingest", "POST", "/v1/articles", headers=headers,
                           params={"wait": "true"},
                           json={"title": article["title"], "text": article["text"]})
        if resp is not None and resp.is_success:
            for ref in resp.json()["report"]["articles_now"]:
                ids[article["phrase"]] = ref["id"]


async def run_load(url: str, clients: int, duration: float, articles: int, api_key: str | None,
                   timeout: float) -> dict[str, object]:
    """The whole run: load, concurrent ingest, then the searchability check."""
    stats = Stats()
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    docs = generated_articles(articles, secrets.token_hex(2).upper())
    ids: dict[str, str] = {}
    # Idle connections are dropped before the server's keep-alive timeout could race a new request.
    limits = httpx.Limits(max_connections=clients + 8, max_keepalive_connections=clients + 8,
                          keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as client:
        started = time.monotonic()
        deadline = started + duration
        tasks = [reader(client, stats, deadline, seed) for seed in range(clients)]
        tasks.append(ingester(client, stats, docs, duration, headers, ids))
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=duration + timeout + 30)
        elapsed = time.monotonic() - started
        load_requests = sum(len(v) for v in stats.latencies.values())
        unsearchable = []
        for doc in docs:
            resp = await client.post("/v1/search", json={"query": doc["phrase"], "k": 5})
            found = resp.is_success and ids.get(doc["phrase"]) in {
                h["article_id"] for h in resp.json()["hits"]}
            if not found:
                unsearchable.append(doc["phrase"])
    every = [ms for values in stats.latencies.values() for ms in values]
    return {
        "url": url,
        "clients": clients,
        "duration_s": duration,
        "elapsed_s": round(elapsed, 1),
        "requests": load_requests,
        "requests_per_s": round(load_requests / elapsed, 1),
        "errors": len(stats.errors),
        "error_samples": stats.errors[:10],
        "latency": {"all": summary(every),
                    **{kind: summary(values) for kind, values in sorted(stats.latencies.items())}},
        "ingested": len(ids),
        "ingest_requested": len(docs),
        "unsearchable": unsearchable,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def spawned_server(home: str | None, api_key: str, ready_timeout: float,
                   server_log: str | None = None) -> Iterator[str]:
    """`articleqa serve` on a free loopback port over a fresh index seeded with the built-in corpus."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="aqa-load-") as tmp:
        cmd = [sys.executable, "-m", "articleqa", "serve", "--port", str(port), "--index",
               str(Path(tmp) / "index"), "--no-ui", "-v"]
        if home:
            cmd += ["--home", home]
        log_path = Path(server_log) if server_log else Path(tmp) / "server.log"
        with log_path.open("wb") as log_file:
            proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, cwd=REPO,
                                    env={**os.environ, "ARTICLEQA_API_KEY": api_key,
                                         "HF_HUB_OFFLINE": "1"})
        try:
            deadline = time.monotonic() + ready_timeout
            while True:
                if proc.poll() is not None:
                    raise SystemExit(f"the server exited:\n{log_path.read_text(errors='replace')[-2000:]}")
                if time.monotonic() > deadline:
                    raise SystemExit(f"the server was not ready in {ready_timeout:.0f} s")
                try:
                    if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.5)
            corpus = REPO / "index" / "data" / "qingdao-evening-news-page.txt"
            seeded = httpx.post(f"{url}/v1/articles", timeout=600, params={"wait": "true"},
                                headers={"Authorization": f"Bearer {api_key}"},
                                files=[("files", (corpus.name, corpus.read_bytes()))])
            seeded.raise_for_status()
            yield url
            if "Traceback" in log_path.read_text(errors="replace"):
                print(f"server log has a traceback:\n{log_path.read_text(errors='replace')[-3000:]}",
                      file=sys.stderr)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server (loopback only); default: start one")
    parser.add_argument("--home", default=str(REPO / ".articleqa-test"),
                        help="articleqa home (model cache) for the started server")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--articles", type=int, default=20, help="articles ingested during the load")
    parser.add_argument("--timeout", type=float, default=120.0, help="per-request timeout (s)")
    parser.add_argument("--api-key", default=os.environ.get("ARTICLEQA_API_KEY"))
    parser.add_argument("--out", default=str(REPO / "docs" / "bench" / "load-api.json"))
    parser.add_argument("--server-log", help="keep the started server's log (with access lines) here")
    args = parser.parse_args(argv)
    if not (1 <= args.clients <= 1000 and 1 <= args.duration <= 600 and 0 <= args.articles <= 200):
        parser.error("keep it bounded: 1-1000 clients, 1-600 s, 0-200 articles")
    if args.url:
        host = urlparse(args.url).hostname or ""
        if host not in LOOPBACK:
            parser.error(f"only loopback targets are allowed; got {host!r}")
        result = asyncio.run(run_load(args.url.rstrip("/"), args.clients, args.duration,
                                      args.articles, args.api_key, args.timeout))
    else:
        key = args.api_key or secrets.token_urlsafe(16)
        with spawned_server(args.home, key, ready_timeout=300, server_log=args.server_log) as url:
            result = asyncio.run(run_load(url, args.clients, args.duration, args.articles, key,
                                          args.timeout))
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")
    ok = result["errors"] == 0 and not result["unsearchable"] and result["ingested"] == args.articles
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
