"""Local models: ``local/smollm2`` or ``local/path/to/model.gguf``, run by llama.cpp on 127.0.0.1.

- ``catalog``: which GGUF file an id names (bundled aliases, user paths), checked without loading it;
- ``server``: the llama.cpp server processes (one per file, shared, restarted if dead, stopped at exit);
- ``model``: ``LocalModel``, the direct OpenAI-compatible transport pointed at that server.

Importing this package is cheap; ``xllamacpp`` (``pip install 'agno_nb[local]'``) is imported only by
the server process.
"""

from __future__ import annotations

from .catalog import BUNDLED, MissingLocalPackageError, resolve_gguf
from .model import LocalModel
from .server import LocalServer, LocalServerError, running_servers, stop_all

__all__ = ["BUNDLED", "LocalModel", "LocalServer", "LocalServerError", "MissingLocalPackageError",
           "resolve_gguf", "running_servers", "stop_all"]
