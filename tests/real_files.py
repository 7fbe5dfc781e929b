"""Test fixtures made by real tools: PDFs printed by Debian Chromium from HTML written by a test."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


def print_to_pdf(html: str, folder: Path, stem: str) -> Path:
    """Print an HTML page to `<folder>/<stem>.pdf` with headless Chromium (the test is skipped
    when Chromium is missing, and fails with Chromium's own words when it prints nothing)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: the PDF fixtures are printed by Chromium")
    source = folder / f"{stem}.html"
    source.write_text(html, encoding="utf-8")
    out = folder / f"{stem}.pdf"
    command = [
        "nice", "-n", "19", str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--no-pdf-header-footer",
        f"--user-data-dir={folder / '.chromium'}", f"--print-to-pdf={out}", source.as_uri(),
    ]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "HOME": str(folder)})
    if not out.exists() or out.stat().st_size == 0:
        pytest.fail(f"chromium printed no PDF (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return out
