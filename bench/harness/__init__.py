"""The benchmark harness, shared by every scenario:

- servers.py: `kix serve` and the bare FastAPI echo app (bare_app.py) as subprocesses on 127.0.0.1, with
  the same worker count; their CPU time and logs; the demo agencies' keys and Codecs;
- receiver.py: a webhook receiver (threaded http.server, 204 to every POST) run as a server like them;
- databases.py: SQLite files and scratch PostgreSQL databases, query plans, and `run`, which gives a
  scenario its temp dir and cleans up (servers, databases) whatever happens;
- wire.py: requests signed and encrypted before a phase, replayed as raw HTTP/1.1 over keep-alive
  connections, timed from the request written to the response read;
- phases.py: timed phases against KIX or the bare app (build, fire, check), percentiles and medians, the
  printed figures and the ratios against the bare app.

This package imports nothing heavy at import time: uvicorn imports bare_app.py from it in the bare server.
"""
