"""``LocalModel``: a ``local/...`` model id, served by llama.cpp on 127.0.0.1 and called over the direct
OpenAI-compatible transport, so streaming, token counts, retries and traces are those of any provider.

The GGUF file is resolved (and checked) when the model is built, so a wrong id fails where the agent is
defined. The server starts on the first call, not before: defining agents stays instant, and a notebook
that never runs the local agent never loads the model.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from ...errors import ConfigurationError
from ..base import Stream
from ..openai_compat import OpenAICompatModel
from .catalog import MissingLocalPackageError, resolve_gguf

__all__ = ["LocalModel"]


class LocalModel(OpenAICompatModel):
    """A GGUF model run by llama.cpp (``xllamacpp``) in a server process this interpreter owns.

    ``local/smollm2`` is the bundled SmolLM2-135M-Instruct; ``local/path/to/model.gguf`` any GGUF file.
    ``threads`` (default 1: see ``server.py``), ``ctx`` (context tokens, default 4096), ``port`` (default:
    a free one) and ``start_timeout`` (seconds to load, default 120) configure the server; every other
    option (``max_tokens``, ``temperature``, ``seed``, ...) is sent with each request.
    """

    __slots__ = ("gguf", "threads", "ctx", "port", "start_timeout", "server")
    transport = "direct"

    def __init__(self, id: str, *, threads: int = 1, ctx: int = 4096, port: int | None = None,
                 start_timeout: float = 120.0, **kwargs: Any):
        provider, _, name = id.partition("/")
        if provider != "local" or not name:
            raise ConfigurationError(f"{id!r} is not a local model id; write 'local/smollm2' or "
                                     f"'local/path/to/model.gguf'.")
        for label, value in (("threads", threads), ("ctx", ctx)):
            if not isinstance(value, int) or value < 1:
                raise ConfigurationError(f"{id}: {label} must be a positive integer, got {value!r}.")
        if port is not None and (not isinstance(port, int) or not 0 < port < 65536):
            raise ConfigurationError(f"{id}: port must be an integer from 1 to 65535, got {port!r}.")
        kwargs.pop("api_key", None)  # llama.cpp on loopback needs no key; Agno code may pass one anyway
        if kwargs.pop("api_base", None):
            raise ConfigurationError(f"{id}: a local model runs its own server; to call a llama.cpp server "
                                     f"you started yourself use OpenAILike(base_url=...) or "
                                     f"'openai/<name>' with api_base=....")
        gguf = resolve_gguf(name)
        # The direct transport's constructor wants a known provider; 'openai' with an explicit base
        # needs no key, and the id is set back to what the user wrote.
        super().__init__(f"openai/{name}", api_base="http://127.0.0.1:0/v1", **kwargs)
        self.id = id
        self.gguf = gguf
        self.threads = threads
        self.ctx = ctx
        self.port = port
        self.start_timeout = start_timeout
        self.server = None

    def check(self) -> None:
        """Fail before the run if llama.cpp's package is missing (the model file was checked at build)."""
        import importlib.util

        if importlib.util.find_spec("xllamacpp") is None:
            raise MissingLocalPackageError(
                f"{self.id} runs on llama.cpp through the 'xllamacpp' package, which is not installed: "
                f"pip install 'agno_nb[local]'.")

    async def respond(self, messages, *, tools, response_format, stream) -> Stream:
        # Every call asks the registry: the running server (a dict lookup and a poll()), or a new one
        # if it died since the last call. Starting blocks ~1 s, so it runs off the event loop.
        await self.start()
        async for item in super().respond(messages, tools=tools, response_format=response_format,
                                          stream=stream):
            yield item

    async def start(self) -> None:
        """Start (or find, or restart) this model's server and point the transport at it."""
        from .server import ensure_server

        server = self.server
        if server is None or not server.alive():
            server = await asyncio.to_thread(ensure_server, self.gguf, port=self.port, threads=self.threads,
                                             ctx=self.ctx, start_timeout=self.start_timeout)
        _no_proxy_for_loopback()
        self.server = server
        self.api_base = server.base_url
        self._url = self.api_base + "/chat/completions"

    def _where(self) -> str:
        return f"{self.id} (llama.cpp at {self.api_base})"

    def _response(self, content, calls, reasoning, usage, finish_reason):
        response = super()._response(content, calls, reasoning, usage, finish_reason)
        response.cost = 0.0 if usage else None  # runs on your machine: no per-token price
        return response


def _no_proxy_for_loopback() -> None:
    """Keep requests to our own server off any HTTP proxy.

    The direct transport honours the proxy variables (``trust_env``), as users behind a corporate proxy
    need for cloud providers; but Python's proxy rules bypass only what ``no_proxy`` lists, so with
    ``HTTP_PROXY`` set a request to 127.0.0.1 would go to the proxy and fail. aiohttp reads the
    environment on each request, so adding the loopback address to ``no_proxy`` is enough.
    """
    if not any(os.environ.get(name) for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
                                                  "ALL_PROXY", "all_proxy")):
        return
    for name in ("no_proxy", "NO_PROXY"):
        hosts = [h.strip() for h in os.environ.get(name, "").split(",") if h.strip()]
        if "127.0.0.1" not in hosts:
            os.environ[name] = ",".join([*hosts, "127.0.0.1"])
