"""The ensemble: choosing its weights on validation computes what the built model serves, and a
network trained on MNIST alone counts for the digits only."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from model_training import ensemble
from recognition.mnist_recipe import to_model_input
from webapp import PROJECT_ROOT


@pytest.fixture(scope="module")
def member_files(tmp_path_factory) -> list:
    """The shipped ensemble's member networks, each saved as its own model file."""
    shipped = keras.models.load_model(PROJECT_ROOT / "saved_model" / "cnn.keras", compile=False)
    folder = tmp_path_factory.mktemp("members")
    paths = []
    for network in ensemble.members(shipped):
        path = folder / f"{network.name}.keras"
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


@pytest.mark.parametrize("digits_only", [0, 1], ids=["all-answer-not-a-digit", "last-answers-digits-only"])
def test_numpy_combination_equals_the_built_model(member_files, mnist, digits_only):
    _, (x_test, _) = mnist
    x = to_model_input(x_test[:300])
    paths = member_files[:2]
    rejecting, digit_members = paths[:len(paths) - digits_only], paths[len(paths) - digits_only:]
    weights = (0.35, 0.65)
    outputs = [keras.models.load_model(p, compile=False).predict(x, verbose=0) for p in paths]
    outputs = outputs[:len(rejecting)] + [np.asarray(ensemble.digits_of(out)) for out in outputs[len(rejecting):]]
    built = ensemble.build(rejecting, list(weights), digit_members).predict(x, verbose=0)
    combined = ensemble.combine(outputs, weights)
    assert combined.shape == built.shape == (300, 11)
    np.testing.assert_allclose(combined, built, atol=1e-5)
    np.testing.assert_allclose(combined.sum(axis=1), 1.0, atol=1e-4)
    if digits_only:
        np.testing.assert_allclose(built[:, 10], outputs[0][:, 10], atol=1e-5)  # "not a digit" from the first alone


def test_a_digits_only_member_has_no_say_in_not_a_digit():
    rejecting = np.array([[0.05] * 10 + [0.5], [0.09] * 10 + [0.1]])
    mnist_only = np.array([[0.0] * 9 + [0.9, 0.1], [0.9] + [0.0] * 9 + [0.1]])  # an 11-class head it never trained
    digits = np.asarray(ensemble.digits_of(mnist_only))
    np.testing.assert_allclose(digits.sum(axis=1), 1.0)
    combined = ensemble.combine([rejecting, digits], (0.6, 0.4))
    np.testing.assert_allclose(combined[:, 10], rejecting[:, 10])  # "not a digit" is the rejecting member's alone
    np.testing.assert_allclose(combined[0, 9], 0.6 * 0.05 + 0.4 * 1.0 * 0.5)  # its digits share what is left to digits
    np.testing.assert_allclose(combined.sum(axis=1), 1.0)
    with pytest.raises(ValueError):
        ensemble.combine([digits], (1.0,))


def test_errors_count_digits_misread_and_non_digits_missed():
    probs = np.full((4, 11), 0.01)
    probs[0, 3] = probs[1, 5] = probs[2, 10] = probs[3, 7] = 0.9
    labels = np.array([3, 4, 10, 10])
    assert ensemble.errors(probs, labels) == 2  # the 4 read as 5, the non-digit answered 7
    probs[2, 4] = 0.95  # a digit answer above "not a digit" for the non-digit
    assert ensemble.errors(probs, labels) == 3
