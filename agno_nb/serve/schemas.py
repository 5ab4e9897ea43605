"""Pydantic models for the OpenAPI document (``/docs``) and the request bodies it describes.

The routes parse bodies themselves (a run takes JSON or form fields, as AgentOS does) and answer with
JSON built by ``payloads``; these models describe both, so the schema and the code tell the same story.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["RunRequest", "ContinueRequest", "RunResponse", "openapi_body", "ErrorResponse", "DECISIONS"]

DECISIONS = ("confirmed", "rejected", "provided", "executed")


class RunRequest(BaseModel):
    """A new run. Sent as JSON, or as form fields (objects then as JSON text; files as multipart
    ``files``)."""

    model_config = ConfigDict(extra="forbid")

    message: str | dict[str, Any] | list[Any] = Field(
        ..., description="The input: text, or a JSON value for agents with an input_schema."
    )
    session_id: str | None = Field(
        None, max_length=256, description="Continue this session (yours); omit to start one."
    )
    user_id: str | None = Field(
        None, max_length=256, description="Run for this user (admin credentials, or no auth); default: you."
    )
    stream: bool = Field(False, description="Answer with SSE: `event: <Type>`, `id: <seq>`, `data: <json>`.")
    background: bool = Field(False, description="Answer 202 with the run id at once; the run goes on here.")
    session_state: dict[str, Any] | None = Field(None, description="Values merged into the session state.")
    context: dict[str, Any] | None = Field(None, description="Values for the instructions' {name} fields.")
    knowledge_filters: dict[str, Any] | None = Field(
        None, description="Metadata filters for this run's knowledge searches (key by key over the agent's)."
    )


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tool_call_id: str = Field(..., description="Which paused call (see the run's `requirements`).")
    decision: Literal["confirmed", "rejected", "provided", "executed"] | None = None
    confirmed: bool | None = Field(None, description="AgentOS style: true = confirmed, false = rejected.")
    arguments: dict[str, Any] | None = Field(None, description="Edited arguments (with confirmed).")
    reason: str | None = Field(None, description="Why (with rejected); the model is told.")
    user_input: dict[str, Any] | None = Field(
        None, description="The fields the tool asked for (with provided)."
    )
    result: Any = Field(None, description="The result of a call you ran yourself (with executed).")


class ContinueRequest(BaseModel):
    """Decisions for every pending call of a paused run."""

    model_config = ConfigDict(extra="forbid")

    requirements: list[Decision] = Field(..., description="One decision per pending tool call or step.")
    stream: bool = False
    background: bool = False


class Metrics(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    model_requests: int = 0
    tool_calls: int = 0
    ttft: float | None = None
    duration: float | None = None
    cost: float | None = None


class RunResponse(BaseModel):
    """A run's outcome (``status``: completed, error, cancelled, paused, blocked, limit_reached)."""

    run_id: str
    session_id: str | None
    user_id: str | None
    type: Literal["agent", "team", "workflow"]
    component_id: str | None
    component_name: str | None
    status: str
    status_reason: str | None
    content: Any
    model: str | None
    reasoning_content: str | None
    metrics: Metrics
    tools: list[dict[str, Any]]
    requirements: list[dict[str, Any]] = Field(
        description="Pending calls of a paused run: decide, then continue."
    )
    error: dict[str, Any] | None


class Accepted(BaseModel):
    """A background run, started."""

    run_id: str
    session_id: str | None
    status: str
    events: str = Field(description="Where its events stream (SSE).")


class ErrorResponse(BaseModel):
    detail: str = Field(description="What was wrong and what to do, in one line.")
    code: str


def openapi_body(model: type[BaseModel], *, form: bool = True) -> dict[str, Any]:
    """``openapi_extra`` for a route that reads JSON or form fields itself."""
    schema = model.model_json_schema()
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    if form:
        fields = {name: _form_field(name, prop) for name, prop in schema["properties"].items()}
        form_schema = {
            "type": "object",
            "properties": fields,
            "required": schema.get("required", []),
            "additionalProperties": False,
        }
        multipart = {
            "type": "object",
            "required": schema.get("required", []),
            "additionalProperties": False,
            "properties": {
                **fields,
                "files": {
                    "type": "array",
                    "items": {"type": "string", "format": "binary"},
                    "description": "Images, audio, video or documents.",
                },
            },
        }
        content["application/x-www-form-urlencoded"] = {"schema": form_schema}
        content["multipart/form-data"] = {"schema": multipart}
    return {"requestBody": {"required": True, "content": content}}


def _form_field(name: str, prop: dict[str, Any]) -> dict[str, Any]:
    """Form fields are text: booleans as true/false, objects as JSON text."""
    if prop.get("type") == "boolean":
        return {"type": "boolean", "default": prop.get("default", False)}
    kinds = {option.get("type") for option in prop.get("anyOf", [prop])}
    if "object" in kinds or "array" in kinds and name != "message":
        return {"type": "string", "description": f"{prop.get('description', '')} (JSON text)".strip()}
    return {"type": "string", "description": prop.get("description", "")}


#: one server-sent event (OpenAPI 3.2 style): ``data`` is the event as JSON, ``event`` its type, ``id`` its
#: position (send it back as Last-Event-ID to resume)
EVENT_SCHEMA = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "event": {"type": "string", "description": "The event type: RunStarted, RunContentDelta, ..."},
        "id": {"type": "string", "description": "Its position: 12, or 12.52 inside a run of text."},
        "retry": {"type": "integer"},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": {
                "type": "object",
                "required": ["type", "run_id"],
                "properties": {"type": {"type": "string"}, "run_id": {"type": "string"}},
            },
        },
    },
}
STREAM_DOC = {
    "text/event-stream": {
        "schema": EVENT_SCHEMA,
        "example": 'event: RunContentDelta\nid: 3.5\ndata: {"type": "RunContentDelta", '
        '"run_id": "...", "content": "Hello"}\n\n',
    }
}


class OpenAIErrorBody(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIError(BaseModel):
    """The OpenAI error shape (what the ``openai`` SDK reads)."""

    error: OpenAIErrorBody


OPENAI_ERRORS = {
    code: {"model": OpenAIError} for code in (400, 401, 403, 404, 409, 413, 415, 422, 502, 503, 504)
}

ERRORS = {code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409, 413, 415, 422, 503)}
