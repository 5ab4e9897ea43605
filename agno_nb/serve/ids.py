"""Ids that need to be unique, not secret: made without a system call.

``os.urandom`` (what ``uuid4`` reads) costs ~50 µs per call in some sandboxed kernels, several times per
request. A run id is not a credential (every route checks who owns the run), so it comes from the
``random`` module, seeded from the OS once (and again after a fork). Session ids stay ``uuid4``: a
session without a user is open to whoever knows its id.
"""

from __future__ import annotations

import random
import uuid

__all__ = ["fast_id"]


def fast_id() -> str:
    """A version-4 UUID from the process's random generator."""
    return str(uuid.UUID(int=random.getrandbits(128), version=4))
