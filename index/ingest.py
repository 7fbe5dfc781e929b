"""Files in, articles out: find supported files, decode them, clean them, give articles ids."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from .clean import parse_blocks, parse_document
from .decode import decode_bytes
from .documents import DOCUMENT_FORMATS, document_blocks
from .errors import ArticleQAError, InputError
from .records import Article, BlockKind, ParsedArticle, Sentence
from .split import content_id
from .text import split_sentences

log = logging.getLogger(__name__)

#: File suffixes ingest reads, and the format each one is parsed as.
SUPPORTED_SUFFIXES = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md",
                      ".html": "html", ".htm": "html", ".pdf": "pdf", ".docx": "docx"}
MAX_FILE_BYTES = 20 * 1024 * 1024
BUILTIN_CORPUS = "qingdao-evening-news-page.txt"
BUILTIN_SOURCE = f"builtin:{BUILTIN_CORPUS}"


@dataclass(frozen=True)
class Rejected:
    """A file that was not ingested, and why: in English (`reason`) and as an error code with
    its values (`code`, `params`; see index.errors) for interfaces in other languages."""

    name: str
    reason: str
    code: str = "input_error"
    params: dict[str, object] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, name: str, error: ArticleQAError) -> Rejected:
        """The rejection an error describes (its message without the file name it starts with)."""
        return cls(name, str(error).removeprefix(f"{name}: "), error.code, dict(error.params))


@dataclass(frozen=True)
class SourceFile:
    """One document to ingest: its bytes, a display name and the source key it replaces."""

    name: str
    source: str
    data: bytes


def collect_files(paths: Sequence[Path]) -> tuple[list[Path], list[Rejected]]:
    """Expand files and folders (recursively) into supported files; missing paths are rejected."""
    found: list[Path] = []
    rejected: list[Rejected] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            before = len(found) + len(rejected)
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if any(part.startswith(".") for part in child.relative_to(path).parts):
                    continue  # hidden files and folders (.git, .DS_Store) are not articles
                if child.suffix.lower() in SUPPORTED_SUFFIXES:
                    found.append(child)
                else:
                    rejected.append(_unsupported(str(child)))
            if len(found) + len(rejected) == before:
                rejected.append(Rejected(str(path), "the folder holds no files to ingest", "folder_empty"))
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                found.append(path)
            else:
                rejected.append(_unsupported(str(path)))
        else:
            rejected.append(Rejected(str(path), "no such file or folder", "no_such_path"))
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return unique, rejected


def unsupported_type(name: str) -> InputError:
    """The error for a file whose type articleqa cannot read (it lists the types it can)."""
    kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
    return InputError(f"{name}: unsupported file type (use {kinds})", code="unsupported_type",
                      types=kinds)


def too_large(name: str) -> InputError:
    """The error for a file over the size limit."""
    mb = MAX_FILE_BYTES // (1024 * 1024)
    return InputError(f"{name}: file is larger than {mb} MB", code="too_large", mb=mb)


def unreadable(name: str, exc: OSError) -> InputError:
    """The error for a file the operating system would not let us read."""
    return InputError(f"{name}: cannot read: {exc.strerror or exc}", code="cannot_read")


def _unsupported(name: str) -> Rejected:
    return Rejected.of(name, unsupported_type(name))


def source_for_path(path: Path) -> str:
    """The source key of a file on disk: re-ingesting the same path replaces its articles."""
    return str(Path(path).resolve())


def read_source_files(paths: Iterable[Path]) -> tuple[list[SourceFile], list[Rejected]]:
    """Read files into SourceFile records, rejecting unreadable or oversized ones."""
    files: list[SourceFile] = []
    rejected: list[Rejected] = []
    for path in paths:
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                rejected.append(Rejected.of(str(path), too_large(str(path))))
                continue
            files.append(SourceFile(name=path.name, source=source_for_path(path),
                                    data=path.read_bytes()))
        except OSError as exc:
            rejected.append(Rejected.of(str(path), unreadable(str(path), exc)))
    return files, rejected




def builtin_source_file() -> SourceFile:
    """The built-in corpus shipped inside the package."""
    data = resources.files("index").joinpath("data", BUILTIN_CORPUS).read_bytes()
    return SourceFile(name=BUILTIN_CORPUS, source=BUILTIN_SOURCE, data=data)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def identify(parsed: Sequence[ParsedArticle], source: str) -> list[Article]:
    """Give parsed articles stable ids: the same source and title always get the same id."""
    seen: dict[str, int] = {}
    articles = []
    stamp = _now()
    for item in parsed:
        ordinal = seen.get(item.title, 0)
        seen[item.title] = ordinal + 1
        articles.append(
            Article(
                id=content_id(source, item.title, str(ordinal), size=12),
                title=item.title,
                text=item.text,
                source=source,
                content_hash=content_id(item.title, item.text),
                sentences=item.sentences,
                ingested_at=stamp,
            )
        )
    return articles


def articles_from_file(file: SourceFile) -> list[Article]:
    """Decode and clean one file into articles; InputError names the file when it cannot.

    Text formats are decoded and parsed by their markup; PDF and .docx files are read by their
    layout (`index.documents`) and then cleaned by the same rules.
    """
    suffix = Path(file.name).suffix.lower()
    fmt = SUPPORTED_SUFFIXES.get(suffix)
    if fmt is None:
        raise unsupported_type(file.name)
    if fmt in DOCUMENT_FORMATS:
        parsed = parse_blocks(document_blocks(file.data, file.name, fmt), Path(file.name).stem)
    else:
        text = decode_bytes(file.data, file.name)
        parsed = parse_document(text, fmt, Path(file.name).stem)
    parsed = [p for p in parsed if p.sentences]
    if not parsed:
        raise InputError(f"{file.name}: no article text found", code="no_article_text")
    return identify(parsed, file.source)


def article_from_text(title: str, text: str, source: str) -> Article:
    """An article from text that needs no cleaning (benchmark contexts, JSON uploads)."""
    if not text.strip():
        raise InputError(f"{source}: article text is empty", code="article_empty")
    sentences = tuple(
        Sentence(index=i, start=start, end=end, text=text[start:end], kind=BlockKind.BODY)
        for i, (start, end) in enumerate(split_sentences(text))
    )
    return identify([ParsedArticle(title=title.strip() or source, text=text,
                                   sentences=sentences)], source)[0]
