"""The generated training data does what it claims: each style adds the strokes it names, and
the non-digits are no digits."""

from __future__ import annotations

import numpy as np
import pytest

from model_training import canvas, nondigits, robustness, styles, synth
from model_training.data import split
from recognition.mnist_recipe import to_mnist

SAMPLES = 25


def made(mnist, family: str, count: int = SAMPLES, seed: int = 0):
    """(original at working resolution, variant) pairs of `family` from training digits."""
    (x, y), _ = mnist
    label, generate = styles.FAMILIES[family]
    rng = np.random.default_rng(seed)
    pool = np.flatnonzero(y[:6000] == label)
    pairs = []
    for i in pool:
        big = generate(x[i], rng)
        if big is not None:
            pairs.append((styles.upscale(x[i]), big))
        if len(pairs) == count:
            return pairs
    raise AssertionError(f"{family}: only {len(pairs)} of {count} made")


def added(original: np.ndarray, variant: np.ndarray) -> np.ndarray:
    return (variant > 127) & (original <= 127)


def test_slash_crosses_the_hole_of_the_zero(mnist):
    for original, variant in made(mnist, "slashed_zero"):
        x, y, w, h = styles.largest_hole(original > 127)
        hole = np.zeros_like(original, bool)
        hole[y + h // 4: y + 3 * h // 4, x + w // 4: x + 3 * w // 4] = True
        assert (added(original, variant) & hole).any()


def test_crossbar_crosses_the_stem_of_the_seven(mnist):
    for original, variant in made(mnist, "crossbar_seven"):
        new = added(original, variant)
        rows = np.flatnonzero(new.any(axis=1))
        row = rows[len(rows) // 2]
        stem = np.flatnonzero(original[row - 3: row + 4].max(axis=0) > 127)
        assert stem.size, "the bar lies across the 7"
        cols = np.flatnonzero(new[row])
        assert cols.min() < stem.min() and cols.max() > stem.max()


def test_flag_reaches_down_left_from_the_top_of_the_one(mnist):
    for original, variant in made(mnist, "flag_one"):
        top = styles.end_point(original > 127, "top")
        top_row, bottom_row, _, _ = styles.box(original > 127)
        flag = added(original, variant)[: (top_row + bottom_row) // 2]
        ys, xs = np.nonzero(flag)
        assert xs.min() < top[0] - 0.1 * (bottom_row - top_row)


def test_tails_and_hooks_add_ink_beside_the_bottom(mnist):
    for family in ("hooked_seven", "curled_nine"):
        for original, variant in made(mnist, family):
            top_row, bottom_row, _, _ = styles.box(original > 127)
            foot = styles.end_point(original > 127, "bottom")
            ys, xs = np.nonzero(added(original, variant))
            low = ys > top_row + 0.7 * (bottom_row - top_row)
            assert np.abs(xs[low] - foot[0]).max() > 0.1 * (bottom_row - top_row), family


def test_straight_nine_keeps_its_loop_over_a_narrow_stem(mnist):
    for _, variant in made(mnist, "straight_nine"):
        mask = variant > 127
        top, bottom, _, _ = styles.box(mask)
        x, y, w, h = styles.largest_hole(mask)
        assert y + h < top + 0.7 * (bottom - top)
        stem = np.flatnonzero(mask[bottom - (bottom - top) // 4: bottom].any(axis=0))
        assert np.ptp(stem) < 3.5 * styles.pen_width(variant)


def test_long_stem_six_has_its_loop_low_and_a_stem_above(mnist):
    for _, variant in made(mnist, "long_stem_six"):
        mask = variant > 127
        top, bottom, _, _ = styles.box(mask)
        x, y, w, h = styles.largest_hole(mask)
        assert y > top + 0.4 * (bottom - top)
        assert mask[top: top + (bottom - top) // 4].any()


def test_open_four_is_open_at_the_top(mnist):
    for _, variant in made(mnist, "open_four"):
        mask = variant > 127
        top, bottom, _, _ = styles.box(mask)
        row = mask[top + (bottom - top) // 6]
        runs = np.flatnonzero(np.diff(row.astype(np.int8)) == 1)
        assert len(runs) == 2, "two separate strokes near the top"
        assert styles.largest_hole(mask, min_area=200) is None


def test_every_family_goes_through_the_serving_recipe(mnist):
    for family in styles.FAMILIES:
        for _, variant in made(mnist, family, count=5):
            digit = to_mnist(variant)
            assert digit.shape == (28, 28) and digit.max() > 200


def test_glyphs_never_include_characters_that_look_like_digits():
    assert not set(nondigits.CHARACTERS) & set("0123456789OoQDIl|iSsZzbgqBGT/\\")


@pytest.mark.parametrize("seed", range(3))
def test_generated_sets_are_seeded_labelled_and_servable(mnist, seed):
    (x, y), _ = mnist
    counts = {"slashed_zero": 3, "canvas": 3, "thick_pen": 3, "not_a_digit": 6}
    first = synth.generate(x[:2000], y[:2000], counts, seed, workers=1)
    again = synth.generate(x[:2000], y[:2000], counts, seed, workers=1)
    assert np.array_equal(first.x, again.x) and np.array_equal(first.y, again.y)
    assert first.x.shape == (15, 28, 28) and first.x.dtype == np.uint8
    assert set(first.y[first.family == "not_a_digit"]) == {synth.NOT_A_DIGIT}
    assert set(first.y[first.family == "slashed_zero"]) == {0}
    assert (first.y[first.family == "canvas"] < 10).all()


def test_no_training_seed_draws_a_sample_of_the_sets_that_judge_the_networks(mnist):
    """Non-digits depend on the seed alone: a training run whose seed equals a judged set's must
    still not train on that set's samples."""
    (x, y), _ = mnist
    (x_train, y_train), (x_val, y_val) = split(x, y, 0.1, 42)
    validation = synth.check_set(x_val, y_val, 100, 42)  # ten of each family
    held_apart = robustness.held_apart_set(scale=0.005)
    judged = {image.tobytes() for image in np.concatenate([validation.x, held_apart.x])}
    assert len(judged) == len(validation) + len(held_apart)
    counts = synth.scaled(synth.CHECK_COUNTS, 100)
    for seed in range(40, 46):
        trained = synth.generate(x_train[:2000], y_train[:2000], counts, seed, workers=1)
        assert not judged & {image.tobytes() for image in trained.x}


def test_an_upright_bar_is_never_kept_as_a_non_digit():
    bar = np.zeros((28, 28), np.uint8)
    bar[4:24, 13:15] = 255
    cross = bar.copy()
    cross[13:15, 4:24] = 255
    assert synth.looks_like_a_one(bar) and not synth.looks_like_a_one(cross)


@pytest.mark.parametrize("label", [0, 6, 8, 9])
def test_canvas_redrawing_keeps_every_loop_of_the_digit(mnist, label):
    (x, y), _ = mnist
    thin_pen = canvas.Style(canvas=280, size=0.8, pen=0.02, look="transparent")
    loops = {i: styles.holes(styles.upscale(x[i]) > 127) for i in np.flatnonzero(y[:6000] == label)}
    looped = [i for i, count in loops.items() if count][:100]
    kept = [styles.holes(canvas.render(canvas.pen_paths(x[i]), thin_pen)[..., 3] > 127) >= loops[i] for i in looped]
    assert len(kept) == 100 and np.mean(kept) >= 0.97
