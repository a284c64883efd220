"""The ensemble: choosing its weights on validation computes what the built model serves."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from model_training import ensemble
from recognition.mnist_recipe import to_model_input
from webapp import PROJECT_ROOT


@pytest.fixture(scope="module")
def member_files(tmp_path_factory):
    """The shipped ensemble's member networks, each saved as its own model file."""
    shipped = keras.models.load_model(PROJECT_ROOT / "saved_model" / "cnn.keras", compile=False)
    folder = tmp_path_factory.mktemp("members")
    paths = []
    for i, network in enumerate(ensemble.members(shipped)):
        path = folder / f"network{i}.keras"
        network.save(path)
        paths.append(path)
    assert len(paths) >= 2, "the shipped model is an ensemble"
    return paths


def test_weightings_share_one_among_all_members():
    for count in (1, 2, 3):
        found = ensemble.weightings(count)
        assert found and all(len(w) == count and abs(sum(w) - 1) < 1e-9 and min(w) > 0 for w in found)
    assert len(ensemble.weightings(2)) == 9  # 0.1/0.9 ... 0.9/0.1
    assert len(set(ensemble.weightings(3))) == len(ensemble.weightings(3)) == 36


def test_numpy_combination_equals_the_built_model(member_files, mnist):
    _, (x_test, _) = mnist
    x = to_model_input(x_test[:300])
    weights = (0.35, 0.65)
    outputs = [keras.models.load_model(p, compile=False).predict(x, verbose=0) for p in member_files[:2]]
    built = ensemble.build(member_files[:2], list(weights)).predict(x, verbose=0)
    combined = ensemble.combine(outputs, weights)
    assert combined.shape == built.shape == (300, 11)
    np.testing.assert_allclose(combined, built, atol=1e-5)
    np.testing.assert_allclose(combined.sum(axis=1), 1.0, atol=1e-4)


def test_errors_count_digits_misread_and_non_digits_missed():
    probs = np.full((4, 11), 0.01)
    probs[0, 3] = probs[1, 5] = probs[2, 10] = probs[3, 7] = 0.9
    labels = np.array([3, 4, 10, 10])
    assert ensemble.errors(probs, labels) == 2  # the 4 read as 5, the non-digit answered 7
    probs[2, 4] = 0.95  # a digit answer above "not a digit" for the non-digit
    assert ensemble.errors(probs, labels) == 3
