"""The llama.cpp server process: ``python _child.py MODEL PORT THREADS CTX LOG``, run by ``server.py``.

A separate process rather than xllamacpp's server in the caller's own process: the user's kernel keeps
its memory and threads, a crash in llama.cpp cannot take the notebook down, and stopping the model is
killing one PID we started. It is run by file path and imports only xllamacpp (not agno_nb), so it
starts in the ~0.1 s xllamacpp's import takes.

It exits when its standard input closes: the parent holds the other end, so if the parent dies
without running its exit hooks (SIGKILL, a kernel crash) the server goes with it, not left orphaned,
and removes its log file (LOG, where its stderr goes) on the way out.
"""

import os
import sys
import threading


def main() -> None:
    model, port, threads, ctx, log = sys.argv[1], *map(int, sys.argv[2:5]), sys.argv[5]
    import xllamacpp as xlc

    params = xlc.CommonParams()
    params.model.path = model
    params.hostnames = ["127.0.0.1"]  # loopback only: the model is never reachable from the network
    params.port = port
    params.n_ctx = ctx
    params.n_parallel = 1  # one slot: on 2 cores, parallel decoding only splits the same compute
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.use_jinja = True  # the model's own chat template, with llama.cpp's tool-call parsing
    if hasattr(params, "ui"):
        params.ui = False  # no web chat page: this server is an API for agno_nb only
    try:
        server = xlc.Server(params)
    except RuntimeError as exc:  # llama.cpp logged why (to stderr, which the parent keeps) before this
        print(f"agno_nb: llama.cpp server did not start: {exc}", file=sys.stderr, flush=True)
        os._exit(3)
    print(f"agno_nb: serving {model} at {server.listening_address}", file=sys.stderr, flush=True)
    done = threading.Event()

    def watch_parent() -> None:
        sys.stdin.buffer.read()  # returns at EOF: the parent closed the pipe or is gone
        done.set()

    threading.Thread(target=watch_parent, daemon=True).start()
    done.wait()
    try:
        os.unlink(log)  # a failed start keeps its log: the parent quotes it in the error, then removes it
    except OSError:
        pass
    os._exit(0)  # skip llama.cpp's slow teardown: the OS frees the model's memory at once


if __name__ == "__main__":
    main()
