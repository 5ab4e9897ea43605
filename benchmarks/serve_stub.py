"""The serving benchmark's model stub: the loopback OpenAI-compatible scripted server, plus ``bench-hold``
(answers after 2 s, so a client holds its stream open that long).

    python benchmarks/serve_stub.py      # prints "listening on http://127.0.0.1:PORT/v1"
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agno_nb.models.scripted_server import main  # noqa: E402
from agno_nb.models.scripts import Turn, register_script  # noqa: E402

HOLD_SECONDS = 2.0
register_script("bench-hold", lambda messages, tools: Turn("held open, now done", delay=HOLD_SECONDS))

if __name__ == "__main__":
    sys.argv[1:] = ["--port", "0"]
    main()
