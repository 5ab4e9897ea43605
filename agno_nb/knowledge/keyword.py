"""The keyword index: BM25 over every chunk, in SQLite FTS5 (standard library), kept in step with Chroma.

Local Chroma has no BM25 (its ``$contains`` is a substring filter, and Agno's Chroma "hybrid" only
re-scores vector candidates), so this is a real full-text index over all chunks: porter-stemmed,
accent-folded, ranked by FTS5's ``bm25()``, with the same metadata filters as vector search.

Chroma is the source of truth; this index is derived from it. Every write is recorded so that a crash
between the two stores is repaired on the next open:

- before an ingest touches Chroma, ``dirty`` is set (committed);
- Chroma is written, then this index, batch by batch, each batch in one transaction;
- at the end a fresh ``token`` goes into the collection's metadata and here, and ``dirty`` is cleared.

On open (and before searches, at most every ``sync_interval`` seconds), a ``dirty`` flag, a token that
differs from the collection's (another process or replica wrote) or a different chunk count triggers
``reconcile``: the chunk ids and content hashes of both sides are compared and only the difference is
fetched from Chroma; nothing is re-embedded.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from pathlib import Path
from typing import Any, Iterable, Sequence

from .documents import Chunk
from .filters import to_sql

__all__ = ["KeywordIndex", "query_terms"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    content TEXT NOT NULL,
    metadata TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    content, content='chunks', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS fields (name TEXT PRIMARY KEY, chunks INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT);
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, content) VALUES (new.rowid, new.content);
    INSERT INTO fields(name, chunks) SELECT key, 1 FROM json_each(new.metadata) WHERE true
        ON CONFLICT(name) DO UPDATE SET chunks = chunks + 1;
END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
    UPDATE fields SET chunks = chunks - 1 WHERE name IN (SELECT key FROM json_each(old.metadata));
    DELETE FROM fields WHERE chunks <= 0;
END;
"""

# Words that carry no meaning for BM25 but match nearly every chunk (they would only slow the OR query).
_STOPWORDS = frozenset("""a an and are as at be been but by can could did do does for from had has have how
i if in into is it its me my no not of on or our should so than that the their them then there these they this
to us was we were what when where which who whom why will with would you your""".split())


def query_terms(query: str) -> list[str]:
    """The words of a query worth matching (stop words dropped unless nothing else is left)."""
    words = re.findall(r"\w+", query.lower())
    kept = [w for w in words if w not in _STOPWORDS]
    return list(dict.fromkeys(kept or words))


def _match_expression(query: str) -> str | None:
    terms = query_terms(query)
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms) if terms else None


class KeywordIndex:
    """A BM25 index of chunks in one SQLite file (``path=None``: in memory, for ephemeral collections)."""

    def __init__(self, path: str | Path | None):
        self.path = str(path) if path is not None else ":memory:"
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        with self._lock:
            if path is not None:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------------------------------ state

    def get_state(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_state(self, **values: str | None) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            for key, value in values.items():
                if value is None:
                    self._db.execute("DELETE FROM state WHERE key = ?", (key,))
                else:
                    self._db.execute("INSERT INTO state(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE "
                                     "SET value = excluded.value", (key, value))
            self._db.execute("COMMIT")

    # ----------------------------------------------------------------------------------- writes

    def upsert(self, chunks: Sequence[Chunk]) -> None:
        """Insert or replace chunks, in one transaction."""
        rows = [(c.id, c.metadata["doc_id"], c.metadata["content_hash"], c.content,
                 json.dumps(c.metadata, ensure_ascii=False)) for c in chunks]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany("DELETE FROM chunks WHERE id = ?", [(r[0],) for r in rows])
                self._db.executemany("INSERT INTO chunks(id, doc_id, content_hash, content, metadata) "
                                     "VALUES (?, ?, ?, ?, ?)", rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def delete(self, ids: Iterable[str]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("DELETE FROM chunks WHERE id = ?", [(i,) for i in ids])
            self._db.execute("COMMIT")

    def clear(self) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM chunks")
            self._db.execute("DELETE FROM fields")
            self._db.execute("COMMIT")

    # ------------------------------------------------------------------------------------ reads

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]

    def fields(self) -> dict[str, int]:
        """Metadata field -> number of chunks that have it."""
        with self._lock:
            return dict(self._db.execute("SELECT name, chunks FROM fields ORDER BY name").fetchall())

    def field_values(self, name: str, limit: int = 8) -> list[Any]:
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT json_extract(metadata, ?) FROM chunks WHERE "
                                    "json_extract(metadata, ?) IS NOT NULL LIMIT ?",
                                    ("$." + json.dumps(name), "$." + json.dumps(name), limit)).fetchall()
        return [r[0] for r in rows]

    def documents(self, doc_ids: Sequence[str]) -> dict[str, tuple[str | None, int]]:
        """doc id -> (content hash, chunks stored) for documents whose chunks all agree; a document
        whose chunks disagree (a crash mid-replace) or are incomplete has hash ``None``."""
        found: dict[str, tuple[str | None, int]] = {}
        with self._lock:
            for start in range(0, len(doc_ids), 500):
                batch = list(doc_ids[start:start + 500])
                marks = ", ".join("?" for _ in batch)
                rows = self._db.execute(
                    f"SELECT doc_id, min(content_hash), max(content_hash), count(*), "
                    f"max(json_extract(metadata, '$.chunk_count')) FROM chunks WHERE doc_id IN ({marks}) "
                    f"GROUP BY doc_id", batch).fetchall()
                for doc_id, low, high, stored, expected in rows:
                    consistent = low == high and stored == expected
                    found[doc_id] = (low if consistent else None, stored)
        return found

    def chunk_ids(self, doc_id: str) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE doc_id = ?", (doc_id,))]

    def ids_where(self, condition: str, args: list[Any]) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute(f"SELECT id FROM chunks WHERE {condition}", args)]

    def hashes(self) -> dict[str, str]:
        """Every chunk id with its document's content hash (what reconcile compares)."""
        with self._lock:
            return dict(self._db.execute("SELECT id, content_hash FROM chunks").fetchall())

    def get(self, ids: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        found: dict[str, tuple[str, dict[str, Any]]] = {}
        with self._lock:
            for start in range(0, len(ids), 500):
                batch = list(ids[start:start + 500])
                marks = ", ".join("?" for _ in batch)
                for chunk_id, content, metadata in self._db.execute(
                        f"SELECT id, content, metadata FROM chunks WHERE id IN ({marks})", batch):
                    found[chunk_id] = (content, json.loads(metadata))
        return found

    def search(self, query: str, limit: int, where: dict[str, Any] | None = None,
               ids: Sequence[str] | None = None) -> list[tuple[str, str, dict[str, Any], float]]:
        """BM25 matches: (id, content, metadata, score), best first; ``score`` is positive (-bm25).
        ``where`` is a normalized filter; ``ids`` restricts the search to those chunks (the scores of a
        reranker's candidates)."""
        expression = _match_expression(query)
        if expression is None or limit <= 0:
            return []
        if where is None and ids is None:
            return self._top(expression, limit)
        sql = ("SELECT c.id, c.content, c.metadata, -bm25(chunks_fts) FROM chunks_fts "
               "JOIN chunks c ON c.rowid = chunks_fts.rowid WHERE chunks_fts MATCH ?")
        args: list[Any] = [expression]
        if where is not None:
            condition, values = to_sql(where, "c.metadata")
            sql += f" AND {condition}"
            args += values
        if ids is not None:
            if not ids:
                return []
            sql += f" AND c.id IN ({', '.join('?' for _ in ids)})"
            args += list(ids)
        sql += " ORDER BY bm25(chunks_fts) LIMIT ?"
        args.append(limit)
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [(r[0], r[1], json.loads(r[2]), float(r[3])) for r in rows]

    def _top(self, expression: str, limit: int) -> list[tuple[str, str, dict[str, Any], float]]:
        """Rank inside FTS5 first and read only the winners' rows: joining every match before sorting reads
        thousands of rows for a query with a common word (about 2x slower at 100k chunks)."""
        with self._lock:
            ranked = self._db.execute("SELECT rowid, -bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts "
                                      "MATCH ? ORDER BY bm25(chunks_fts) LIMIT ?",
                                      (expression, limit)).fetchall()
            if not ranked:
                return []
            marks = ", ".join("?" for _ in ranked)
            rows = {r[0]: r[1:] for r in self._db.execute(
                f"SELECT rowid, id, content, metadata FROM chunks WHERE rowid IN ({marks})",
                [r[0] for r in ranked])}
        return [(rows[rowid][0], rows[rowid][1], json.loads(rows[rowid][2]), float(score))
                for rowid, score in ranked]
