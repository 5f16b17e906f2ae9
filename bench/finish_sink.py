"""Shopify's ``bulk_operations/finish`` deliveries for the in-process stock bench.

In a running suite the webhook route stores the delivery and its event brings
the waiting sync job's eta to now (``_shopify_wake_bulk_waits``). The stock
bench runs the sync in-process, without the server, so this sink takes the
deliveries instead, and the bench's retry loop waits for the job's operation
to finish or for its next look, whichever comes first, as the runner would.
"""

import http.server
import json
import threading

from lib import bulk_wait  # connector_shopify/lib, on the path as for the sandbox


class FinishSink:
    def __init__(self):
        self._finished = {}
        self._lock = threading.Lock()
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                operation = json.loads(body or b"{}").get("admin_graphql_api_id")
                if operation:
                    sink._event(operation).set()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/bulk-finish"

    def _event(self, operation):
        with self._lock:
            return self._finished.setdefault(operation, threading.Event())

    def wait(self, message, seconds):
        """Wait ``seconds``, less if the operation the job's ``message`` names
        finishes meanwhile: True when woken by its webhook."""
        operation = bulk_wait.operation_of(message)
        if not operation:
            threading.Event().wait(seconds)
            return False
        return self._event(operation).wait(seconds)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
