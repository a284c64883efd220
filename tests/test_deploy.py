"""deploy/: the container recipe ships everything the server loads; the nginx and compose files hold together.

The native layout (make run, nginx, PostgreSQL, Redis) is exercised by test_replicas.py; these
checks keep the container path from drifting away from it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import yaml

from recognition import PROJECT_ROOT
from tests.debian import installed

DEPLOY = PROJECT_ROOT / "deploy"

PROJECT_FILES_LOADED = """
import json, sys
import webapp
webapp.create_app()
root = sys.argv[1]
print(json.dumps(sorted(m.__file__ for m in list(sys.modules.values())
                        if getattr(m, "__file__", None) and m.__file__.startswith(root + "/") and "/.venv/" not in m.__file__)))
"""


def copied_paths() -> list[str]:
    """Sources of the Dockerfile's COPY lines, relative to the repository root."""
    sources = []
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            sources += line.split()[1:-1]
    return sources


def test_the_image_copies_every_project_file_the_server_imports_and_the_model():
    sources = copied_paths()
    for source in sources:
        assert (PROJECT_ROOT / source).exists(), f"COPY {source}: no such file"
    result = subprocess.run([sys.executable, "-c", PROJECT_FILES_LOADED, str(PROJECT_ROOT)], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    for path in json.loads(result.stdout.strip().splitlines()[-1]):
        relative = path[len(str(PROJECT_ROOT)) + 1:]
        assert any(relative == s or relative.startswith(s) for s in sources), f"{relative} is not in the image"
    assert "saved_model/cnn.tflite" in sources and "saved_model/cnn.calibration.json" in sources
    assert "saved_model/sequence.tflite" in sources
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    for source in sources:
        assert "!" + source in ignore, f"{source} is copied but .dockerignore keeps it from the builder"


def test_the_deployed_nginx_configuration_is_valid(tmp_path):
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text()
    conf = re.sub(r"server app\d:8000", "server 127.0.0.1:8000", conf)
    conf = conf.replace("/etc/nginx/digits.conf", str(DEPLOY / "nginx" / "digits.conf"))
    conf = conf.replace("/tmp/nginx.pid", str(tmp_path / "nginx.pid"))
    (tmp_path / "nginx.conf").write_text(conf)
    result = subprocess.run([installed("nginx", "nginx"), "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def test_compose_runs_two_replicas_on_shared_postgres_and_redis_behind_nginx():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    replicas = [name for name, s in services.items() if s.get("image") == "digits" and "command" not in s]
    assert len(replicas) == 2
    upstreams = re.findall(r"server (\w+):8000", (DEPLOY / "nginx" / "nginx.conf").read_text())
    assert sorted(upstreams) == sorted(replicas)
    for name in replicas:
        env = services[name]["environment"]
        assert env["DATABASE_URL"].split("@")[1].startswith("postgres:") and "postgres" in services
        assert env["RATELIMIT_STORAGE_URI"].startswith("redis://redis:") and "redis" in services
        assert env["DIGITS_TRUSTED_PROXIES"] == "1"
    for volume in services["nginx"]["volumes"]:
        assert (DEPLOY / volume.split(":")[0]).resolve().exists(), volume
