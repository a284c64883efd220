"""Predict digits in image files from the command line, through the server's preprocessing.

    python -m webapp.predict IMAGE [IMAGE ...] [--top-k 3] [--model saved_model/cnn.tflite]
    python -m webapp.predict --number IMAGE [IMAGE ...]   # each image holds a whole number
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from recognition import DEFAULT_MODEL, DEFAULT_SEQUENCE_MODEL, preprocess, read_ink
from recognition.classifier import Classifier
from recognition.errors import InputError
from recognition.number import read_number
from recognition.sequence import SequenceModel

MAX_FILE_BYTES = 20 * 1024 * 1024


def read_file(path: Path) -> bytes:
    """A file's bytes, refusing files too large to be an image worth reading."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputError(f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    return path.read_bytes()


def predict_file(classifier: Classifier, path: Path, top_k: int) -> str:
    """One line for one file: its top predictions, or why it could not be read."""
    try:
        answer = classifier.answer(preprocess(read_file(path)), top_k)
    except (InputError, OSError) as exc:
        return f"{path}: error: {exc}"
    shown = "  ".join(f"{p.digit} ({p.confidence:.1%})" for p in answer.predictions)
    if answer.not_a_digit:
        return f"{path}: not a digit (closest: {shown})"
    return f"{path}: {shown}{'  (not sure)' if answer.uncertain else ''}"


def number_file(classifier: Classifier, sequence: SequenceModel | None, path: Path) -> str:
    """One line for one file holding a number: the number, then each digit with its confidence."""
    try:
        reading = read_number(classifier, read_ink(read_file(path)), 1, sequence)
    except (InputError, OSError) as exc:
        return f"{path}: error: {exc}"
    shown = "  ".join(f"{d.text} ({d.answer.predictions[0].confidence:.1%})" for d in reading.digits)
    return f"{path}: {reading.number}  [{shown}]{'  (not sure)' if reading.uncertain else ''}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Recognise handwritten digits in image files.")
    parser.add_argument("images", nargs="+", type=Path, help="PNG, JPEG, WebP, GIF or BMP files")
    parser.add_argument("--number", action="store_true", help="each image holds a whole number of 1 to 20 digits")
    parser.add_argument("--top-k", type=int, default=3, choices=range(1, 11), metavar="1..10")
    parser.add_argument("--model", type=Path, default=os.environ.get("DIGITS_MODEL", DEFAULT_MODEL),
                        help="a .tflite or .keras model file (default: $DIGITS_MODEL or the shipped model)")
    parser.add_argument("--sequence-model", default=os.environ.get("DIGITS_SEQUENCE_MODEL", str(DEFAULT_SEQUENCE_MODEL)),
                        help="the .tflite model that reads whole numbers ('' reads them by segmentation alone)")
    args = parser.parse_args(argv)
    try:
        classifier = Classifier(args.model)
        sequence = SequenceModel(args.sequence_model) if args.number and args.sequence_model else None
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.number:
        lines = [number_file(classifier, sequence, path) for path in args.images]
    else:
        lines = [predict_file(classifier, path, args.top_k) for path in args.images]
    print("\n".join(lines))
    return 1 if any(": error: " in line for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
