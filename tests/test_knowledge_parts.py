"""Knowledge parts on their own: readers, chunkers, filters, fusion, the offline embedder and reranker,
and that importing agno_nb (or agno_nb.knowledge) loads neither chromadb nor the model."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas
import pytest

from agno_nb.knowledge import chunking, readers
from agno_nb.knowledge.documents import Document, IngestReport, SearchResult, clean_metadata
from agno_nb.knowledge.errors import FilterError, KnowledgeError, UnsupportedSourceError
from agno_nb.knowledge.filters import merge_filters, normalize_filters, to_sql
from agno_nb.knowledge.keyword import KeywordIndex, query_terms
from agno_nb.knowledge.search import normalize_search_type, reciprocal_rank_fusion
from knowledge_data import HTML, MARKDOWN, make_pdf, write_corpus

# ------------------------------------------------------------------------------------------ readers


def test_every_file_type_reads_into_documents(tmp_path):
    folder = write_corpus(tmp_path / "docs")
    files, skipped = readers.expand_path(folder)
    assert [p.name for p in files] == ["broken.pdf", "empty.txt", "equipment.pdf", "handbook.md", "history.docx",
                                      "menu.csv", "roasting.html", "staff.txt", "suppliers.json"]
    assert skipped == [f"{folder / 'logo.xyz'}: .xyz is not a supported type"]
    pdf = readers.read_file(folder / "equipment.pdf")
    assert [d.metadata["page"] for d in pdf] == [1, 2] and "Faema E71" in pdf[0].content
    assert pdf[0].id.endswith("equipment.pdf#page=1")
    docx = readers.read_file(folder / "history.docx")[0]
    assert docx.kind == "markdown" and docx.content.startswith("# Company history")
    assert "Mascot | Otter" in docx.content  # tables too
    html = readers.read_file(folder / "roasting.html")[0]
    assert html.metadata == {"title": "Roasting notes"} and "## Storage" in html.content
    assert "color: red" not in html.content and "var x" not in html.content
    rows = readers.read_file(folder / "menu.csv", text_column="description")
    assert len(rows) == 3 and rows[1].content == "Spiced black tea brewed with cardamom and ginger"
    assert rows[1].metadata == {"product": "Chai latte", "price": "3.50", "category": "tea", "row": 1}
    whole_rows = readers.read_file(folder / "menu.csv")
    assert whole_rows[0].content.startswith("product: Flat white\nprice: 3.20") and whole_rows[0].kind == "row"
    assert whole_rows[0].metadata["category"] == "coffee"  # without text columns, every column is also metadata
    records = readers.read_file(folder / "suppliers.json", id_column="supplier")
    assert [r.id.rsplit("#", 1)[1] for r in records] == ["row=Quinta do Vale", "row=Kaffa Imports"]


@pytest.mark.parametrize("name, data, message", [
    ("broken.pdf", b"%PDF-1.4 garbage", "not a readable PDF"),
    ("scan.pdf", make_pdf([[]]), "no extractable text"),
    ("broken.docx", b"PK\x03\x04 not a zip", "not a readable .docx"),
    ("empty.md", b"  \n\n", "empty"),
    ("bad.json", b"{oops", "Expecting property name"),
    ("binary.txt", b"\x00\x01\x02" * 100, "binary"),
])
def test_unreadable_files_raise_a_specific_error(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(Exception, match=message):
        readers.read_file(path)


def test_unsupported_and_missing_paths_say_what_is_supported(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"x")
    with pytest.raises(UnsupportedSourceError, match=r"\.bin is not supported; supported types: .csv, .docx"):
        readers.expand_path(tmp_path / "a.bin")
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        readers.expand_path(tmp_path / "nope.md")
    with pytest.raises(FileNotFoundError, match="matches no file"):
        readers.expand_path(str(tmp_path / "*.md"))


def test_globs_hidden_files_and_recursion(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.md").write_text("# deep")
    (tmp_path / "a" / "top.txt").write_text("top")
    (tmp_path / "a" / ".hidden").mkdir()
    (tmp_path / "a" / ".hidden" / "secret.md").write_text("no")
    files, _ = readers.expand_path(tmp_path / "a")
    assert sorted(p.name for p in files) == ["deep.md", "top.txt"]
    files, _ = readers.expand_path(str(tmp_path / "a" / "**" / "*.md"))
    assert [p.name for p in files] == ["deep.md"]


def test_dataframe_rows_text_columns_metadata_and_ids():
    frame = pandas.DataFrame({"sku": ["A1", "B2"], "title": ["Red kettle", "Blue mug"],
                              "body": ["Boils fast", None], "price": [12.5, 4.0], "stock": [3, 0]})
    docs = readers.read_dataframe(frame, name="catalog", text_column=["title", "body"], id_column="sku")
    assert [d.id for d in docs] == ["catalog#row=A1", "catalog#row=B2"]
    assert docs[0].content == "Red kettle\nBoils fast" and docs[1].content == "Blue mug"
    assert docs[0].metadata == {"sku": "A1", "price": 12.5, "stock": 3, "row": 0}
    assert clean_metadata(docs[0].metadata, "x") == {"sku": "A1", "price": 12.5, "stock": 3, "row": 0}
    with pytest.raises(KeyError, match="no column 'nope'"):
        readers.read_dataframe(frame, name="catalog", text_column="nope")


def test_text_documents_are_identified_by_name_or_content():
    assert readers.read_text("same").id == readers.read_text("same").id != readers.read_text("other").id
    assert readers.read_text("x", name="notes").id == "notes"
    assert readers.read_text("# Title\nbody").kind == "markdown"


def test_metadata_is_made_storable_and_reserved_keys_are_refused():
    import numpy

    cleaned = clean_metadata({"a": numpy.int64(3), "b": None, "c": float("nan"), "d": {"x": 1}, "e": [1, 2],
                              "f": True}, "doc")
    assert cleaned == {"a": 3, "d": '{"x": 1}', "e": [1, 2], "f": True}
    with pytest.raises(KnowledgeError, match=r"\['doc_id'\] are reserved"):
        clean_metadata({"doc_id": 1}, "doc")


def test_html_to_markdown_keeps_structure():
    text, title = readers.html_to_markdown(HTML)
    assert title == "Roasting notes"
    assert text.splitlines()[0] == "# Roasting notes"
    assert "- Keep beans in the amber jars." in text


# ----------------------------------------------------------------------------------------- chunkers


def test_markdown_chunker_keeps_heading_paths_as_metadata():
    doc = Document(MARKDOWN, id="h", source="h", kind="markdown")
    pieces = chunking.MarkdownChunker(300, 30).split(doc)
    assert [m["heading"] for _, m in pieces] == ["Glacier Coffee handbook > Opening hours",
                                                  "Glacier Coffee handbook > Loyalty card",
                                                  "Glacier Coffee handbook > Milk options"]
    assert pieces[1][0].startswith("## Loyalty card\nEvery tenth drink")


def test_long_markdown_sections_split_with_their_heading_repeated():
    body = " ".join(f"Sentence number {i} about grinding." for i in range(80))
    doc = Document(f"# Guide\n\n## Grinding\n{body}\n```\n# not a heading\n```", id="g", source="g", kind="markdown")
    pieces = chunking.MarkdownChunker(400, 40).split(doc)
    assert len(pieces) > 3
    assert all(text.startswith("## Grinding\n") and len(text) <= 400 for text, _ in pieces)
    assert all(meta == {"heading": "Guide > Grinding"} for _, meta in pieces)


def test_recursive_chunker_prefers_paragraphs_and_overlaps():
    paragraphs = [f"Paragraph {i}. " + "word " * 40 for i in range(6)]
    chunks = chunking.recursive_split("\n\n".join(paragraphs), 500, 100)
    assert all(len(c) <= 500 for c in chunks) and len(chunks) >= 3
    assert all(c.startswith("Paragraph") or c.startswith("word") for c in chunks)
    joined = " ".join(chunks)
    assert all(f"Paragraph {i}." in joined for i in range(6))


def test_fixed_chunker_windows_overlap_and_cut_at_spaces():
    text = " ".join(f"w{i:03d}" for i in range(400))  # 1,999 characters
    chunks = chunking.fixed_windows(text, 300, 60)
    assert all(len(c) <= 300 for c in chunks)
    assert all(not c.startswith(" ") and c.split()[0].startswith("w") and len(c.split()[0]) == 4 for c in chunks)
    first_end, second_start = chunks[0].split()[-1], chunks[1].split()[0]
    assert int(second_start[1:]) < int(first_end[1:])  # overlap
    assert chunks[-1].endswith("w399")


def test_chunker_specs_callables_and_bad_names():
    assert chunking.get_chunker("recursive:800:80").signature == "recursive:800:80"
    assert isinstance(chunking.get_chunker("row"), chunking.RowChunker)
    assert isinstance(chunking.get_chunker(None), chunking.AutoChunker)
    by_line = chunking.get_chunker(lambda text: text.splitlines())
    assert by_line.split(Document("a\n\nb", id="x", source="x")) == [("a", {}), ("b", {})]
    with pytest.raises(KnowledgeError, match="Unknown chunker 'sentences'"):
        chunking.get_chunker("sentences")
    with pytest.raises(KnowledgeError, match="overlap"):
        chunking.FixedSizeChunker(100, 80)


def test_auto_chunker_picks_by_document_kind():
    auto = chunking.AutoChunker(200, 20)
    row = Document("a: 1\nb: 2", id="r", source="r", kind="row")
    assert auto.split(row) == [("a: 1\nb: 2", {})]
    md = Document(MARKDOWN, id="m", source="m", kind="markdown")
    assert all("heading" in meta for _, meta in auto.split(md))


# ------------------------------------------------------------------------------------------ filters


def test_filters_normalize_validate_and_translate():
    known = {"team", "year", "source"}
    node = normalize_filters({"team": "data", "year": {"$gte": 2024}}, known)
    assert node == {"$and": [{"team": {"$eq": "data"}}, {"year": {"$gte": 2024}}]}
    assert normalize_filters({"team": ["a", "b"]}, known) == {"team": {"$in": ["a", "b"]}}
    assert normalize_filters({"$or": [{"team": "a"}, {"year": 2020}]}, known) == \
        {"$or": [{"team": {"$eq": "a"}}, {"year": {"$eq": 2020}}]}
    condition, args = to_sql(node)
    assert condition == "(json_extract(metadata, ?) = ? AND json_extract(metadata, ?) >= ?)"
    assert args == ['$."team"', "data", '$."year"', 2024]
    assert merge_filters(None, {"a": 1}) == {"a": 1}
    assert merge_filters({"a": 1}, {"b": 2}) == {"$and": [{"a": 1}, {"b": 2}]}


@pytest.mark.parametrize("filters, message", [
    ({"colour": "red"}, r"unknown metadata field 'colour' in the filters; the knowledge base's fields are: "
                        r"source, team, year"),
    ({"year": {"$between": [1, 2]}}, "unknown operator '\\$between'"),
    ({"year": {"$gt": "x"}}, "compares numbers"),
    ({"team": {"$in": []}}, "non-empty list"),
    ({"$not": {"team": "a"}}, "unknown filter operator"),
    ("team=a", "must be a dict"),
])
def test_bad_filters_say_what_is_wrong(filters, message):
    with pytest.raises(FilterError, match=message):
        normalize_filters(filters, {"team", "year", "source", "chunk_index"})


# ---------------------------------------------------------------------------- keyword index, fusion


def test_keyword_index_bm25_filters_fields_and_documents(tmp_path):
    from agno_nb.knowledge.documents import Chunk

    index = KeywordIndex(tmp_path / "k.sqlite3")

    def chunk(i, text, **meta):
        return Chunk(f"d{i}#0", text, {"doc_id": f"d{i}", "content_hash": f"h{i}", "chunk_index": 0,
                                        "chunk_count": 1, "source": f"s{i}", **meta})

    index.upsert([chunk(1, "The kettle boils water quickly", team="home"),
                  chunk(2, "Error TW-4127 means the lease was lost", team="ops"),
                  chunk(3, "Kettles and boiling: a history of tea", team="home")])
    hits = index.search("boiling kettles", 5)
    assert {h[0] for h in hits} == {"d1#0", "d3#0"}  # porter stemming: boils/boiling, kettle/kettles
    assert hits[0][3] > 0
    assert [h[0] for h in index.search("TW-4127", 5)] == ["d2#0"]
    where = normalize_filters({"team": "ops"}, index.fields())
    filtered = index.search("kettle lease", 5, where)
    assert [h[0] for h in filtered] == ["d2#0"] and filtered[0][2]["team"] == "ops" and filtered[0][3] > 0
    assert index.fields()["team"] == 3
    assert index.documents(["d1", "d9"]) == {"d1": ("h1", 1)}
    index.delete(["d1#0", "d3#0"])
    assert index.search("kettle", 5) == [] and index.fields()["team"] == 1
    assert query_terms("What is the meaning of TW-4127?") == ["meaning", "tw", "4127"]
    index.close()


def test_reciprocal_rank_fusion_weights_and_keeps_every_score():
    def results(kind, ids):
        return [SearchResult(i, i, {}, 1.0 / (n + 1), kind) for n, i in enumerate(ids)]

    fused = reciprocal_rank_fusion([(results("vector", ["a", "b", "c"]), 1.0),
                                    (results("keyword", ["c", "d"]), 0.5)], k=5)
    assert [r.id for r in fused] == ["c", "a", "b", "d"]  # c: 1/8 + 0.5/6 beats a: 1/6
    c = next(r for r in fused if r.id == "c")
    assert c.scores["vector"] == pytest.approx(1 / 3) and c.scores["keyword"] == 1.0
    assert c.score == pytest.approx(1 / 8 + 0.5 / 6) and c.search_type == "hybrid"


def test_search_type_names():
    from agno_nb.knowledge import SearchType

    assert normalize_search_type(SearchType.keyword) == "keyword"
    assert normalize_search_type("BM25") == "keyword"
    with pytest.raises(KnowledgeError, match="use one of vector, keyword, hybrid"):
        normalize_search_type("fuzzy")


def test_ingest_report_summary_and_html():
    report = IngestReport()
    report.added += ["a", "b"]
    report.fail("bad.pdf", ValueError("not a readable PDF"))
    report.skipped.append("x.bin: .bin is not a supported type")
    assert report.summary().startswith("2 added, 0 unchanged, 0 replaced, 1 failed, 1 skipped")
    assert "bad.pdf: ValueError: not a readable PDF" in repr(report)
    assert "x.bin" in report._repr_html_() and json.dumps(report.to_dict())


# ------------------------------------------------------------------------------------ the models


def test_offline_embedder_is_semantic_and_pads_per_batch():
    import numpy

    from agno_nb.knowledge.embedders import default_embedder

    embedder = default_embedder()
    texts = ["How do I reset my password?", "Steps to change a forgotten login password",
             "The recipe needs two eggs and flour"]
    vectors = embedder.embed(texts)
    assert vectors.shape == (3, 384) and vectors.dtype == numpy.float32
    assert numpy.allclose(numpy.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3
    # a text's vector does not depend on the other texts of its batch (padding is masked)
    alone = embedder.embed([texts[0]])[0]
    with_long = embedder.embed([texts[0], "word " * 400])[0]
    assert float(alone @ with_long) > 0.9999
    assert embedder.embed([]).shape == (0, 384)


def test_offline_reranker_late_interaction_decides_between_equal_scores():
    from agno_nb.knowledge.rerank import OfflineReranker

    texts = ["Tea is brewed at 80 degrees for green leaves.",
             "Error E47 means the internal sensor is damaged; ask support for a replacement.",
             "The thermostat ring blinks orange when it is offline."]
    candidates = [SearchResult(str(i), t, {}, 0.0, "hybrid", {"vector": 0.5, "keyword": 1.0})
                  for i, t in enumerate(texts)]
    ranked = OfflineReranker().rerank("What does error E47 on the display mean?", candidates, 2)
    assert [r.id for r in ranked][0] == "1" and len(ranked) == 2
    assert ranked[0].search_type == "rerank" and ranked[0].scores["rerank"] == ranked[0].score


def test_importing_agno_nb_and_knowledge_loads_no_chromadb_and_no_model():
    code = ("import sys, agno_nb, agno_nb.knowledge; from agno_nb import Knowledge; "
            "k = Knowledge('x', path='unused'); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('chromadb', 'onnxruntime', 'tokenizers', 'numpy', 'pypdf', 'docx', 'litellm')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
