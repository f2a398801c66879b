"""A webhook receiver for the benchmarks: `python -m bench.harness.receiver --port N`, a threaded
http.server on 127.0.0.1 speaking HTTP/1.1 with keep-alive, answering every POST with 204 after reading
its body, as a receiver that queues deliveries for later would. GET /healthz answers 200, GET /stats the
POSTs and body bytes received so far, as JSON. It runs in a process of its own (servers.start_server), so
that its work does not share the deliverer's interpreter. Standard library only.
"""

import argparse
import http.server
import json
import threading

received = {"posts": 0, "bytes": 0}
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx's pool expects

    def do_POST(self) -> None:  # noqa: N802 - the http.server interface
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        with lock:
            received["posts"] += 1
            received["bytes"] += len(body)
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802 - the http.server interface
        with lock:
            body = json.dumps(received).encode() if self.path == "/stats" else b'{"status":"ok"}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.harness.receiver", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
