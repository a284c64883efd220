"""Digits in handwriting fonts this project never trained on: a stand-in for writers it never saw.

    python -m model_training.font_digits [--per-digit 20] [--model saved_model/cnn.tflite] [--grid FILE]

The faces come from Debian packages (`FONT_PACKAGES`, each the hand of another person or
foundry: a French school cursive, felt-tip, brush and marker scripts, informal print). Nothing
rendered from them is used for training, model selection or calibration: they only measure.
Each digit is drawn large, then slanted, rotated and stretched a little at random, placed at a
random size and place on a canvas of a size people draw on, in one of the three looks a browser
exports, encoded as PNG and read through the server's own path (decode, ink map, MNIST recipe,
model). Printed: for each package and each digit, the share read right and not flagged "not a
digit", the share flagged, and the commonest confusions. `--grid` saves the model's view of one
sample of every digit in every face, so a reader can check each still reads as its label.
"""

from __future__ import annotations

import argparse
import functools
import os
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from model_training.canvas import LOOKS, to_png
from model_training.numbers import with_look
from recognition import preprocess
from recognition.classifier import Classifier
from recognition.mnist_recipe import bounding_box, stroke_width

FONT_DIR = Path("/usr/share/fonts")
FONT_PACKAGES = {  # Debian package: its handwriting faces
    "fonts-dkg-handwriting": ("dkg.ttf", "dkgBd.ttf", "dkgIt.ttf", "dkgBI.ttf"),
    "fonts-breip": ("Breip.ttf",),
    "fonts-bwht": tuple(f"BecauseWe{w}-Regular.otf" for w in ("Build", "Connect", "Create", "Learn", "Mentor", "Organize")),
    "fonts-comic-neue": tuple(f"ComicNeue-{s}.otf" for s in ("Regular", "Light", "Bold", "Italic", "LightItalic", "BoldItalic")),
    "fonts-ecolier-court": ("Ecolier-court.ttf",),
    "fonts-humor-sans": ("Humor-Sans.ttf",),
    "fonts-rufscript": ("Rufscript010.ttf",),
    "fonts-tomsontalks": ("TomsonTalks.ttf",),
    "fonts-sjfonts": ("Delphine.ttf", "SteveHand.ttf"),
    "fonts-klee": ("KleeOne-Regular.ttf", "KleeOne-SemiBold.ttf"),
    "fonts-kristi": ("Kristi.ttf",),
    "fonts-dancingscript": ("DancingScript-Regular.otf", "DancingScript-Bold.otf"),
    "fonts-kaushanscript": ("KaushanScript-Regular.otf",),
    "fonts-yusei-magic": ("YuseiMagic-Regular.ttf",),
}
GLYPH_SIZE = 160  # font size the glyphs are drawn at before they are placed on a canvas
MIN_PEN = 0.04  # strokes thinner than this share of the digit's height are drawn this wide, as by a fine pen


def faces(font_dir: Path = FONT_DIR) -> dict[str, list[Path]]:
    """The installed faces of each package, by package; raises FileNotFoundError naming what is missing."""
    found = {path.name: path for path in font_dir.rglob("*") if path.suffix in (".ttf", ".otf")}
    missing = sorted(package for package, names in FONT_PACKAGES.items() if not all(n in found for n in names))
    if missing:
        raise FileNotFoundError(f"handwriting fonts missing: apt-get install -y {' '.join(missing)}")
    return {package: [found[n] for n in names] for package, names in FONT_PACKAGES.items()}


@functools.lru_cache(maxsize=None)
def glyph(face: Path, digit: int) -> np.ndarray:
    """The digit as `face` draws it: an ink map (uint8, 255 full ink) cropped to its ink; drawn once
    per face and digit (read-only), since every sample of it starts from the same glyph."""
    font = ImageFont.truetype(str(face), GLYPH_SIZE)
    image = Image.new("L", (3 * GLYPH_SIZE, 3 * GLYPH_SIZE), 0)
    ImageDraw.Draw(image).text((1.5 * GLYPH_SIZE, 1.5 * GLYPH_SIZE), str(digit), fill=255, font=font, anchor="mm")
    ink = np.asarray(image)
    top, bottom, left, right = bounding_box(ink > 0)
    ink = ink[top:bottom, left:right]
    thicker = round(MIN_PEN * ink.shape[0] - stroke_width(ink > 127))  # a hairline face, as a pen would draw it
    if thicker >= 1:
        ink = cv2.copyMakeBorder(ink, thicker, thicker, thicker, thicker, cv2.BORDER_CONSTANT, value=0)
        ink = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (thicker + 1, thicker + 1)))
    ink = np.ascontiguousarray(ink)
    ink.setflags(write=False)
    return ink


def hand(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A writer's variation on a glyph: slanted, rotated and stretched a little, at random."""
    h, w = ink.shape
    pad = max(h, w) // 2
    ink = cv2.copyMakeBorder(ink, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    centre = (ink.shape[1] / 2, ink.shape[0] / 2)
    turn = np.vstack([cv2.getRotationMatrix2D(centre, float(rng.uniform(-12, 12)), 1.0), [0, 0, 1]])
    # Stretched across and slanted (mostly forward: the top leans right), about the centre.
    slant = np.array([[float(rng.uniform(0.8, 1.2)), float(rng.uniform(-0.3, 0.1)), 0], [0, 1, 0], [0, 0, 1]])
    slant = np.array([[1, 0, centre[0]], [0, 1, centre[1]], [0, 0, 1]]) @ slant @ np.array(
        [[1, 0, -centre[0]], [0, 1, -centre[1]], [0, 0, 1]])
    warped = cv2.warpAffine(ink, (turn @ slant)[:2], (ink.shape[1], ink.shape[0]), flags=cv2.INTER_LINEAR)
    top, bottom, left, right = bounding_box(warped > 0)
    return warped[top:bottom, left:right]


def written(face: Path, digit: int, rng: np.random.Generator) -> bytes:
    """The digit in `face`, varied by `hand`, on a canvas of random size, place and look, as PNG bytes."""
    ink = hand(glyph(face, digit), rng)
    side = int(rng.choice([280, 400, 560, 840]))
    height = side * rng.uniform(0.3, 0.8)
    scale = min(height / ink.shape[0], 0.9 * side / ink.shape[1])
    ink = cv2.resize(ink, (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale))),
                     interpolation=cv2.INTER_AREA)
    canvas = np.zeros((side, side), np.uint8)
    top, left = int(rng.integers(0, side - ink.shape[0] + 1)), int(rng.integers(0, side - ink.shape[1] + 1))
    canvas[top:top + ink.shape[0], left:left + ink.shape[1]] = ink
    return to_png(with_look(canvas, str(rng.choice(LOOKS))))


def reading(classifier: Classifier, image: np.ndarray) -> str:
    """The served answer to a 28x28 digit as one character: the digit, or "?" when it is flagged not a digit."""
    answer = classifier.answer(image, 1)
    return "?" if answer.not_a_digit else str(answer.predictions[0].digit)


def evaluate(classifier: Classifier, by_package: dict[str, list[Path]], per_digit: int, seed: int = 0) -> dict:
    """Per package and per digit: samples, read right (and not flagged), flagged; the confusions."""
    rng = np.random.default_rng(seed)
    tally: dict[str, Counter] = {}
    confusions: Counter = Counter()
    for package, paths in by_package.items():
        for face in paths:
            for digit in range(10):
                for _ in range(per_digit):
                    read = reading(classifier, preprocess(written(face, digit, rng)))
                    for key in (package, f"digit {digit}", "all"):
                        tally.setdefault(key, Counter()).update(count=1, right=read == str(digit), flagged=read == "?")
                    if read != str(digit):
                        confusions[f"{digit}->{read} ({face.stem})"] += 1
    rates = {key: {"count": c["count"], "right": c["right"] / c["count"], "flagged": c["flagged"] / c["count"]}
             for key, c in tally.items()}
    return {"rates": rates, "confusions": confusions.most_common(15)}


def plot_faces(classifier: Classifier, by_package: dict[str, list[Path]], path: Path, seed: int = 1) -> None:
    """One sample of every digit in every face, as the model sees it, with its answer."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(seed)
    rows = [face for paths in by_package.values() for face in paths]
    fig, axes = plt.subplots(len(rows), 10, figsize=(9, len(rows) * 0.95), squeeze=False)
    for row, face in enumerate(rows):
        for digit, ax in enumerate(axes[row]):
            image = preprocess(written(face, digit, rng))
            read = reading(classifier, image)
            ax.imshow(image, cmap="gray_r")
            ax.set_title(read, fontsize=7, color="black" if read == str(digit) else "red", pad=1)
            ax.axis("off")
        axes[row, 0].text(-4, 14, face.stem, fontsize=8, ha="right", va="center")
    fig.suptitle("Handwriting fonts as the model sees them (above each: its answer; red: wrong)", fontsize=9)
    fig.tight_layout(rect=(0.2, 0, 1, 0.99))
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Read digits in handwriting fonts the model never saw.")
    parser.add_argument("--per-digit", type=int, default=20, help="samples of each digit in each face")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default=os.environ.get("DIGITS_MODEL", "saved_model/cnn.tflite"))
    parser.add_argument("--grid", type=Path, default=None, help="save one sample of every digit in every face here")
    args = parser.parse_args(argv)
    try:
        by_package = faces()
    except FileNotFoundError as exc:
        raise SystemExit(f"error: {exc}") from None
    classifier = Classifier(args.model)
    found = evaluate(classifier, by_package, args.per_digit, args.seed)
    count = sum(len(paths) for paths in by_package.values())
    print(f"{count} handwriting faces from {len(by_package)} packages, {args.per_digit} samples of each digit, "
          f"model {classifier.name}")
    rates = found["rates"]
    for key in [*by_package, *(f"digit {d}" for d in range(10)), "all"]:
        rate = rates[key]
        print(f"{key:>22}: {rate['right']:.1%} right, {rate['flagged']:.1%} flagged not a digit ({rate['count']})")
    print("commonest confusions:", ", ".join(f"{k} x{n}" for k, n in found["confusions"]))
    if args.grid:
        plot_faces(classifier, by_package, args.grid)
        print(f"saved {args.grid}")


if __name__ == "__main__":
    main()
