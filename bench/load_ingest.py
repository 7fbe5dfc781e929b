"""Ingest under load: one 20 MB upload and 20 small ones at once, while clients keep searching.

    PYTHONPATH=. python bench/load_ingest.py              # starts `articleqa serve` itself
    PYTHONPATH=. python bench/load_ingest.py --large-mb 5 --watch 60

Starts a server on a free loopback port (index seeded with the built-in corpus), posts a large
Markdown file built from the benchmark paragraphs (many articles, `# title` each), waits until its
job is embedding, then posts 20 small articles at the same moment, each as its own upload. For
each small one it measures the time from its POST until a search for a phrase only it holds
finds it. Reader clients search and ask the whole time. The large job's progress is polled from
`GET /v1/jobs/{id}` throughout; after `--watch` seconds it is cancelled (`DELETE /v1/jobs/{id}`)
and every article it committed must still be listed. Any failed request is an error.

Writes docs/bench/load-ingest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.load_api import (  # noqa: E402 - after the path is set
    QUESTIONS,
    Stats,
    generated_articles,
    percentile,
    spawned_server,
    summary,
    timed,
)

BENCHMARKS = REPO.parent / "shared" / "benchmarks"
PARAGRAPH_SOURCES = ["drcd/DRCD_dev.json", "drcd/DRCD_test.json", "cmrc2018/cmrc2018_dev.json",
                     "cmrc2018/cmrc2018_trial.json", "xquad/xquad.zh.json"]


def large_markdown(target_bytes: int) -> tuple[bytes, int]:
    """A Markdown file of about `target_bytes`: one article per benchmark article, its title a
    heading. When the paragraphs run out they come round again under numbered titles, so the
    article texts stay distinct (their sentences then repeat and are embedded once)."""
    articles: list[tuple[str, str]] = []
    for name in PARAGRAPH_SOURCES:
        data = json.loads((BENCHMARKS / name).read_text(encoding="utf-8"))["data"]
        for item in data:
            body = "\n\n".join(p["context"].strip() for p in item["paragraphs"])
            articles.append((item.get("title") or "untitled", body))
    parts: list[bytes] = []
    size = 0
    for round_no in range(1000):
        for title, body in articles:
            block = f"# {title}（第{round_no + 1}輯）\n\n{body}\n\n".encode()
            if size + len(block) > target_bytes:
                return b"".join(parts), len(parts)
            parts.append(block)
            size += len(block)
    return b"".join(parts), len(parts)


async def poll_job(client: httpx.AsyncClient, job_id: str) -> dict:
    """The job's record now."""
    resp = await client.get(f"/v1/jobs/{job_id}")
    resp.raise_for_status()
    return resp.json()


async def small_upload(client: httpx.AsyncClient, stats: Stats, doc: dict[str, str],
                       headers: dict[str, str], timeout: float) -> dict[str, object]:
    """Post one small article; seconds until a search for its phrase finds it."""
    started = time.monotonic()
    name = f"{doc['title']}.txt"
    body = f"{doc['title']}\n\n{doc['text']}\n".encode()
    resp = await timed(client, stats, "upload", "POST", "/v1/articles", headers=headers,
                       files=[("files", (name, body, "text/plain"))])
    if resp is None or resp.status_code != 202:
        return {"title": doc["title"], "searchable_s": None, "error": "upload refused"}
    job_id = resp.json()["id"]
    while time.monotonic() - started < timeout:
        job = await poll_job(client, job_id)
        if job["state"] in ("failed", "cancelled"):
            stats.errors.append(f"small job {job_id} {job['state']}: {job['error']}")
            return {"title": doc["title"], "searchable_s": None, "error": job["state"]}
        if job["state"] == "done":
            ids = {a["id"] for a in job["report"]["articles_now"]}
            found = await timed(client, stats, "search", "POST", "/v1/search",
                                json={"query": doc["phrase"], "k": 5})
            if found is not None and ids & {h["article_id"] for h in found.json()["hits"]}:
                return {"title": doc["title"], "searchable_s": round(time.monotonic() - started, 2)}
        await asyncio.sleep(0.1)
    stats.errors.append(f"small upload {doc['title']} not searchable in {timeout:.0f} s")
    return {"title": doc["title"], "searchable_s": None, "error": "timeout"}


async def reader(client: httpx.AsyncClient, stats: Stats, stop: asyncio.Event, seed: int,
                 think: float) -> None:
    """Search or ask, `think` seconds apart (a person reading the answer), until told to stop."""
    rng = random.Random(seed)
    while not stop.is_set():
        await asyncio.sleep(rng.uniform(0, 2 * think))
        question = rng.choice(QUESTIONS)
        if rng.random() < 0.5:
            await timed(client, stats, "search", "POST", "/v1/search", json={"query": question, "k": 5})
        else:
            await timed(client, stats, "ask", "POST", "/v1/ask", json={"question": question})


async def run(url: str, api_key: str, large_mb: float, small_count: int, readers: int,
              think: float, watch: float, timeout: float) -> dict[str, object]:
    """The whole scenario; the figures as a dict."""
    stats = Stats()
    headers = {"Authorization": f"Bearer {api_key}"}
    data, large_articles = large_markdown(int(large_mb * 1024 * 1024))
    docs = generated_articles(small_count, secrets.token_hex(2).upper())
    limits = httpx.Limits(max_connections=readers + small_count + 8)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as client:
        t0 = time.monotonic()
        resp = await client.post("/v1/articles", headers=headers,
                                 files=[("files", ("archive.md", data, "text/markdown"))])
        if resp.status_code != 202:
            raise SystemExit(f"the large upload was refused: {resp.status_code} {resp.text[:300]}")
        large_id = resp.json()["id"]
        upload_s = time.monotonic() - t0
        progress: list[dict[str, object]] = []

        async def watch_large(stop: asyncio.Event) -> None:
            while not stop.is_set():
                job = await poll_job(client, large_id)
                progress.append({"t_s": round(time.monotonic() - t0, 1), "state": job["state"],
                                 "stage": job["stage"], "progress": job["progress"],
                                 "texts_embedded": job["texts_embedded"],
                                 "texts_total": job["texts_total"],
                                 "articles_committed": job["articles_committed"],
                                 "eta_s": job["eta_s"]})
                if job["state"] in ("done", "failed", "cancelled"):
                    return
                await asyncio.sleep(1.0)

        while (await poll_job(client, large_id))["texts_embedded"] == 0:
            await asyncio.sleep(0.2)  # the large job holds the embedder now
        stop = asyncio.Event()
        background = [asyncio.create_task(watch_large(stop))]
        background += [asyncio.create_task(reader(client, stats, stop, seed, think))
                       for seed in range(readers)]
        smalls = await asyncio.gather(*(small_upload(client, stats, doc, headers, timeout)
                                        for doc in docs))
        await asyncio.sleep(max(0.0, watch - (time.monotonic() - t0)))
        cancelled = await client.delete(f"/v1/jobs/{large_id}", headers=headers)
        if cancelled.status_code != 200:
            stats.errors.append(f"cancel: HTTP {cancelled.status_code}")
        while (await poll_job(client, large_id))["state"] not in ("done", "failed", "cancelled"):
            await asyncio.sleep(0.5)
        stop.set()
        await asyncio.gather(*background)
        final = await poll_job(client, large_id)
        listed = (await client.get("/v1/articles")).json()["articles"]
        from_large = sum(a["source"] == "upload:archive.md" for a in listed)
        if final["state"] == "cancelled" and from_large != final["articles_committed"]:
            stats.errors.append(f"{final['articles_committed']} large-job articles committed, "
                                f"{from_large} listed after cancelling")
    searchable = [s["searchable_s"] for s in smalls if s.get("searchable_s") is not None]
    embed_rates = [p for p in progress if p["stage"] == "embedding" and p["texts_embedded"]]
    return {
        "large_upload": {"bytes": len(data), "articles": large_articles,
                         "upload_request_s": round(upload_s, 2),
                         "texts_total": final["texts_total"], "final_state": final["state"],
                         "texts_embedded": final["texts_embedded"],
                         "articles_committed": final["articles_committed"],
                         "articles_listed_after_cancel": from_large,
                         "progress_polls": len(progress),
                         "progress_first_last": [progress[0], progress[-1]] if progress else [],
                         "eta_s_at_cancel": embed_rates[-1]["eta_s"] if embed_rates else None},
        "small_uploads": {"count": len(docs), "searchable": len(searchable),
                          "searchable_p50_s": round(percentile(searchable, 50), 2),
                          "searchable_p95_s": round(percentile(searchable, 95), 2),
                          "searchable_max_s": round(max(searchable, default=0.0), 2),
                          "each": smalls},
        "readers": readers,
        "reader_think_s": think,
        "latency_during_ingest": {kind: summary(values)
                                  for kind, values in sorted(stats.latencies.items())},
        "errors": len(stats.errors),
        "error_samples": stats.errors[:10],
        "progress": progress,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", default=str(REPO / ".articleqa-test"),
                        help="articleqa home (model cache) for the started server")
    parser.add_argument("--large-mb", type=float, default=19.9,
                        help="size of the large upload (the per-file limit is 20 MB)")
    parser.add_argument("--small", type=int, default=20, help="small uploads posted at once")
    parser.add_argument("--readers", type=int, default=4, help="clients searching and asking")
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean seconds a reader waits between requests (0: back to back)")
    parser.add_argument("--watch", type=float, default=120.0,
                        help="seconds after the large upload before it is cancelled")
    parser.add_argument("--timeout", type=float, default=120.0, help="per-request timeout (s)")
    parser.add_argument("--out", default=str(REPO / "docs" / "bench" / "load-ingest.json"))
    parser.add_argument("--server-log", help="keep the started server's log here")
    args = parser.parse_args(argv)
    if not (0.01 <= args.large_mb <= 20 and 1 <= args.small <= 100 and 0 <= args.readers <= 50):
        parser.error("keep it bounded: a large upload of 0.01-20 MB, 1-100 small, 0-50 readers")
    key = secrets.token_urlsafe(16)
    with spawned_server(args.home, key, ready_timeout=300, server_log=args.server_log) as url:
        result = asyncio.run(run(url, key, args.large_mb, args.small, args.readers, args.think,
                                 args.watch, args.timeout))
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")
    smalls = result["small_uploads"]
    ok = (result["errors"] == 0 and smalls["searchable"] == smalls["count"]  # type: ignore[index]
          and smalls["searchable_max_s"] <= 10)  # type: ignore[index]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
