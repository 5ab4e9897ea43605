"""The ``scripted`` custom provider for LiteLLM: ``litellm.acompletion(model="scripted/<name>")``.

It serves the registered scripts (``agno_nb.models.scripts``) through LiteLLM's own request and
response machinery, so the LiteLLM transport is tested end to end without a network.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..errors import ConfigurationError
from .scripted import input_tokens, stream_pieces
from .scripts import estimate_tokens, get_script

__all__ = ["scripted_handler"]


def scripted_handler() -> Any:
    from litellm import CustomLLM, ModelResponse
    from litellm.llms.custom_llm import CustomLLMError
    from litellm.types.utils import Delta, ModelResponseStream, StreamingChoices, Usage

    async def next_turn(model: str, messages: list, optional_params: dict, timeout: Any):
        try:
            turn = get_script(model).next_turn(messages, optional_params.get("tools"))
        except ConfigurationError as exc:
            # An unknown or exhausted script is the caller's mistake, not an outage: 404/400, never retried.
            status = 404 if "No scripted model" in str(exc) else 400
            raise CustomLLMError(status_code=status, message=str(exc)) from None
        limit = float(timeout) if isinstance(timeout, (int, float)) else None
        if turn.delay:
            if limit is not None and turn.delay > limit:
                await asyncio.sleep(limit)
                raise CustomLLMError(status_code=408, message=f"no answer within {limit}s (scripted delay)")
            await asyncio.sleep(turn.delay)
        if turn.error:
            raise CustomLLMError(status_code=turn.error_status, message=turn.error_message)
        return turn

    def usage_of(messages: list, turn: Any) -> dict[str, int]:
        prompt = input_tokens(messages)
        completion = estimate_tokens(turn.content) + 8 * len(turn.tool_calls)
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    class ScriptedLLM(CustomLLM):
        async def acompletion(self, model, messages, api_base, custom_prompt_dict, model_response,
                              print_verbose, encoding, api_key, logging_obj, optional_params,
                              acompletion=None, litellm_params=None, logger_fn=None, headers={},
                              timeout=None, client=None):
            turn = await next_turn(model, messages, optional_params, timeout)
            message: dict[str, Any] = {"role": "assistant", "content": turn.content}
            if turn.reasoning:
                message["reasoning_content"] = turn.reasoning
            if turn.tool_calls:
                message["tool_calls"] = turn.openai_tool_calls()
            return ModelResponse(model=model, choices=[{
                "index": 0, "message": message, "finish_reason": "tool_calls" if turn.tool_calls else "stop"}],
                usage=Usage(**usage_of(messages, turn)))

        async def astreaming(self, model, messages, api_base, custom_prompt_dict, model_response,
                             print_verbose, encoding, api_key, logging_obj, optional_params,
                             acompletion=None, litellm_params=None, logger_fn=None, headers={},
                             timeout=None, client=None):
            turn = await next_turn(model, messages, optional_params, timeout)
            for piece in stream_pieces(turn.reasoning) if turn.reasoning else ():
                # Generic chunks have no reasoning field; a full stream chunk passes through as it is.
                yield ModelResponseStream(model=model, choices=[StreamingChoices(
                    index=0, delta=Delta(role="assistant", content=None, reasoning_content=piece))])
            for piece in stream_pieces(turn.content) if turn.content else ():
                yield {"text": piece, "tool_use": None, "is_finished": False, "finish_reason": "",
                       "usage": None, "index": 0}
            for index, call in enumerate(turn.openai_tool_calls()):
                yield {"text": "", "is_finished": False, "finish_reason": "", "usage": None, "index": 0,
                       "tool_use": {**call, "index": index}}
            yield {"text": "", "tool_use": None, "is_finished": True, "index": 0,
                   "finish_reason": "tool_calls" if turn.tool_calls else "stop", "usage": usage_of(messages, turn)}

    return ScriptedLLM()
