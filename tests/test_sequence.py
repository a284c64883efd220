"""The sequence model that reads a whole number: its input, its decoding, its training data and training."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from model_training import numbers, sequence_data
from recognition import DEFAULT_SEQUENCE_MODEL, read_ink
from recognition.errors import EmptyDrawingError
from recognition.line_recipe import INNER_HEIGHT, LINE_HEIGHT, PAD, STRIDE, WIDTH_STEP, to_line
from recognition.sequence import (BLANK, NOT_A_DIGIT, SequenceModel, best_path, ctc_log_likelihood, label_text, spot,
                                  text_labels)
from tests.support import assert_killed_run_resumes


def test_line_recipe_scales_the_ink_to_the_line_and_maps_columns_back():
    ink = np.zeros((300, 900), np.uint8)
    ink[100:200, 250:650] = 255  # 100 high, 400 wide
    line = to_line(ink)
    assert line.image.shape[0] == LINE_HEIGHT and line.image.shape[1] % WIDTH_STEP == 0
    rows = np.flatnonzero(line.image.max(axis=1) > 0.5)
    cols = np.flatnonzero(line.image.max(axis=0) > 0.5)
    assert len(rows) == INNER_HEIGHT and cols[0] == PAD and len(cols) == 4 * INNER_HEIGHT
    assert line.to_input_x(PAD) == pytest.approx(250)
    assert line.to_input_x(cols[-1] + 1) == pytest.approx(650)
    with pytest.raises(EmptyDrawingError):
        to_line(np.zeros((50, 50), np.uint8))


def test_a_number_written_uphill_is_levelled_so_its_digits_fill_the_line():
    ink = np.zeros((700, 1400), np.uint8)
    for k in range(6):  # six digit-sized rings climbing 0.25 of their spacing each
        cv2.circle(ink, (150 + 200 * k, 550 - 50 * k), 60, 255, 12)
    line = to_line(ink)
    rows = np.flatnonzero(line.image.max(axis=1) > 0.5)
    columns = np.flatnonzero(line.image.max(axis=0) > 0.5)
    first = line.image[:, columns[0]:columns[0] + 10]
    assert len(rows) <= INNER_HEIGHT + 1
    assert np.ptp(np.flatnonzero(first.max(axis=1) > 0.5)) >= 0.8 * INNER_HEIGHT, "each ring fills the line"


def test_a_very_long_line_is_squeezed_to_the_widest_input():
    ink = np.zeros((20, 20000), np.uint8)
    ink[5:15, :] = 255
    line = to_line(ink)
    assert line.image.shape[1] <= 1024 and line.to_input_x(line.image.shape[1] - PAD) == pytest.approx(20000)


def frames(*classes: int) -> np.ndarray:
    """Logits whose best class in each frame is the one given."""
    logits = np.zeros((len(classes), BLANK + 1))
    logits[np.arange(len(classes)), classes] = 5.0
    return logits


def test_best_path_merges_repeats_and_drops_blanks():
    assert best_path(frames(BLANK, 4, 4, BLANK, 2, BLANK)) == "42"
    assert best_path(frames(1, 1, BLANK, 1, 7, 7)) == "117"
    assert best_path(frames(3, BLANK, NOT_A_DIGIT, NOT_A_DIGIT, 5)) == "3?5"
    assert best_path(frames(BLANK, BLANK)) == ""
    found = spot(frames(BLANK, 4, 4, BLANK, 2))
    assert [(s.digit, s.first, s.last) for s in found] == [(4, 1, 2), (2, 4, 4)]
    assert found[0].columns() == (STRIDE, 3 * STRIDE) and 0.9 < found[0].confidence <= 1
    assert found[0].probabilities.shape == (NOT_A_DIGIT + 1,) and found[0].probabilities.sum() == pytest.approx(1)
    assert text_labels("3?5") == [3, NOT_A_DIGIT, 5] and label_text([3, NOT_A_DIGIT, 5]) == "3?5"


@pytest.mark.parametrize("labels", [[3], [1, 1], [4, 2, 2, 7], [NOT_A_DIGIT, 5]])
def test_the_likelihood_of_a_reading_is_ctcs(labels):
    """The forward algorithm gives the probability TensorFlow's CTC loss gives, repeats and blanks included."""
    import tensorflow as tf

    logits = np.random.default_rng(len(labels)).normal(size=(12, BLANK + 1)).astype(np.float32)
    loss = tf.nn.ctc_loss(labels=tf.constant([labels]), logits=tf.constant(logits[None]), label_length=[len(labels)],
                          logit_length=[12], blank_index=BLANK, logits_time_major=False)
    assert ctc_log_likelihood(logits, labels) == pytest.approx(-float(loss.numpy()[0]), abs=1e-4)
    blanks = logits[:, BLANK] - np.log(np.exp(logits).sum(axis=1))
    assert ctc_log_likelihood(logits, []) == pytest.approx(float(blanks.sum()), abs=1e-4), "nothing written: all blanks"


def test_training_numbers_are_lines_of_the_marks_they_name(mnist, monkeypatch):
    (x, y), _ = mnist
    paths = [numbers.pen_paths(d) for d in x[:40]]
    nondigits = sequence_data.nondigit_images(x[:200], y[:200], 10, seed=3)
    assert nondigits.shape == (10, 28, 28) and all(image.max() > 200 for image in nondigits)
    monkeypatch.setattr(sequence_data, "NONDIGIT_SHARE", 0.5)
    marks = [numbers.pen_paths(image) for image in nondigits]
    lines, texts = sequence_data.make_lines(paths, y[:40], marks, 40, np.random.default_rng(3))
    assert len(lines) == len(texts) == 40
    assert {len(t) for t in texts} <= set(range(1, 8)) and len({len(t) for t in texts}) > 3
    assert 8 <= sum("?" in t for t in texts) <= 32 and all(t.count("?") <= 1 for t in texts)
    assert all(line.shape[0] == LINE_HEIGHT and line.dtype == np.uint8 and line.max() > 200 for line in lines)
    longer = [line.shape[1] for line, t in zip(lines, texts) if len(t) >= 5]
    shorter = [line.shape[1] for line, t in zip(lines, texts) if len(t) <= 2]
    assert np.median(longer) > 1.5 * np.median(shorter), "a number's line grows with its marks"
    seen = []
    for x_batch, y_batch, lengths in sequence_data.batches(lines, texts, 8):
        assert x_batch.shape[1:] == (LINE_HEIGHT, x_batch.shape[2], 1) and x_batch.max() <= 1
        seen += [label_text(y_batch[row, :n]) for row, n in enumerate(lengths)]
    assert sorted(seen) == sorted(texts)


def test_a_separator_between_digits_is_no_mark_of_the_number(mnist, monkeypatch):
    """A dash or dot written between spaced digits, as in a phone number, adds ink but no character."""
    (x, y), _ = mnist
    paths = [numbers.pen_paths(d) for d in x[:20]]
    monkeypatch.setattr(sequence_data, "KIND_SHARES", {"spaced": 1.0})
    monkeypatch.setattr(sequence_data, "SEPARATOR_SHARE", 1.0)
    monkeypatch.setattr(sequence_data, "NONDIGIT_SHARE", 0.0)
    lines, texts = sequence_data.make_lines(paths, y[:20], paths, 20, np.random.default_rng(8))
    assert all(t.isdigit() for t in texts)
    longer = [(line, t) for line, t in zip(lines, texts) if len(t) >= 3]
    marks = [cv2.connectedComponents((line > 100).astype(np.uint8))[0] - 1 for line, _ in longer]
    separated = sum(m >= 2 * len(t) - 1 for m, (_, t) in zip(marks, longer))
    assert longer and separated >= 0.8 * len(longer), list(zip(marks, [t for _, t in longer]))


def test_many_digits_are_traced_by_a_pool_to_the_same_paths(mnist, tmp_path):
    """Enough digits go to a pool of workers from a fresh process; their paths are those traced here, and cached."""
    (x, _), _ = mnist
    images = x[:sequence_data.PARALLEL_FROM]
    pooled = sequence_data.traced(images, tmp_path / "paths.pkl")
    here = [numbers.pen_paths(image) for image in images]
    assert len(pooled) == len(here) and all(len(a) == len(b) and all(np.array_equal(p, q) for p, q in zip(a, b))
                                            for a, b in zip(pooled, here))
    assert (tmp_path / "paths.pkl").is_file()


ARGS = ["--epochs", "3", "--numbers", "96", "--val-numbers", "24", "--limit", "200", "--nondigits", "40",
        "--batch-size", "16", "--seed", "5"]


def test_killed_training_resumes_to_the_same_figures(tmp_path):
    """A run killed during its second epoch, resumed with --resume, ends as an uninterrupted run does."""
    assert_killed_run_resumes("model_training.train_sequence", ARGS, tmp_path, "sequence", "checkpoints/state.json",
                              "epoch")
    assert json.loads((tmp_path / "parts" / "sequence_history.json").read_text())["epoch"] == 3


@pytest.fixture(scope="module")
def sequence() -> SequenceModel:
    return SequenceModel(DEFAULT_SEQUENCE_MODEL)


@pytest.mark.parametrize("kind", list(numbers.KINDS))
def test_the_shipped_sequence_model_reads_held_back_numbers(sequence, mnist, kind):
    """Numbers of held-back test digits, read whole by the sequence model alone (a regression floor)."""
    written = numbers.make_numbers(mnist, kind, 30, np.random.default_rng(11))
    read = [sequence.read(read_ink(w.png)).text for w in written]
    right = sum(r == w.text for r, w in zip(read, written))
    print(f"\n{kind}: {right} of {len(written)} read whole by the sequence model")
    assert right >= 24, [(w.text, r) for w, r in zip(written, read) if r != w.text]
