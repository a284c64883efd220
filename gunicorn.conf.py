"""gunicorn settings for the digit server (`make run`).

One worker process per core, each loading the model itself after the fork (no preload: LiteRT
and TensorFlow runtimes hang when forked with a model loaded), a few threads per worker for
clients that are slow to send, and bounded timeouts and header sizes.
"""

import os
import socket
import struct

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
worker_class = "gthread"
threads = int(os.environ.get("THREADS", 8))
preload_app = False
timeout = 30  # a worker silent this long is restarted
graceful_timeout = 10
keepalive = 5
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
accesslog = os.environ.get("ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")

# A client that stops sending for this many seconds is dropped. Set on the listening socket,
# the receive timeout is inherited by every accepted connection (Linux), so no thread waits
# on a stalled client for longer.
RECEIVE_TIMEOUT_S = int(os.environ.get("RECEIVE_TIMEOUT", 10))


def when_ready(server):
    for listener in server.LISTENERS:
        listener.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", RECEIVE_TIMEOUT_S, 0))
