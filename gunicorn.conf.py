"""gunicorn settings for the digit server (`make run`).

One worker process per core, each loading the model itself after the fork (no preload: LiteRT
and TensorFlow runtimes hang when forked with a model loaded). Workers are gevent's: a client
that is slow to send holds only a cheap greenlet, never a whole worker, and one that has not
sent its request headers within `keepalive` seconds is dropped.
"""

import glob
import os
import shutil
import tempfile

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


def on_starting(server):
    """Give the workers an empty folder for their Prometheus samples before any of them starts.

    `PROMETHEUS_MULTIPROC_DIR` names it where set (its sample files are deleted here: those of an
    earlier run would be counted again); otherwise each server gets a temporary folder of its
    own, removed at exit.
    """
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        for stale in glob.glob(os.path.join(folder, "*.db")):
            os.remove(stale)
    else:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = server.metrics_folder = tempfile.mkdtemp(prefix="digits-metrics-")


def child_exit(server, worker):
    """A worker that exits leaves its counts in the folder; its live-only samples go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if getattr(server, "metrics_folder", None):
        shutil.rmtree(server.metrics_folder, ignore_errors=True)
