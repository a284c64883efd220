"""`python -m webapp.predict` on image files, through the server's preprocessing."""

from __future__ import annotations

import subprocess
import sys

from model_training import canvas
from model_training.canvas import Style
from tests.support import HASH_SIGN, held_back_digits
from webapp import PROJECT_ROOT


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "webapp.predict", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)


def test_prints_top_predictions_for_each_file(tmp_path, mnist):
    digits, labels = held_back_digits(mnist, 5, offset=200)
    paths = []
    for i, (digit, look) in enumerate(zip(digits, canvas.LOOKS * 2)):
        path = tmp_path / f"digit{i}.png"
        path.write_bytes(canvas.draw_digit(digit, Style(look=look)))
        paths.append(str(path))
    result = run_cli(*paths, "--top-k", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == len(paths)
    for line, path, label in zip(lines, paths, labels):
        name, predictions = line.split(": ", 1)
        assert name == path
        shown = predictions.removesuffix("  (not sure)").split("  ")
        assert len(shown) == 2 and shown[0].startswith(f"{label} (") and shown[0].endswith("%)")


def test_unreadable_files_are_reported_not_crashed(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    result = run_cli(str(text), str(tmp_path / "missing.png"))
    assert result.returncode == 1
    assert "notes.png: error: not a readable image" in result.stdout
    assert "missing.png: error:" in result.stdout and "Traceback" not in result.stderr


def test_a_symbol_is_reported_not_a_digit(tmp_path):
    path = tmp_path / "hash.png"
    path.write_bytes(canvas.to_png(canvas.render(HASH_SIGN, Style(pen=0.04))))
    result = run_cli(str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{path}: not a digit (closest: ")
