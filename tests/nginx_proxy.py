"""nginx as the load balancer in front of app replicas, for tests and the replica benchmark.

The generated configuration holds what is particular to a run (loopback ports, a folder of its
own for pid, logs and temporary files) and includes deploy/nginx/digits.conf, the proxy settings
a deployment uses.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

from recognition import PROJECT_ROOT
from tests.debian import installed
from tests.support import free_port, stop_process_group

PROXY_SETTINGS = PROJECT_ROOT / "deploy" / "nginx" / "digits.conf"
START_TIMEOUT_S = 10.0


def configuration(folder: Path, port: int, upstreams: Sequence[int]) -> str:
    """An nginx.conf listening on loopback `port`, balancing over the `upstreams` ports."""
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=30s;" for p in upstreams)
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""daemon off;
worker_processes 1;
pid {folder / 'nginx.pid'};
error_log {folder / 'error.log'} warn;
events {{
    worker_connections 1024;
}}
http {{
    access_log off;
{temp}
    upstream digits {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        include {PROXY_SETTINGS};
    }}
}}
"""


def wait_listening(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2).read()
            return
        except urllib.error.HTTPError:
            return  # listening; what the replicas say is the test's business
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nginx did not start listening in time")


@contextmanager
def nginx_balancer(upstreams: Sequence[int]) -> Iterator[str]:
    """nginx balancing over the app replicas on `upstreams` ports: yields its URL; stopped after."""
    nginx = installed("nginx", "nginx")
    with tempfile.TemporaryDirectory(prefix="digits-nginx-") as name:
        folder = Path(name)
        port = free_port()
        conf = folder / "nginx.conf"
        conf.write_text(configuration(folder, port, upstreams))
        check = subprocess.run([nginx, "-t", "-c", str(conf), "-p", str(folder)], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx refused its configuration: {check.stderr}")
        process = subprocess.Popen([nginx, "-c", str(conf), "-p", str(folder)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_listening(url, process, folder / "error.log")
            yield url
        finally:
            stop_process_group(process, grace_s=5)
