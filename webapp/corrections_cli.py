"""`flask --app webapp corrections export FILE.npz` and `flask --app webapp corrections stats`.

The export is in Keras's MNIST layout: `x_train` (n, 28, 28) uint8 and `y_train` (n,) uint8 for
corrections labelled 0-9, `x_not_a_digit` (m, 28, 28) for those labelled "not a digit", and the
database ids of both (`id_train`, `id_not_a_digit`), so a file can be traced back to its rows.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from pathlib import Path

import click
import numpy as np
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from webapp.database import NOT_A_DIGIT, Correction, db, ensure_schema

corrections = AppGroup("corrections", help="Export the corrections people sent, or count them.")


def load_all() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every correction, oldest first: (ids, images (n, 28, 28) uint8, labels 0-10)."""
    ensure_schema()
    rows = db.session.execute(select(Correction.id, Correction.pixels, Correction.label).order_by(Correction.id)).all()
    ids = np.array([r.id for r in rows], np.int64)
    images = np.array([np.frombuffer(r.pixels, np.uint8) for r in rows], np.uint8).reshape(-1, 28, 28)
    labels = np.array([r.label for r in rows], np.uint8)
    return ids, images, labels


def arrays() -> dict[str, np.ndarray]:
    """The export's arrays: digits in MNIST's layout, non-digits under their own key."""
    ids, images, labels = load_all()
    digit = labels < NOT_A_DIGIT
    return {"x_train": images[digit], "y_train": labels[digit], "id_train": ids[digit],
            "x_not_a_digit": images[~digit], "id_not_a_digit": ids[~digit]}


@corrections.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def export_command(path: Path) -> None:
    """Write every correction to PATH (.npz)."""
    data = arrays()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    with os.fdopen(handle, "wb") as out:
        np.savez_compressed(out, **data)
    os.replace(tmp, path)
    click.echo(f"wrote {path}: {len(data['y_train'])} digits, {len(data['x_not_a_digit'])} not a digit")


@corrections.command("stats")
def stats_command() -> None:
    """Counts per label and how often the model was wrong."""
    ensure_schema()
    rows = db.session.execute(select(Correction.label, Correction.answer)).all()
    total = Counter(r.label for r in rows)
    wrong = Counter(r.label for r in rows if r.answer != r.label)
    click.echo(f"{'label':<12}{'count':>7}{'model wrong':>13}")
    for label in sorted(total):
        name = "not a digit" if label == NOT_A_DIGIT else str(label)
        click.echo(f"{name:<12}{total[label]:>7}{wrong[label]:>7} ({100 * wrong[label] / total[label]:.0f}%)")
    count, errors = sum(total.values()), sum(wrong.values())
    share = f"{100 * errors / count:.0f}%" if count else "-"
    click.echo(f"{'all':<12}{count:>7}{errors:>7} ({share})")


def register(app: Flask) -> None:
    app.cli.add_command(corrections)
