"""Predict digits in image files from the command line, through the server's preprocessing.

    python -m webapp.predict IMAGE [IMAGE ...] [--top-k 3] [--model saved_model/cnn.tflite]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from webapp import DEFAULT_MODEL
from webapp.inference import Classifier
from webapp.preprocessing import InputError, preprocess

MAX_FILE_BYTES = 20 * 1024 * 1024


def predict_file(classifier: Classifier, path: Path, top_k: int) -> str:
    """One line for one file: its top predictions, or why it could not be read."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        answer = classifier.answer(preprocess(path.read_bytes()), top_k)
    except (InputError, OSError) as exc:
        return f"{path}: error: {exc}"
    shown = "  ".join(f"{p.digit} ({p.confidence:.1%})" for p in answer.predictions)
    if answer.not_a_digit:
        return f"{path}: not a digit (closest: {shown})"
    return f"{path}: {shown}{'  (not sure)' if answer.uncertain else ''}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Recognise handwritten digits in image files.")
    parser.add_argument("images", nargs="+", type=Path, help="PNG, JPEG, WebP, GIF or BMP files")
    parser.add_argument("--top-k", type=int, default=3, choices=range(1, 11), metavar="1..10")
    parser.add_argument("--model", type=Path, default=os.environ.get("DIGITS_MODEL", DEFAULT_MODEL),
                        help="a .tflite or .keras model file (default: $DIGITS_MODEL or the shipped model)")
    args = parser.parse_args(argv)
    try:
        classifier = Classifier(args.model)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    lines = [predict_file(classifier, path, args.top_k) for path in args.images]
    print("\n".join(lines))
    return 1 if any(": error: " in line for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
