"""Readers: files (txt, md, pdf, csv, html, docx, json), folders and globs, URLs, strings and DataFrames
become ``Document`` objects.

A reader never stops a batch: a file it cannot read raises, and the ingest records that file's error
and goes on. Structured text keeps its structure for the chunker: HTML and DOCX headings come out as
markdown headings, so the markdown chunker can keep them as metadata.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import io
import json
import logging
import os
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from .documents import Document
from .errors import UnsupportedSourceError, missing

__all__ = ["SUPPORTED_EXTENSIONS", "expand_path", "read_file", "read_bytes", "read_text", "read_dataframe",
           "fetch_url", "is_url", "html_to_markdown"]


def _read_plain(path: str, data: bytes, **_: Any) -> list[Document]:
    return [_doc(path, _decode(data), kind="text")]


def _read_markdown(path: str, data: bytes, **_: Any) -> list[Document]:
    return [_doc(path, _decode(data), kind="markdown")]


def _read_html(path: str, data: bytes, **_: Any) -> list[Document]:
    text, title = html_to_markdown(_decode(data))
    return [_doc(path, text, kind="markdown", metadata={"title": title} if title else None)]


def _read_pdf(path: str, data: bytes, **_: Any) -> list[Document]:
    try:
        from pypdf import PdfReader
    except ImportError:
        raise missing("pypdf", "Reading PDF files") from None
    # pypdf logs every repair it attempts; the ingest report already says when a file cannot be read
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        pages_list = list(reader.pages)
    except Exception as exc:
        raise ValueError(f"not a readable PDF (corrupt or not a PDF): {type(exc).__name__}: {exc}") from None
    if reader.is_encrypted:
        raise ValueError("the PDF is encrypted; decrypt it first")
    pages = []
    for number, page in enumerate(pages_list, start=1):
        text = (page.extract_text() or "").strip()
        if text:
            pages.append(Document(text, id=f"{path}#page={number}", source=path, metadata={"page": number}))
    if not pages:
        raise ValueError("the PDF has no extractable text (a scanned PDF needs OCR first)")
    return pages


def _read_docx(path: str, data: bytes, **_: Any) -> list[Document]:
    try:
        import docx
    except ImportError:
        raise missing("python-docx", "Reading .docx files") from None
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise ValueError(f"not a readable .docx file (corrupt, or another format): {type(exc).__name__}: "
                         f"{exc}") from None
    lines = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = docx.text.paragraph.Paragraph(block, document)
            text = paragraph.text.strip()
            if not text:
                continue
            style = (paragraph.style.name or "") if paragraph.style is not None else ""
            if style.startswith("Heading") and style[7:].strip().isdigit():
                lines.append("#" * min(int(style[7:]), 6) + " " + text)
            elif style == "Title":
                lines.append("# " + text)
            else:
                lines.append(text)
        elif tag == "tbl":
            table = docx.table.Table(block, document)
            for row in table.rows:
                lines.append(" | ".join(cell.text.strip() for cell in row.cells))
    return [_doc(path, "\n\n".join(lines), kind="markdown")]


def _read_csv(path: str, data: bytes, **options: Any) -> list[Document]:
    text = _decode(data)
    dialect = csv.excel_tab if path.lower().endswith(".tsv") else csv.excel
    rows = list(csv.DictReader(io.StringIO(text), dialect=dialect))
    return _records(path, rows, **options)


def _read_json(path: str, data: bytes, **options: Any) -> list[Document]:
    text = _decode(data)
    if path.lower().endswith(".jsonl"):
        items = [json.loads(line) for line in text.splitlines() if line.strip()]
    else:
        items = json.loads(text)
    if isinstance(items, list) and items and all(isinstance(item, dict) for item in items):
        return _records(path, items, **options)
    return [_doc(path, json.dumps(items, indent=2, ensure_ascii=False), kind="text")]


_READERS: dict[str, Callable[..., list[Document]]] = {
    ".txt": _read_plain, ".text": _read_plain, ".log": _read_plain, ".rst": _read_plain,
    ".md": _read_markdown, ".markdown": _read_markdown,
    ".html": _read_html, ".htm": _read_html,
    ".pdf": _read_pdf, ".docx": _read_docx,
    ".csv": _read_csv, ".tsv": _read_csv,
    ".json": _read_json, ".jsonl": _read_json,
}
SUPPORTED_EXTENSIONS = tuple(sorted(_READERS))
_CONTENT_TYPES = {"text/html": ".html", "application/xhtml+xml": ".html", "application/pdf": ".pdf",
                  "text/markdown": ".md", "text/plain": ".txt", "text/csv": ".csv",
                  "application/json": ".json",
                  "application/x-ndjson": ".jsonl",
                  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx"}


def _supported_text() -> str:
    return ", ".join(SUPPORTED_EXTENSIONS)


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def expand_path(spec: str | os.PathLike[str]) -> tuple[list[Path], list[str]]:
    """Files named by a path, a folder (recursively) or a glob; and the files found there that no reader
    handles. A missing path raises ``FileNotFoundError``; a named file of an unsupported type raises."""
    text = os.fspath(spec)
    if glob.has_magic(text):
        matches = sorted(Path(p) for p in glob.glob(os.path.expanduser(text), recursive=True))
        files = [p for p in matches if p.is_file()]
        if not files:
            raise FileNotFoundError(f"the pattern {text!r} matches no file")
        return _split_supported(files)
    path = Path(os.path.expanduser(text))
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path))
        if not files:
            raise FileNotFoundError(f"the folder {text!r} has no files")
        return _split_supported(files)
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {text!r}")
    if path.suffix.lower() not in _READERS:
        raise UnsupportedSourceError(f"{text}: {path.suffix or 'files without an extension'} is not "
                                     f"supported; supported types: {_supported_text()}")
    return [path], []


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _split_supported(files: Iterable[Path]) -> tuple[list[Path], list[str]]:
    supported, skipped = [], []
    for path in files:
        if path.suffix.lower() in _READERS:
            supported.append(path)
        else:
            skipped.append(f"{path}: {path.suffix or 'no extension'} is not a supported type")
    return supported, skipped


def source_name(path: Path) -> str:
    """How a file is named in results: relative to the working directory (the notebook's) when inside it."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def read_file(path: Path, **options: Any) -> list[Document]:
    """The documents of one file (a PDF gives one per page, a CSV one per row)."""
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise UnsupportedSourceError(f"{path.suffix or 'no extension'} is not supported; supported types: "
                                     f"{_supported_text()}")
    return _checked(reader(source_name(path), path.read_bytes(), **options))


def read_bytes(name: str, data: bytes, content_type: str | None = None, **options: Any) -> list[Document]:
    """The documents of downloaded content: the content type decides, else the name's extension."""
    extension = _CONTENT_TYPES.get((content_type or "").split(";")[0].strip().lower())
    if extension is None:
        extension = os.path.splitext(name.split("?", 1)[0])[1].lower() or ".html"
    reader = _READERS.get(extension)
    if reader is None:
        raise UnsupportedSourceError(f"{content_type or extension} is not supported; supported types: "
                                     f"{_supported_text()}")
    return _checked(reader(name, data, **options))


async def fetch_url(url: str, timeout: float = 30.0) -> tuple[bytes, str | None]:
    """The body and content type of ``url``; a non-2xx status raises with the status in the message."""
    import aiohttp

    async with aiohttp.ClientSession(trust_env=True, timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        async with session.get(url, headers={"User-Agent": "agno_nb knowledge reader"}) as response:
            if response.status >= 400:
                raise ValueError(f"HTTP {response.status} {response.reason} from {url}")
            return await response.read(), response.headers.get("Content-Type")


def read_text(text: str, *, name: str | None = None, kind: str | None = None) -> Document:
    """A string as a document. Without a ``name`` its id is its content hash (the same text is the same
    document); with one, re-adding the name with new text replaces the old."""
    doc_id = name or "text:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    looks_markdown = kind is None and any(line.startswith("#") for line in text.splitlines()[:50])
    kind = kind or ("markdown" if looks_markdown else "text")
    return Document(text, id=doc_id, source=name or doc_id, kind=kind)


def read_dataframe(frame: Any, *, name: str, text_column: str | Sequence[str] | None = None,
                   metadata_columns: Sequence[str] | None = None,
                   id_column: str | None = None) -> list[Document]:
    """One document per row: the text columns become the content, the other columns its metadata."""
    columns = [str(c) for c in frame.columns]
    records = frame.to_dict(orient="records")
    return _records(name, [{str(k): v for k, v in r.items()} for r in records], text_column=text_column,
                    metadata_columns=metadata_columns, id_column=id_column, columns=columns)


def _records(source: str, rows: list[dict[str, Any]], *, text_column: str | Sequence[str] | None = None,
             metadata_columns: Sequence[str] | None = None, id_column: str | None = None,
             columns: list[str] | None = None) -> list[Document]:
    if not rows:
        raise ValueError("no rows")
    columns = columns or list(rows[0])
    text_columns = [text_column] if isinstance(text_column, str) else list(text_column or ())
    for column in [*text_columns, *(metadata_columns or ()), *([id_column] if id_column else [])]:
        if column not in columns:
            raise KeyError(f"no column {column!r}; columns: {columns}")
    if metadata_columns is None:  # every other column is filterable metadata (all, without text columns)
        metadata_columns = [c for c in columns if c not in text_columns]
    documents = []
    for number, row in enumerate(rows):
        if text_columns:
            parts = [_cell(row.get(c)) for c in text_columns]
            text = "\n".join(p for p in parts if p)
        else:
            text = "\n".join(f"{c}: {_cell(row.get(c))}" for c in columns if _cell(row.get(c)))
        key = _cell(row.get(id_column)) if id_column else str(number)
        metadata = {c: row.get(c) for c in metadata_columns}
        metadata["row"] = number
        documents.append(Document(text, id=f"{source}#row={key}", source=source, metadata=metadata,
                                  kind="row"))
    return documents


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _doc(path: str, text: str, *, kind: str, metadata: dict[str, Any] | None = None) -> Document:
    return Document(text, id=path, source=path, metadata=metadata, kind=kind)


def _checked(documents: list[Document]) -> list[Document]:
    kept = [d for d in documents if d.content.strip()]
    if not kept:
        raise ValueError("the document is empty: there is no text to index")
    return kept


def _decode(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    if b"\x00" in data[:8192]:
        raise ValueError("this looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # legacy Windows text, the usual non-UTF-8 case


class _HTMLText(HTMLParser):
    """HTML to markdown-ish text: headings as ``#`` lines, blocks as paragraphs, list items as ``- ``."""

    _SKIP = {"script", "style", "noscript", "template", "svg", "head"}
    _BLOCK = {"p", "div", "section", "article", "main", "header", "footer", "nav", "aside", "table", "tr",
              "ul", "ol", "pre", "blockquote", "br", "hr", "dl", "dt", "dd", "figure", "figcaption"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.title: str | None = None
        self._in_title = False
        self._heading: int | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in self._SKIP:
            self.skip += 1
        elif len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self._heading = int(tag[1])
            self.parts.append("\n\n" + "#" * self._heading + " ")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in ("td", "th"):
            self.parts.append(" | ")
        elif tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in self._SKIP:
            self.skip = max(0, self.skip - 1)
        elif len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self._heading = None
            self.parts.append("\n\n")
        elif tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title = (self.title or "") + data.strip()
        elif not self.skip:
            self.parts.append(" ".join(data.split()) if self._heading else data)


def html_to_markdown(text: str) -> tuple[str, str | None]:
    """The readable text of an HTML page (headings as markdown) and its ``<title>``."""
    parser = _HTMLText()
    parser.feed(text)
    parser.close()
    paragraphs = []
    for block in "".join(parser.parts).split("\n\n"):
        lines = [" ".join(line.split()) for line in block.splitlines()]
        block = "\n".join(line for line in lines if line)
        if block:
            paragraphs.append(block)
    return "\n\n".join(paragraphs), parser.title or None
