"""Debian packages the tests need (redis-server, nginx, handwriting fonts), installed with apt when missing.

CI runs on a fresh machine as root with nothing started: a test that needs a server program
installs it here, then starts and stops its own instance on loopback.
"""

from __future__ import annotations

import os
import shutil
import subprocess

APT_TIMEOUT_S = 900


def apt_install(*packages: str) -> None:
    """Install Debian packages with apt-get (as root); raises RuntimeError saying how when it cannot."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise RuntimeError(f"missing: run `apt-get install -y {' '.join(packages)}` as root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", *packages]):
        result = subprocess.run(command, capture_output=True, text=True, timeout=APT_TIMEOUT_S, env=env)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {result.stderr[-2000:]}")


def installed(executable: str, package: str) -> str:
    """The path of `executable`, installing Debian's `package` first when it is missing."""
    found = shutil.which(executable) or shutil.which(executable, path="/usr/sbin:/usr/bin")
    if found:
        return found
    apt_install(package)
    found = shutil.which(executable) or shutil.which(executable, path="/usr/sbin:/usr/bin")
    if not found:
        raise RuntimeError(f"apt-get installed {package} but no {executable} was found")
    return found
