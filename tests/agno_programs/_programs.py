"""Each program's scripted models and checks (see ``_scripted.py`` for how they are served and used)."""

from __future__ import annotations

import json
import re

from ._scripted import (
    PROGRAMS, Messages, Tools, all_request_text, call, delegate, last_user, memory_curator, program, requests,
    say, session_summarizer, system_text, tool_results, user_texts, wants_json,
)

__all__ = ["PROGRAMS"]


# ---------------------------------------------------------------------------------- agents and tools


def _weather(messages: Messages, tools: Tools):
    city = "Oslo" if "Oslo" in last_user(messages) else "Paris"
    results = tool_results(messages)
    if not results:
        return call("get_weather", city=city)
    if len(results) == 1:
        celsius = float(re.search(r"(-?\d+)°C", results[0]).group(1))
        return call("celsius_to_fahrenheit", celsius=celsius)
    return say(f"In {city} it is {results[0]} ({results[1]}).")


program("agent_with_tools", {"weather-agent": _weather}, stdout=("4°C with light rain (39.2°F)",))


def _field_notes(messages: Messages, tools: Tools):
    if "otters" in last_user(messages):
        return say("- Sea otters **hold hands** while they sleep\n- They keep a favourite rock\n"
                   "- Dense fur, no blubber")
    return say("Beavers' front teeth **never stop growing**.")


def _asked_for_markdown():
    for messages, _ in requests("field-notes"):
        assert "markdown" in system_text(messages).lower(), "markdown=True did not reach the system prompt"


program("print_response_markdown", {"field-notes": _field_notes},
        stdout=("hold hands", "never stop growing", "One fact about beavers"),
        not_stdout=("Three facts about sea otters",), check=_asked_for_markdown)


_RECIPE = {"name": "Fluffy pancakes", "servings": 4,
           "ingredients": ["200 g flour", "2 eggs", "300 ml milk", "1 tbsp sugar"],
           "steps": ["Whisk everything", "Rest 10 minutes", "Fry ladlefuls until golden"]}

program("structured_output", {"recipe-writer": lambda m, t: say(json.dumps(_RECIPE))},
        stdout=("Fluffy pancakes",))

_ITINERARY = {"title": "Lakes and cities", "stops": [
    {"city": "Milan", "nights": 2}, {"city": "Como", "nights": 2}, {"city": "Verona", "nights": 1}]}


def _json_was_requested():
    (messages, _), = requests("trip-planner")
    assert wants_json(messages), "use_json_mode=True: the prompt should ask for JSON"
    assert "stops" in system_text(messages), "the prompt should show the schema's fields"


program("structured_output_json_mode", {"trip-planner": lambda m, t: say(json.dumps(_ITINERARY))},
        stdout=('"Verona"',), check=_json_was_requested)


def _inventory(messages: Messages, tools: Tools):
    results = tool_results(messages)
    if not results:
        return call("check_stock", sku="KB-01")
    if len(results) == 1:
        return call("reserve", sku="KB-01", quantity=5)
    return say(f"Done: {results[-1]}.")


program("toolkit_class", {"inventory-clerk": _inventory})


def _shopping(messages: Messages, tools: Tools):
    question = last_user(messages)
    results = tool_results(messages)
    if question.startswith("Add"):
        items = ["milk", "eggs", "bread"]
        if len(results) < len(items):
            return call("add_item", item=items[len(results)])
        return say(results[-1] + ".")
    if question.startswith("Actually"):
        return call("remove_item", item="bread") if not results else say(results[-1] + ".")
    listed = system_text(messages).split("The list right now:", 1)[-1].strip().splitlines()[0]
    return say(f"Your list: {listed}")


def _state_reached_the_prompt():
    last, _ = requests("shopping-list")[-1]
    listed = system_text(last).split("The list right now:", 1)[-1]
    assert "milk" in listed and "eggs" in listed and "bread" not in listed, listed


program("session_state_tools", {"shopping-list": _shopping}, stdout=("milk, eggs",),
        check=_state_reached_the_prompt)


def _history_chat(messages: Messages, tools: Tools):
    question = last_user(messages)
    if not question.startswith("Which"):
        return say("Noted!")
    earlier = " ".join(user_texts(messages)[:-1])
    city = re.search(r"favourite city is (\w+)", earlier)
    food = re.search(r"favourite food is (\w+)", earlier)
    if not (city and food):
        return say("You have not told me yet.")
    return say(f"You mentioned {city.group(1)} and {food.group(1)}.")


def _history_reached_the_third_call():
    messages, _ = requests("history-chat")[2]
    earlier = user_texts(messages)[:2]
    assert earlier == ["Hi! My favourite city is Lisbon.", "And my favourite food is bacalhau."], earlier


program("chat_history", {"history-chat": _history_chat}, stdout=("Noted!",),
        check=_history_reached_the_third_call)


# ------------------------------------------------------------------------------ memories and summaries


def _ava_fact(text: str):
    return "Ava loves hiking in the Alps" if "hiking in the Alps" in text else None


def _memory_agent(messages: Messages, tools: Tools):
    curated = memory_curator(messages, tools, lambda _: _ava_fact(last_user(messages)))
    if curated is not None:
        return curated
    if "weekend plan" in last_user(messages):
        if "hiking in the Alps" in system_text(messages):
            return say("How about a two-day hike in the Alps, Chamonix to Zermatt?")
        return say("How about a museum day?")
    return say("Nice to meet you, Ava!")


def _memories_not_history():
    main = [m for m, tools in requests("memory-agent") if "add_memory" not in [
        t.get("function", {}).get("name") for t in tools or ()]]
    assert len(main) == 2, len(main)
    assert "hiking in the Alps" in system_text(main[1]), "the memory should be in the second session's prompt"
    assert not any("Ava" in text for text in user_texts(main[1])), "the second session must not carry history"


program("user_memories", {"memory-agent": _memory_agent}, stdout=("Nice to meet you, Ava!",),
        check=_memories_not_history)


def _lyon_fact(text: str):
    return "Sam moved to Lyon for a new job" if "Lyon" in text else None


def _curator(messages: Messages, tools: Tools):
    return memory_curator(messages, tools, lambda _: _lyon_fact(last_user(messages))) or say("No changes.")


def _mont_blanc(messages: Messages, tools: Tools):
    if "metric units" in system_text(messages):
        return say("Mont Blanc is 4,806 m tall.")
    return say("Mont Blanc is 15,774 ft tall.")


program("memory_manager", {"memory-curator": _curator, "memory-reader": _mont_blanc})


def _summary_agent(messages: Messages, tools: Tools):
    everything = json.dumps(messages)
    if "Kyoto" in everything:
        summary = ("The user is planning a trip to Japan in April and wants to see the cherry blossoms in "
                   "Kyoto.")
    else:
        summary = "The user is planning a trip to Japan in April."
    return session_summarizer(messages, summary, ["travel", "japan"]) or say("Lovely, noted!")


program("session_summary", {"summary-agent": _summary_agent}, stdout=("Lovely, noted!",))


# --------------------------------------------------------------------------------- human in the loop


def _janitor(messages: Messages, tools: Tools):
    results = tool_results(messages)
    if not results:
        return call("purge_old_rows", table="audit_log", older_than_days=90)
    return say(f"Done: {results[-1]}.")


program("hitl_confirmation", {"db-janitor": _janitor}, stdout=("Done: Deleted 42 rows from audit_log",))


def _newsletter(messages: Messages, tools: Tools):
    results = tool_results(messages)
    if not results:
        return call("send_newsletter", audience="all-customers", subject="Spring sale")
    return say(f"I did not send it. The tool said: {results[-1]}")


program("hitl_rejection", {"newsletter-bot": _newsletter})


def _billing(messages: Messages, tools: Tools):
    results = tool_results(messages)
    if not results:
        return call("send_invoice", invoice_id="INV-7", amount_eur=1250)
    return say(f"{results[-1]}.")


program("hitl_user_input", {"billing-clerk": _billing}, stdout=("recipient",))


def _sales(messages: Messages, tools: Tools):
    results = tool_results(messages)
    if not results:
        return call("run_sql", query="SELECT count(*) FROM orders WHERE ordered_at >= now() - interval 7 day")
    count = int(re.search(r"(\d+)", results[-1]).group(1))
    return say(f"We got {count:,} orders last week.")


program("hitl_external_execution", {"sales-analyst": _sales})


# ---------------------------------------------------------------------------------- guardrails, hooks


def _support(messages: Messages, tools: Tools):
    question = last_user(messages)
    if "refund policy" in question:
        return say("You can return any item within 30 days for a full refund.")
    return say("Thanks, we will call you back about your order today.")


def _no_pii_left_the_process():
    sent = all_request_text()
    assert "4111 1111 1111 1111" not in sent, "a blocked card number reached the model"
    assert "555-123-4567" not in sent, "a masked phone number reached the model"
    masked = [m for m, _ in requests("support-desk") if "call me back" in last_user(m)]
    assert masked, "the run with the masked number never reached the model"


program("guardrail_pii", {"support-desk": _support}, check=_no_pii_left_the_process)


def _travel(messages: Messages, tools: Tools):
    return say("May or September: warm, not crowded.") if "Lisbon" in last_user(messages) else say(
        "Porto is lovely in June, for the São João festival.")


def _injection_never_reached_the_model():
    assert "Ignore previous instructions" not in all_request_text()
    assert len(requests("guarded-assistant")) == 2


program("guardrail_prompt_injection", {"guarded-assistant": _travel}, stdout=("São João",),
        check=_injection_never_reached_the_model)


def _devops(messages: Messages, tools: Tools):
    return say("To rotate it: create the new password, update the clients, then revoke the old one.")


def _credentials_never_reached_the_model():
    assert "hunter2" not in all_request_text()


program("guardrail_custom", {"devops-helper": _devops}, check=_credentials_never_reached_the_model)


def _analyst(messages: Messages, tools: Tools):
    if "index fund" in last_user(messages):
        return say("An index fund tracks a market index at low cost.")
    return say("Bonds suit cautious savers.")


def _input_was_cleaned():
    first, _ = requests("hooked-analyst")[0]
    assert last_user(first) == "What is an index fund?", last_user(first)


program("hooks_pre_post", {"hooked-analyst": _analyst}, check=_input_was_cleaned)


# ------------------------------------------------------------------------------------------ reasoning


def _thinker(messages: Messages, tools: Tools):
    number = int(re.search(r"\d+", last_user(messages)).group())
    results = tool_results(messages)
    factors = next(((a, number // a) for a in range(2, int(number ** 0.5) + 1) if number % a == 0), None)
    if not results:
        return call("think", title=f"Is {number} prime?", thought="Try every prime up to its square root.",
                    action="Divide by 2, 3, 5, 7, 11, 13", confidence=0.8)
    if len(results) == 1:
        found = f"{number} = {factors[0]} × {factors[1]}" if factors else f"no divisor of {number} up to 14"
        return call("analyze", title="Divisors", result=found, analysis="That settles it.",
                    next_action="final_answer", confidence=0.95)
    return say(f"No: {number} = {factors[0]} × {factors[1]}." if factors else f"Yes, {number} is prime.")


def _reasoning_instructions_were_given():
    messages, tools = requests("careful-thinker")[0]
    assert {"think", "analyze"} <= {t["function"]["name"] for t in tools}
    assert "think" in system_text(messages).lower(), "add_instructions=True: the prompt should explain them"


program("reasoning_tools", {"careful-thinker": _thinker}, stdout=("223 is prime",),
        check=_reasoning_instructions_were_given)


def _planner(messages: Messages, tools: Tools):
    return say("The harbour is closest to the depot, then the library; the bakery is last, on the way back.")


def _route_writer(messages: Messages, tools: Tools):
    if "harbour is closest" in json.dumps(messages):
        return say("1. Harbour\n2. Library\n3. Bakery")
    return say("1. Bakery\n2. Library\n3. Harbour")


program("reasoning_model", {"o3-route-planner": _planner, "route-writer": _route_writer})


# ---------------------------------------------------------------------------------------------- teams


def _router_leader(messages: Messages, tools: Tools):
    if tool_results(messages):
        return say(tool_results(messages)[-1])
    question = last_user(messages)
    member = "French Agent" if "Bonjour" in question else "English Agent"
    return delegate(messages, tools, member, question)


program("team_route", {
    "team-router": _router_leader,
    "team-english": lambda m, t: say("It is noon in London."),
    "team-french": lambda m, t: say("Il est midi à Paris."),
}, stdout=("It is noon in London.",))


def _coord_leader(messages: Messages, tools: Tools):
    results = tool_results(messages)
    product = re.search(r"Nimbus \d", " ".join(user_texts(messages))).group()
    if not results:
        return delegate(messages, tools, "Researcher", f"Find the current prices of the {product} e-reader.")
    if len(results) == 1:
        task = f"Recommend where to buy the {product}. Notes: {results[0]}"
        return delegate(messages, tools, "Writer", task)
    return say(results[-1])


def _coord_researcher(messages: Messages, tools: Tools):
    results = tool_results(messages)
    if not results:
        return call("search_prices", product=re.search(r"Nimbus \d", last_user(messages)).group())
    return say(f"Prices found: {results[-1]}")


def _coord_writer(messages: Messages, tools: Tools):
    offers = re.findall(r"(Shop\w) (\d+) EUR", last_user(messages))
    if not offers:
        return say("I need the prices first.")
    shop, price = min(offers, key=lambda offer: int(offer[1]))
    return say(f"Buy it at {shop}: {price} EUR is the lowest price of the {len(offers)} shops.")


program("team_coordinate", {"coord-leader": _coord_leader, "coord-researcher": _coord_researcher,
                            "coord-writer": _coord_writer}, stdout=("Buy it at ShopB",))


def _panel_leader(messages: Messages, tools: Tools):
    results = " ".join(tool_results(messages))
    if not results:
        return delegate(messages, tools, "", last_user(messages), to_all=True)
    upside = "lower cost for short jobs" if "cost" in results else "(no upside heard)"
    risk = "cold starts and time limits" if "cold starts" in results else "(no risk heard)"
    return say(f"Upside: {upside}. Risk: {risk}.")


program("team_broadcast", {
    "panel-leader": _panel_leader,
    "panel-optimist": lambda m, t: say("Serverless would cut cost: we pay only for the minutes jobs run."),
    "panel-skeptic": lambda m, t: say("Watch out for cold starts and the 15-minute time limit."),
})


# ------------------------------------------------------------------------------------------ workflows

_PARAGRAPH = ("Electric cargo bikes carry up to 200 kg, replace many car trips in cities, and their sales "
              "have doubled since 2020.")


def _wf_writer(messages: Messages, tools: Tools):
    return say(_PARAGRAPH) if "200 kg" in json.dumps(messages) else say("I have no notes.")


program("workflow_steps", {
    "wf-researcher": lambda m, t: say("1. Cargo e-bikes carry up to 200 kg. 2. They replace car trips in "
                                      "cities. 3. Sales doubled since 2020."),
    "wf-writer": _wf_writer,
}, stdout=("doubled since 2020", "measure: 21 words"))

program("workflow_parallel_loop", {
    "wf-news": lambda m, t: say("Toyota plans solid-state batteries in cars for 2027."),
    "wf-papers": lambda m, t: say("A Nature paper reports a solid-state cell that lasts 1,000 cycles."),
})


def _hardware(messages: Messages, tools: Tools):
    if "13 GB at 8 bits" in json.dumps(messages):
        return say("Get a GPU with 24 GB of VRAM: the 8-bit model (13 GB) fits, with room for the context.")
    return say("For that, any machine with 16 GB of RAM is fine.")


def _sizing_ran_once():
    assert len(requests("wf-sizing")) == 1, "only the 13B question should pass the condition"


program("workflow_condition_router", {
    "wf-sizing": lambda m, t: say("A 13B model has 13 billion weights: 26 GB at 16 bits, 13 GB at 8 bits."),
    "wf-hardware": _hardware,
    "wf-software": lambda m, t: say("Pin them in a requirements file, or use a lock file from uv or Poetry."),
}, stdout=("16 GB of RAM is fine",), check=_sizing_ran_once)


# -------------------------------------------------------------------------- databases, models, async


def _concierge_pg(messages: Messages, tools: Tools):
    if last_user(messages).startswith("Book"):
        return say("Booked: a table for two at 8 pm.")
    asked = re.search(r"\d+ pm", " ".join(user_texts(messages)[:-1]))
    return say(f"You asked for {asked.group()}." if asked else "I don't know what you asked for.")


program("postgres_db", {"pg-concierge": _concierge_pg}, needs=("postgres", "psycopg"),
        stdout=("Booked: a table for two at 8 pm.",))


def _fx(messages: Messages, tools: Tools):
    results = tool_results(messages)
    if not results:
        return call("exchange_rate", base="EUR", quote="USD")
    rate = float(re.search(r"= ([\d.]+)", results[-1]).group(1))
    return say(f"250 EUR is {250 * rate:.2f} USD (at {results[-1]}).")


program("litellm_model", {"fx-desk": _fx}, needs=("litellm",))


def _geo(messages: Messages, tools: Tools):
    country = re.search(r"capital of (\w+)", last_user(messages)).group(1)
    results = tool_results(messages)
    if not results:
        return call("lookup_capital", country=country)
    return say(f"The capital of {country} is {results[-1]}.")


program("async_agent", {"geo-async": _geo}, stdout=("The capital of Japan is Tokyo.",))

_STORY = ("Every night, Ines climbed ninety steps to light the lamp. The night the ships stopped coming, a "
          "fisherman climbed them instead, carrying the lamp to her.")
program("stream_chunks", {"storyteller": lambda m, t: say(_STORY)})


def _ticker(messages: Messages, tools: Tools):
    results = tool_results(messages)
    if not results:
        return call("get_stock_price", symbol="ACME")
    return say(f"ACME is at {results[-1].split(': ', 1)[1]}.")


program("stream_events", {"ticker-watch": _ticker})


def _concierge(messages: Messages, tools: Tools):
    everything = json.dumps(messages, ensure_ascii=False)
    if all(fact in everything for fact in ("Noor", "gold", "9 pm")):
        return say("Welcome back, Noor! As a gold member: the spa is open until 9 pm.")
    return say("Hello! The spa hours are on the door.")


def _context_reached_the_prompt():
    (messages, _), = requests("concierge")
    system = system_text(messages)
    assert "You are Concierge" in system, "the instructions function should get the agent"
    assert "One friendly sentence" in system, "expected_output belongs in the prompt"
    assert re.search(r"\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}", system), "add_datetime_to_context: no date in it"


program("instructions_and_context", {"concierge": _concierge}, check=_context_reached_the_prompt)


def _sprint_planner(messages: Messages, tools: Tools):
    results = tool_results(messages)
    tasks = ["Design the new cart", "Add Apple Pay"]
    if len(results) < len(tasks):
        return call("add_task", title=tasks[len(results)])
    return say(f"Planned: {results[-1]}.")


program("workflow_session_state", {"sprint-planner": _sprint_planner})


# ---------------------------------------------------------------------------------------- knowledge


def _librarian(messages: Messages, tools: Tools):
    results = tool_results(messages)
    if not results:
        return call("search_knowledge_base", query="paid leave days")
    found = re.search(r"(\d+) days of paid leave", results[0])
    return say(f"You get {found.group(1)} days of paid leave a year." if found else "The handbook does not say.")


def _searched_before_answering():
    first, second = requests("librarian")
    assert "search_knowledge_base" in json.dumps(first[1]), "the search tool was not offered"
    assert "27 days of paid leave" in json.dumps(second[0]), "the search result did not reach the model"


program("knowledge_agentic_rag", {"librarian": _librarian}, stdout=("27 days of paid leave",),
        check=_searched_before_answering)
