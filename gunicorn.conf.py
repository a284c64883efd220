"""gunicorn settings for the digit server (`make run`).

One worker process per core, each loading the model itself after the fork (no preload: LiteRT
and TensorFlow runtimes hang when forked with a model loaded). Workers are gevent's: a client
that is slow to send holds only a cheap greenlet, never a whole worker, and one that has not
sent its request headers within `keepalive` seconds is dropped.
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
worker_class = "gevent"
worker_connections = 1000  # open connections per worker
preload_app = False
timeout = 30  # a worker that stops answering its master this long is restarted
graceful_timeout = 10
keepalive = 5  # seconds: the deadline for a request's headers, and for an idle connection
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
control_socket_disable = True  # no management socket: several servers may share a machine
accesslog = os.environ.get("ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")


def post_request(worker, req, environ, resp):
    """Let requests waiting on other connections run before this connection's next one.

    A gevent worker otherwise keeps serving a busy keep-alive connection while others wait.
    """
    import gevent

    gevent.sleep(0)
