"""Serving installs only requirements.txt: everything the server imports must be pinned there."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from webapp import PROJECT_ROOT

# What a gunicorn worker of `make run` imports: the app, the gevent worker, the model runtime.
SERVING_IMPORTS = """
import sys
at_start = set(sys.modules)  # the interpreter's own start-up (site hooks), not the server's
import json
from importlib.metadata import packages_distributions
import gunicorn.app.wsgiapp, gunicorn.workers.ggevent
import webapp, webapp.predict
webapp.create_app()
owners = packages_distributions()
used = {dist for name in set(sys.modules) - at_start for dist in owners.get(name.split(".")[0], [])}
print(json.dumps(sorted(used)))
"""


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned(path) -> dict[str, str]:
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    return {canonical(name): version for name, version in (line.split("==") for line in lines if "==" in line)}


def test_everything_the_server_imports_is_pinned_in_requirements():
    result = subprocess.run([sys.executable, "-c", SERVING_IMPORTS], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    used = {canonical(name) for name in json.loads(result.stdout.strip().splitlines()[-1])}
    missing = used - set(pinned(PROJECT_ROOT / "requirements.txt"))
    assert not missing, f"imported by the server but not in requirements.txt: {sorted(missing)}"


def test_serving_does_not_need_tensorflow():
    serving = pinned(PROJECT_ROOT / "requirements.txt")
    assert not {"tensorflow", "keras", "matplotlib"} & set(serving)
    assert {"tensorflow", "keras", "matplotlib"} <= set(pinned(PROJECT_ROOT / "requirements-train.txt"))
