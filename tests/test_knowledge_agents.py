"""Knowledge in runs: agentic RAG (the search_knowledge_base tool, with and without agentic filters),
classic RAG (references in the system prompt), teams, KnowledgeSearched in the events, the trace and the
store, RunOutput.references; a Chroma server that is down as a tool error the model sees; hosted
embedders and rerankers through LiteLLM and the direct path, against a loopback server; the magics.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import socket
import threading

import pandas
import pytest

from agno_nb import Agent, ScriptedModel, Team
from agno_nb.errors import ConfigurationError
from agno_nb.knowledge import Knowledge, LiteLLMEmbedder, LiteLLMReranker, OpenAIEmbedder
from agno_nb.knowledge.embedders import get_embedder
from agno_nb.models.scripts import text, tool_call
from agno_nb.run_events import KnowledgeSearched, ToolCallCompleted
from knowledge_data import write_corpus


@pytest.fixture(scope="module")
def cafe(tmp_path_factory):
    """One knowledge base for the run tests (read-only here), built once."""
    folder = write_corpus(tmp_path_factory.mktemp("docs") / "docs")
    kb = Knowledge("cafe", path=tmp_path_factory.mktemp("kb") / "kb", description="the cafe's handbook")
    kb.add_content(path=folder, metadata={"team": "cafe"})
    kb.add_content(text_content="Staff parties are on the last Friday of the month.", name="hr-note",
                   metadata={"team": "hr"})
    return kb


def recording(turns):
    seen: list[list[dict]] = []
    turns = list(turns)

    def respond(messages, tools):
        seen.append([dict(m) for m in messages])
        return turns[min(len(seen), len(turns)) - 1]

    return ScriptedModel(respond, id="scripted/kb"), seen


# ------------------------------------------------------------------------------------- agentic RAG


def test_agentic_rag_tool_references_and_events(cafe):
    model, seen = recording([tool_call("search_knowledge_base", query="kiosk opening hours saturday"),
                             text("It opens at 08:30 on Saturdays.")])
    agent = Agent(model=model, knowledge=cafe)
    assert agent.search_knowledge and list(agent.functions) == ["search_knowledge_base"]
    out = agent.run("When does the kiosk open on Saturdays?")
    assert out.ok and out.content == "It opens at 08:30 on Saturdays."
    types = [e.type for e in out.events]
    assert types.index("KnowledgeSearched") < types.index("ToolCallCompleted")  # streamed inside the call
    event = next(out.iter_events(KnowledgeSearched))
    call = next(out.iter_events(ToolCallCompleted))
    assert event.parent_span_id == call.span_id and event.origin == "tool" and event.knowledge == "cafe"
    [search] = out.references
    assert search["query"] == "kiosk opening hours saturday" and search["search_type"] == "hybrid"
    top = search["references"][0]
    assert top["source"].endswith("handbook.md") and "08:30" in top["content"] and top["score"] > 0
    assert set(top["scores"]) >= {"hybrid", "vector"} and "doc_id" not in top["metadata"]
    tool_message = seen[1][-1]
    assert tool_message["role"] == "tool" and "08:30 on Saturdays" in json.loads(tool_message["content"])[0]["content"]


def test_knowledge_filters_always_apply_and_agentic_filters_are_the_models_choice(cafe):
    fixed = Agent(model=ScriptedModel([tool_call("search_knowledge_base", query="party"), text("ok")]),
                  knowledge=cafe, knowledge_filters={"team": "hr"})
    out = fixed.run("When are staff parties?")
    assert [r["source"] for r in out.references[0]["references"]] == ["hr-note"]

    agentic = Agent(model=ScriptedModel([tool_call("search_knowledge_base", query="milk", filters={"team": "hr"}),
                                         text("ok")]), knowledge=cafe, enable_agentic_knowledge_filters=True)
    schema = agentic.functions["search_knowledge_base"].schema["function"]
    assert "filters" in schema["parameters"]["properties"]
    assert 'team (e.g. "cafe", "hr")' in schema["description"]
    out = agentic.run("Which milks are free?")
    assert out.references[0]["filters"] == {"team": "hr"}
    assert {r["source"] for r in out.references[0]["references"]} == {"hr-note"}


def test_run_level_knowledge_filters_win_over_the_agents_for_that_run_only(cafe):
    agent = Agent(model=ScriptedModel([tool_call("search_knowledge_base", query="party"), text("ok")], cycle=True),
                  knowledge=cafe, knowledge_filters={"team": "cafe"})
    out = agent.run("When are staff parties?", knowledge_filters={"team": "hr"})
    assert out.references[0]["filters"] == {"team": "hr"}
    assert [r["source"] for r in out.references[0]["references"]] == ["hr-note"]
    again = agent.run("When are staff parties?")  # the next run is back on the agent's filters
    assert again.references[0]["filters"] == {"team": "cafe"}
    assert "hr-note" not in {r["source"] for r in again.references[0]["references"]}

    classic = Agent(model=ScriptedModel([text("ok")]), knowledge=cafe, add_knowledge_to_context=True)
    out = classic.run("staff parties", knowledge_filters={"team": "hr"})
    assert [r["source"] for r in out.references[0]["references"]] == ["hr-note"]
    with pytest.raises(ConfigurationError, match="knowledge_filters must be a dict"):
        agent.run("x", knowledge_filters=["team", "hr"])
    with pytest.raises(ConfigurationError, match="needs an agent with knowledge"):
        Agent(model=ScriptedModel([text("ok")])).run("x", knowledge_filters={"team": "hr"})


def test_a_bad_filter_from_the_model_is_a_tool_error_it_can_correct(cafe):
    model, seen = recording([tool_call("search_knowledge_base", query="milk", filters={"department": "bar"}),
                             tool_call("search_knowledge_base", query="milk options"), text("Oat, almond, soy.")])
    out = Agent(model=model, knowledge=cafe, enable_agentic_filters=True).run("Which milks are free?")
    assert out.ok and out.tools[0].error.startswith("FilterError: unknown metadata field 'department'")
    assert "fields are: category, country, description, doc_id, heading, notes, page, price" in out.tools[0].error
    assert seen[1][-1]["content"].startswith("Error: FilterError")
    assert out.references[0]["error"] and out.references[1]["references"]


def test_an_unreachable_chroma_server_is_a_tool_error_naming_the_url_and_the_run_goes_on():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = Knowledge("docs", host="127.0.0.1", port=port)
    model, seen = recording([tool_call("search_knowledge_base", query="anything"),
                             text("The knowledge base is unavailable right now.")])
    out = Agent(model=model, knowledge=down).run("Question?")
    assert out.ok and out.content == "The knowledge base is unavailable right now."
    assert f"http://127.0.0.1:{port}" in out.tools[0].error and "KnowledgeUnavailableError" in out.tools[0].error
    assert f"http://127.0.0.1:{port}" in seen[1][-1]["content"]
    assert f"http://127.0.0.1:{port}" in out.references[0]["error"]


# ------------------------------------------------------------------------------------- classic RAG


def test_classic_rag_puts_references_in_the_system_prompt_after_the_input_hooks(cafe):
    model, seen = recording([text("The grinder burrs are replaced after 800 kg.")])

    def mask(input):
        return input.replace("SECRET-42", "[masked]")

    agent = Agent(model=model, knowledge=cafe, add_knowledge_to_context=True, instructions="Be brief.",
                  pre_hooks=[mask], references_format="yaml")
    assert not agent.search_knowledge and "search_knowledge_base" not in agent.functions
    out = agent.run("When are the grinder burrs replaced? SECRET-42")
    system = seen[0][0]["content"]
    assert system.startswith("Be brief.") and "<references>" in system and "800 kilograms" in system
    assert "- source: " in system and "  content: |" in system  # yaml
    assert [e.type for e in out.events][:2] == ["RunStarted", "KnowledgeSearched"]
    started, searched = out.events[0], out.events[1]
    assert searched.parent_span_id == started.span_id and searched.origin == "context"
    assert searched.query == "When are the grinder burrs replaced? [masked]"  # what the hooks left


def test_classic_rag_without_a_reachable_store_tells_the_model_and_answers():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    model, seen = recording([text("I could not check the documents.")])
    out = Agent(model=model, knowledge=Knowledge("d", host="127.0.0.1", port=port),
                add_knowledge_to_context=True).run("What is in the docs?")
    assert out.ok and "could not be searched" in seen[0][0]["content"]
    assert out.references[0]["error"]


def test_team_leader_searches_the_teams_knowledge(cafe):
    member = Agent(name="barista", model=ScriptedModel([text("Flat white.")]))
    team = Team(name="desk", members=[member], mode="coordinate", knowledge=cafe,
                model=ScriptedModel([tool_call("search_knowledge_base", query="flat white price"), text("3.20")]))
    assert "search_knowledge_base" in team.leader.functions
    out = team.run("How much is a flat white?")
    assert out.ok and out.references[0]["references"][0]["content"].startswith("product: Flat white")


# ---------------------------------------------------------------------------------- trace and store


def test_knowledge_searches_are_stored_and_shown_in_live_and_stored_traces(cafe, tmp_path):
    from agno_nb.traces.stored import trace_from_store
    from agno_nb.traces.fold import MIME_TYPE, TraceView
    from agno_nb.storage.duckdb import DuckDBStore

    store = DuckDBStore(tmp_path / "agno.duckdb")
    agent = Agent(model=ScriptedModel([tool_call("search_knowledge_base", query="latte art contest"), text("Leonor.")]),
                  knowledge=cafe, db=store)
    out = agent.run("Who won the latte art contest?")
    rows = store.get_events(out.run_id)
    [row] = [r for r in rows if r["type"] == "KnowledgeSearched"]
    assert row["payload"]["query"] == "latte art contest"
    assert row["payload"]["results"][0]["source"].endswith("staff.txt")

    def knowledge_span(node):
        if node["kind"] == "knowledge":
            return node
        return next((found for child in node["children"] if (found := knowledge_span(child))), None)

    live = TraceView.from_events(out.events).to_json()
    stored = trace_from_store(out.run_id, store)[MIME_TYPE]
    for trace in (live, stored):
        span = knowledge_span(trace["root"])
        assert span["name"] == "cafe: latte art contest" and span["status"] == "ok"
        assert span["attrs"]["results"][0]["source"].endswith("staff.txt")
        assert "Leonor Prates" in span["attrs"]["results"][0]["chunk"]
    html = TraceView.from_events(out.events).to_html()
    assert "📚" in html and "latte art contest" in html and "staff.txt" in html
    store.close()


# ---------------------------------------------------------------------- hosted embedders, rerankers


def _bag_of_words(text: str, dims: int = 64) -> list[float]:
    vector = [0.0] * dims
    for word in set(re.findall(r"\w+", text.lower())) - {"the", "is", "at", "in", "on", "are", "when"}:
        vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % dims] += 1.0
    return vector


@pytest.fixture(scope="module")
def provider():
    """A loopback server speaking OpenAI's /v1/embeddings and Cohere's /v1/rerank (deterministic)."""
    requests: list[tuple[str, dict]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            requests.append((self.path, body))
            if self.path.endswith("/embeddings"):
                texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                payload = {"object": "list", "model": body["model"],
                           "data": [{"object": "embedding", "index": i, "embedding": _bag_of_words(t)}
                                    for i, t in enumerate(texts)],
                           "usage": {"prompt_tokens": 1, "total_tokens": 1}}
            elif self.path.endswith("/rerank"):
                query = set(re.findall(r"\w+", body["query"].lower()))
                docs = [d if isinstance(d, str) else d.get("text", "") for d in body["documents"]]
                scored = sorted(((len(query & set(re.findall(r"\w+", d.lower()))) / (len(query) or 1), i)
                                 for i, d in enumerate(docs)), reverse=True)[:body.get("top_n") or len(docs)]
                payload = {"id": "r1", "results": [{"index": i, "relevance_score": s} for s, i in scored],
                           "meta": {"billed_units": {"search_units": 1}}}
            else:
                self.send_response(404)
                self.end_headers()
                return
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


NOTES = ["The boiler room key hangs behind the reception desk.", "Invoices are paid on Fridays.",
         "The rooftop terrace closes at 20:00 in winter."]


@pytest.mark.parametrize("transport", ["direct", "litellm"])
def test_hosted_embedders_batch_their_requests(tmp_path, provider, transport):
    base, requests = provider
    requests.clear()
    if transport == "direct":
        embedder = get_embedder("openai/text-embedding-3-small", api_base=f"{base}/v1", api_key="sk-test",
                                batch_size=2)
        assert isinstance(embedder, OpenAIEmbedder)
    else:
        embedder = LiteLLMEmbedder("openai/text-embedding-3-small", api_base=f"{base}/v1", api_key="sk-test",
                                   batch_size=2)
    kb = Knowledge("hosted", path=tmp_path / "kb", embedder=embedder)
    report = kb.add_content(dataframe=pandas.DataFrame({"note": NOTES}), text_column="note", name="notes")
    assert len(report.added) == 3
    batches = [len(body["input"]) for path, body in requests if path.endswith("/embeddings")]
    assert batches == [2, 1]  # two requests for three chunks, not three
    assert kb.search("rooftop terrace in winter", search_type="vector", limit=1)[0].content == NOTES[2]
    assert embedder.dimensions == 64
    with pytest.raises(Exception, match="384"):  # this collection is 64-dimensional: the offline model is refused
        Knowledge("hosted", path=tmp_path / "kb").search("terrace")


def test_litellm_reranker_reorders_by_the_providers_scores(tmp_path, provider):
    base, requests = provider
    kb = Knowledge("reranked", path=tmp_path / "kb",
                   reranker=LiteLLMReranker("cohere/rerank-english-v3.0", api_base=base, api_key="sk-test"))
    kb.add_content(dataframe=pandas.DataFrame({"note": NOTES}), text_column="note", name="notes")
    requests.clear()
    results = kb.search("boiler room key", limit=2)
    assert results[0].content == NOTES[0] and results[0].search_type == "rerank"
    assert results[0].scores["rerank"] == 1.0 and len(results) == 2
    [(path, body)] = [r for r in requests if r[0].endswith("/rerank")]
    assert body["query"] == "boiler room key" and body["top_n"] == 2


def test_offline_reranking_on_a_search(cafe):
    results = cafe.search("how often is the espresso machine descaled", rerank=True, limit=3)
    assert results[0].source.endswith("equipment.pdf") and results[0].search_type == "rerank"
    assert {"vector", "keyword", "rerank"} <= set(results[0].scores)


# ------------------------------------------------------------------------------------------ magics


@pytest.fixture
def shell(tmp_path, monkeypatch):
    import atexit
    import sys

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    from agno_nb import storage

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AGNO_NB_DB", raising=False)
    monkeypatch.setattr(storage, "_default", None)
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    config = Config()
    config.HistoryManager.enabled = False
    InteractiveShell.clear_instance()
    sh = InteractiveShell.instance(config=config)
    atexit.unregister(sh.atexit_operations)
    assert sh.run_cell("%load_ext agno_nb").success
    try:
        yield sh
    finally:
        from agno_nb.notebook.live import live_trace_factory
        from agno_nb.observe import remove_run_observer

        remove_run_observer(live_trace_factory)
        if storage._default is not None:
            storage._default.close()
        storage._default = None
        InteractiveShell.clear_instance()


def run(sh, code):
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        result = sh.run_cell(code)
    return result, captured


def test_knowledge_magic_ingests_sources_and_search_returns_a_dataframe(shell, tmp_path):
    write_corpus(tmp_path / "docs")
    shell.user_ns["tickets"] = pandas.DataFrame({"id": ["T1", "T2"], "body": ["Printer jams on floor 2",
                                                                             "VPN drops hourly"]})
    result, captured = run(shell, "%%knowledge kb --chunker markdown:400:40 --metadata team=ops\n"
                                  "docs/*.md   # the handbook\n"
                                  "docs/staff.txt\n"
                                  "tickets text=body id=id\n"
                                  "docs/missing.pdf\n")
    assert result.success, (result.error_in_exec, captured.stderr)
    report = result.result
    assert report.added == ["docs/handbook.md", "docs/staff.txt", "tickets#row=T1", "tickets#row=T2"]
    assert [e.source for e in report.errors] == ["docs/missing.pdf"]
    assert isinstance(shell.user_ns["kb"], Knowledge) and str(shell.user_ns["kb"].store.path) == "kb"
    again, _ = run(shell, "%%knowledge kb --chunker markdown:400:40 --metadata team=ops\ndocs/*.md\n")
    assert again.result.unchanged == ["docs/handbook.md"]

    frame, _ = run(shell, '%agno knowledge kb search "printer jams" --limit 2')
    frame = frame.result
    assert list(frame.columns) == ["chunk", "source", "hybrid", "vector", "keyword"]
    assert frame.iloc[0]["source"] == "tickets" and frame.iloc[0]["keyword"] > 0 and frame.iloc[0]["vector"] > 0
    filtered, _ = run(shell, '%agno knowledge kb search loyalty card --type keyword --filter team=ops')
    assert filtered.result.iloc[0]["source"] == "docs/handbook.md"
    listing, _ = run(shell, "%agno knowledge")
    assert list(listing.result["name"]) == ["kb"]
    documents, _ = run(shell, "%agno knowledge kb documents")
    assert len(documents.result) == 4

    shell.user_ns["kbmodel"] = ScriptedModel([tool_call("search_knowledge_base", query="VPN"), text("It drops.")])
    result, captured = run(shell, "%%agent helper --model kbmodel --knowledge kb\nAnswer from the knowledge base.")
    assert result.success, captured.stderr
    assert shell.user_ns["helper"].knowledge is shell.user_ns["kb"]
    result, _ = run(shell, "%ask helper What about the VPN")
    assert shell.user_ns["_"].references[0]["references"][0]["source"] == "tickets"


def test_knowledge_magic_usage_errors(shell):
    from IPython.core.error import UsageError

    for code, message in [("%%agent a --knowledge nothere\nhi", "No knowledge base named 'nothere'"),
                          ('%agno knowledge nothere search "x"', "No knowledge base named 'nothere'"),
                          ("%%knowledge 1bad\ndocs", "not a valid Python name"),
                          ("%%knowledge kb --server nohost\ndocs", "use HOST:PORT")]:
        result, captured = run(shell, code)
        assert isinstance(result.error_in_exec, UsageError) and message in str(result.error_in_exec), code


# ---------------------------------------------------------------------------------------- served


def test_a_served_app_lists_and_searches_its_knowledge_and_runs_take_knowledge_filters(cafe, tmp_path):
    import jwt

    from agno_nb.serve import Auth, create_app
    from serve_helpers import serving

    secret = "k" * 40
    agent = Agent(name="barista", model=ScriptedModel([tool_call("search_knowledge_base", query="party"),
                                                       text("Last Friday.")], cycle=True),
                  knowledge=cafe, knowledge_filters={"team": "cafe"})
    app = create_app(agents=[agent], db=str(tmp_path / "served.duckdb"), auth=Auth(jwt_secret=secret))

    def bearer(scopes: str) -> dict[str, str]:
        token = jwt.encode({"sub": "ana", "scopes": scopes, "exp": 4102444800}, secret, algorithm="HS256")
        return {"Authorization": f"Bearer {token}"}

    reader, runner = bearer("knowledge:read"), bearer("agents:barista:run")
    with serving(app) as client:
        assert client.get("/knowledge", headers=runner).status_code == 403
        [listed] = client.get("/knowledge", headers=reader).json()["data"]
        assert listed["name"] == "cafe" and listed["search_type"] == "hybrid"
        found = client.post("/knowledge/search", headers=reader,
                            json={"query": "kiosk opening hours saturday", "limit": 3}).json()
        assert found["knowledge"] == "cafe" and len(found["results"]) == 3
        assert "08:30" in found["results"][0]["content"] and found["results"][0]["score"] > 0
        keyword = client.post("/knowledge/cafe/search", headers=reader,
                              json={"query": "staff parties", "search_type": "keyword", "filters": {"team": "hr"}})
        assert [r["source"] for r in keyword.json()["results"]] == ["hr-note"]
        bad = client.post("/knowledge/search", headers=reader, json={"query": "x", "filters": {"dept": "bar"}})
        assert bad.status_code == 422 and "unknown metadata field 'dept'" in bad.json()["detail"]
        missing = client.post("/knowledge/search", headers=reader, json={"query": "x", "knowledge": "nope"})
        assert missing.status_code == 404 and "['cafe']" in missing.json()["detail"]
        run = client.post("/agents/barista/runs", headers=runner,
                          json={"message": "When are staff parties?", "knowledge_filters": {"team": "hr"}}).json()
        assert run["status"] == "completed"
        trace = client.get(f"/traces/{run['run_id']}", headers=bearer("sessions:read")).json()
        assert "hr-note" in json.dumps(trace)
    with pytest.raises(ConfigurationError, match="Knowledge objects"):
        create_app(agents=[], knowledge=["not a knowledge base"], auth=False)
