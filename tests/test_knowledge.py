"""Knowledge end to end on real Chroma: the same tests on an embedded PersistentClient folder and on a
Chroma server started for the session (``chroma_location``), with the offline embedder really running.

Ingest (every reader, idempotency by content hash, replacement, removal), the three searches with
metadata filters, the keyword index kept in step with the collection (other writers, a crash
mid-ingest), and bad input: unreadable files, unknown filter fields, another embedder, a server that
is down.
"""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pandas
import pytest

from agno_nb.knowledge import (ChromaDb, EmbedderMismatchError, FilterError, Knowledge, KnowledgeError,
                               KnowledgeUnavailableError)
from agno_nb.knowledge.embedders import Embedder, default_embedder
from knowledge_data import write_corpus


class CountingEmbedder(Embedder):
    """The offline embedder, counting what it is asked to embed (to prove what is not re-embedded)."""

    def __init__(self) -> None:
        self.inner = default_embedder()
        self.id, self.dimensions = self.inner.id, self.inner.dimensions
        self.texts = 0

    def embed(self, texts):
        self.texts += len(texts)
        return self.inner.embed(texts)


class HashEmbedder(Embedder):
    """Another embedder (8 dimensions): a collection built with MiniLM must refuse it. Plumbing only."""

    id, dimensions = "test/hash-8", 8

    def embed(self, texts):
        import numpy

        rows = [[(hash((t, i)) % 1000) / 1000 + 0.01 for i in range(8)] for t in texts]
        matrix = numpy.asarray(rows, dtype=numpy.float32)
        return matrix / numpy.linalg.norm(matrix, axis=1, keepdims=True)


def sources(results):
    return [r.source for r in results]


@pytest.fixture
def corpus(tmp_path):
    return write_corpus(tmp_path / "docs")


# ------------------------------------------------------------------------------------------ ingest


def test_folder_ingest_reports_every_file_and_all_three_searches_find_the_answer(chroma_location, corpus):
    kb = Knowledge("cafe", **chroma_location)
    report = kb.add_content(path=corpus, metadata={"team": "cafe"})
    assert sorted(Path(a).name.split("#")[0] for a in report.added) == sorted(
        ["equipment.pdf"] * 2 + ["handbook.md", "history.docx", "roasting.html", "staff.txt"] + ["menu.csv"] * 3
        + ["suppliers.json"] * 2)
    failed = {Path(e.source).name: e.error for e in report.errors}
    assert set(failed) == {"broken.pdf", "empty.txt"}
    assert "not a readable PDF" in failed["broken.pdf"] and "empty" in failed["empty.txt"]
    assert report.skipped == [f"{corpus / 'logo.xyz'}: .xyz is not a supported type"]
    assert report.chunks == kb.count() == 14

    for kind in ("vector", "keyword", "hybrid"):
        top = kb.search("When does the kiosk open on Saturdays?", limit=3, search_type=kind)
        assert top[0].source.endswith("handbook.md"), (kind, top)
        assert top[0].metadata["heading"] == "Glacier Coffee handbook > Opening hours"
        assert top[0].metadata["team"] == "cafe" and top[0].search_type == kind
    assert kb.search("Faema", search_type="keyword")[0].metadata["page"] == 1  # a PDF page, found by name
    assert kb.search("where does the owner get Ethiopian beans")[0].content.startswith("supplier: Kaffa Imports")
    hybrid = kb.search("descaling the espresso machine", limit=1)[0]
    assert hybrid.source.endswith("equipment.pdf") and {"vector", "keyword", "hybrid"} <= set(hybrid.scores)


def test_re_adding_unchanged_content_embeds_nothing_and_changed_content_replaces_its_chunks(chroma_location,
                                                                                             corpus):
    embedder = CountingEmbedder()
    kb = Knowledge("cafe", embedder=embedder, chunker="markdown:200:20", **chroma_location)
    first = kb.add_content(path=corpus)
    embedded = embedder.texts
    assert embedded == first.chunks > 0

    again = kb.add_content(path=corpus)
    assert again.added == again.replaced == [] and len(again.unchanged) == len(first.added)
    assert embedder.texts == embedded  # nothing embedded, nothing written

    handbook = corpus / "handbook.md"
    handbook.write_text("# Glacier Coffee handbook\n\n## Opening hours\nOpen from 07:15, every day of the week.\n")
    before = kb.count()
    changed = kb.add_content(path=corpus)
    assert [Path(r).name for r in changed.replaced] == ["handbook.md"] and changed.added == []
    assert embedder.texts == embedded + 1  # only the changed document's one chunk
    assert kb.count() == before - 2  # three sections became one: the two stale chunks are gone
    assert kb.search("loyalty card stamps", search_type="keyword") == []
    assert not any("Loyalty" in r.content for r in kb.search("loyalty card stamps", search_type="vector", limit=20))
    assert "07:15" in kb.search("opening hours", limit=1)[0].content

    rechunked = Knowledge("cafe", embedder=embedder, chunker="recursive:300:30", **chroma_location)
    assert len(rechunked.add_content(path=corpus / "handbook.md").replaced) == 1  # new chunking, new hash


def test_text_dataframe_and_metadata(chroma_location):
    kb = Knowledge("mixed", **chroma_location)
    frame = pandas.DataFrame({"ticket": ["T-1", "T-2", "T-3"],
                              "text": ["The printer on floor 2 jams with thick paper.",
                                       "VPN drops every hour on the guest network.",
                                       "Coffee machine leaks water from the drip tray."],
                              "priority": [2, 1, 3], "office": ["Porto", "Lisbon", "Porto"]})
    report = kb.add_content(dataframe=frame, text_column="text", id_column="ticket", name="tickets")
    assert report.added == ["tickets#row=T-1", "tickets#row=T-2", "tickets#row=T-3"]
    top = kb.search("network keeps disconnecting", limit=1)[0]
    assert top.metadata["ticket"] == "T-2" and top.metadata["priority"] == 1 and top.source == "tickets"
    assert kb.add_content(text_content="Fire drill on Friday at 11:00.", name="notice").added == ["notice"]
    assert kb.add_content(text_content="Fire drill moved to Monday at 09:00.", name="notice").replaced == ["notice"]
    assert "Monday" in kb.search("fire drill", limit=1)[0].content
    anonymous = kb.add_content(text_content="An unnamed note.")
    assert kb.add_content(text_content="An unnamed note.").unchanged == anonymous.added


def test_remove_by_document_source_and_metadata(chroma_location, corpus):
    kb = Knowledge("cafe", **chroma_location)
    kb.add_content(path=corpus / "menu.csv", metadata={"kind": "menu"})
    kb.add_content(path=corpus / "staff.txt", metadata={"kind": "people"})
    kb.add_content(path=corpus / "handbook.md", metadata={"kind": "policy"})
    total = kb.count()
    assert kb.remove("no/such/document") == []
    row_ids = [d for d in kb.documents()["doc_id"] if "menu.csv#row=0" in d]
    assert kb.remove(row_ids[0]) == row_ids and kb.count() == total - 1
    assert len(kb.remove(filters={"kind": "menu"})) == 2
    staff = [s for s in kb.documents()["source"] if s.endswith("staff.txt")][0]
    assert kb.remove(source=staff) == [staff]
    assert set(kb.documents()["source"]) == {s for s in kb.documents()["source"] if s.endswith("handbook.md")}
    assert kb.search("barista Leonor", search_type="keyword") == []
    with pytest.raises(KnowledgeError, match="remove what"):
        kb.remove()


# ---------------------------------------------------------------------------------------- filters


def test_metadata_filters_apply_to_every_search_kind(chroma_location):
    kb = Knowledge("filtered", **chroma_location)
    for year, team in ((2023, "data"), (2024, "data"), (2025, "sales")):
        kb.add_content(text_content=f"Quarterly report {year}: the {team} team grew revenue by {year - 2000}%.",
                       name=f"report-{year}", metadata={"year": year, "team": team})
    for kind in ("vector", "keyword", "hybrid"):
        assert sources(kb.search("quarterly report revenue", search_type=kind, filters={"team": "data"})) in (
            ["report-2023", "report-2024"], ["report-2024", "report-2023"]), kind
        assert sources(kb.search("quarterly report", search_type=kind, filters={"year": {"$gte": 2024},
                                                                                 "team": "sales"})) == ["report-2025"]
        assert sorted(sources(kb.search("quarterly report", search_type=kind, filters={"year": [2023, 2025]}))) == \
            ["report-2023", "report-2025"]
        assert sources(kb.search("quarterly", search_type=kind, filters={"$or": [{"year": 2023}, {"team": "sales"}]},
                                 limit=5)).count("report-2024") == 0
    with pytest.raises(FilterError, match=r"unknown metadata field 'region'.*fields are: doc_id, source, team, year"):
        kb.search("report", filters={"region": "EU"})


# ------------------------------------------------------------------------- the keyword index in step


def test_a_second_writer_is_seen_by_the_keyword_search_of_the_first(chroma_location, tmp_path):
    first = Knowledge("shared", sync_interval=0, **chroma_location)
    first.add_content(text_content="The red fox jumps.", name="fox")
    second_location = dict(chroma_location)
    if "keyword_path" in second_location:  # another replica: its own keyword index file
        second_location["keyword_path"] = tmp_path / "replica.sqlite3"
    second = Knowledge("shared", sync_interval=0, **second_location)
    assert sources(second.search("fox", search_type="keyword")) == ["fox"]  # built from the collection
    second.add_content(text_content="A purple walrus sings opera.", name="walrus")
    assert sources(first.search("walrus opera", search_type="keyword")) == ["walrus"]
    second.remove("fox")
    assert first.search("fox", search_type="keyword") == []


def test_a_failed_write_leaves_both_stores_consistent(chroma_location, corpus, monkeypatch):
    from agno_nb.knowledge import keyword

    kb = Knowledge("cafe", **chroma_location)
    real = keyword.KeywordIndex.upsert
    calls = []

    def flaky(self, chunks):
        calls.append(len(chunks))
        if len(calls) == 1 and len(chunks) > 1:  # the first batch reaches Chroma, then the index fails
            raise OSError("disk full")
        return real(self, chunks)

    monkeypatch.setattr(keyword.KeywordIndex, "upsert", flaky)
    report = kb.add_content(path=corpus)
    assert report.errors and any("disk full" in e.error for e in report.errors)
    monkeypatch.setattr(keyword.KeywordIndex, "upsert", real)
    # the index was repaired from the collection: every stored chunk is keyword-searchable
    assert kb.index.count() == kb.count() > 0
    assert kb.search("Faema", search_type="keyword")
    assert kb.index.get_state("dirty") is None


def test_a_crash_mid_ingest_is_repaired_on_the_next_open(tmp_path, corpus):
    """A process dies between the Chroma write and the keyword index write; the next open repairs."""
    kb_path = tmp_path / "kb"
    script = textwrap.dedent(f"""
        import os
        from agno_nb.knowledge import Knowledge, keyword
        def die(self, chunks):
            os._exit(3)  # no cleanup, no finally: like a killed kernel
        keyword.KeywordIndex.upsert = die
        Knowledge("cafe", path={str(kb_path)!r}).add_content(path={str(corpus)!r})
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 3, result.stderr[-2000:]
    kb = Knowledge("cafe", path=kb_path)
    assert kb.index.count() == kb.count() > 0  # repaired from the collection, nothing re-embedded
    assert kb.search("Faema", search_type="keyword")
    embedder = CountingEmbedder()
    again = Knowledge("cafe", path=kb_path, embedder=embedder).add_content(path=corpus)
    assert again.unchanged and embedder.texts < again.chunks + 1  # only what never reached Chroma


# ------------------------------------------------------------------------------------- bad input


def test_another_embedder_on_an_existing_collection_names_both(chroma_location):
    Knowledge("vectors", **chroma_location).add_content(text_content="some text", name="t")
    with pytest.raises(EmbedderMismatchError) as info:
        Knowledge("vectors", embedder=HashEmbedder(), **chroma_location).search("text")
    message = str(info.value)
    assert "all-MiniLM-L6-v2-int8" in message and "384" in message and "test/hash-8" in message and "8 dim" in message


def test_an_unreachable_server_is_an_error_naming_its_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kb = Knowledge("down", host="127.0.0.1", port=port)
    with pytest.raises(KnowledgeUnavailableError, match=rf"Chroma server at http://127.0.0.1:{port} is unreachable"):
        kb.search("anything")


def test_bad_sources_are_reported_not_raised(chroma_location, tmp_path):
    kb = Knowledge("bad", **chroma_location)
    (tmp_path / "notes.bin").write_bytes(b"\x00")
    report = kb.add_content(path=[tmp_path / "missing.md", tmp_path / "notes.bin"], text_content="   ")
    errors = {e.source: e.error for e in report.errors}
    assert "no such file or folder" in errors[str(tmp_path / "missing.md")]
    assert "supported types: .csv, .docx" in errors[str(tmp_path / "notes.bin")]
    assert "empty" in errors["text"]
    with pytest.raises(KnowledgeError, match="needs something to add"):
        kb.add_content()
    with pytest.raises(KnowledgeError, match="query is empty"):
        kb.search(" ")


# ---------------------------------------------------------------------------------------- urls


@pytest.fixture
def web(corpus):
    """A local web server over the corpus folder (plus a 404)."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(corpus), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_urls_are_read_by_content_type(tmp_path, web):
    kb = Knowledge("web", path=tmp_path / "kb")
    report = kb.add_content(url=[f"{web}/roasting.html", f"{web}/equipment.pdf", f"{web}/missing.html"])
    assert report.added == [f"{web}/roasting.html", f"{web}/equipment.pdf#page=1", f"{web}/equipment.pdf#page=2"]
    assert [e.source for e in report.errors] == [f"{web}/missing.html"] and "HTTP 404" in report.errors[0].error
    top = kb.search("which day is the house blend roasted", limit=1)[0]
    assert top.source == f"{web}/roasting.html" and top.metadata["title"] == "Roasting notes"


# ------------------------------------------------------------------------------------- spellings


def test_agno_spelling_and_chromas_own_client_open_the_same_collection(tmp_path, corpus):
    import chromadb

    from agno_nb.knowledge import SearchType

    kb = Knowledge(vector_db=ChromaDb(collection="agno_docs", path=str(tmp_path / "chroma"), persistent_client=True,
                                      search_type=SearchType.keyword))
    assert kb.search_type == "keyword"
    kb.add_content(path=str(corpus / "staff.txt"), name="ignored for files")
    assert sources(kb.search("barista", max_results=1))[0].endswith("staff.txt")
    assert kb.remove_content_by_id(kb.documents()["doc_id"][0])
    kb.add_content(path=str(corpus / "staff.txt"))
    native = chromadb.PersistentClient(path=str(tmp_path / "chroma")).get_collection("agno_docs")
    assert native.count() == kb.count() == 1
    memory = Knowledge(vector_db=ChromaDb(collection="scratch"))  # Agno's default: in memory
    memory.add_content(text_content="ephemeral note about otters", name="otters")
    assert sources(memory.search("otters")) == ["otters"] and memory.store.url == "memory"
    assert not (Path.cwd() / "tmp" / "chromadb").exists()
