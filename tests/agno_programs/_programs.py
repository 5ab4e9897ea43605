"""Each program's scripted models and checks (see ``_scripted.py`` for how they are served and used)."""

from __future__ import annotations

import json
import re

from ._scripted import (
    PROGRAMS, Messages, Tools, call, last_user, memory_curator, program, requests, say, session_summarizer,
    system_text, tool_results, user_texts, wants_json,
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
        return say("- Sea otters **hold hands** while they sleep\n- They keep a favourite rock\n- Dense fur, no blubber")
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

_ITINERARY = {"title": "Lakes and cities", "stops": [{"city": "Milan", "nights": 2}, {"city": "Como", "nights": 2},
                                                     {"city": "Verona", "nights": 1}]}


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
    assert [t for t in user_texts(messages)][:2] == ["Hi! My favourite city is Lisbon.",
                                                     "And my favourite food is bacalhau."], user_texts(messages)


program("chat_history", {"history-chat": _history_chat}, stdout=("Noted!",), check=_history_reached_the_third_call)


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


def _curator(messages: Messages, tools: Tools):
    fact = (lambda text: "Sam moved to Lyon for a new job" if "Lyon" in text else None)
    return memory_curator(messages, tools, lambda _: fact(last_user(messages))) or say("No changes needed.")


def _mont_blanc(messages: Messages, tools: Tools):
    if "metric units" in system_text(messages):
        return say("Mont Blanc is 4,806 m tall.")
    return say("Mont Blanc is 15,774 ft tall.")


program("memory_manager", {"memory-curator": _curator, "memory-reader": _mont_blanc})


def _summary_agent(messages: Messages, tools: Tools):
    everything = json.dumps(messages)
    if "Kyoto" in everything:
        summary = "The user is planning a trip to Japan in April and wants to see the cherry blossoms in Kyoto."
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
