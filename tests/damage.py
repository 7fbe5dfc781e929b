"""Damage done to files on purpose, the way a bad disk or a careless edit would."""

from __future__ import annotations

from pathlib import Path


def flip_middle_byte(path: Path) -> None:
    """Invert the byte in the middle of `path` in place: same size, different checksum."""
    with path.open("r+b") as fh:
        fh.seek(path.stat().st_size // 2)
        byte = fh.read(1)
        fh.seek(-1, 1)
        fh.write(bytes([byte[0] ^ 0xFF]))
