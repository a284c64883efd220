"""Read a whole handwritten number: segmentation, then each digit answered as a single digit.

Flask-free, shared by `/api/number`, `python -m webapp.predict --number` and the evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recognition.classifier import Answer, Classifier
from recognition.guided import agrees, guided_segments
from recognition.marks import MAX_DIGITS, reduce_ink
from recognition.segment import Segment, segment
from recognition.sequence import NOT_A_DIGIT_MARK, SequenceModel, Spotted

SEQUENCE_MARGIN = 2.0  # log-probability by which the sequence model must prefer its reading to overrule segmentation
DIGIT_WEIGHT = 0.1  # the digit model's say in a part the sequence model's reading overruled segmentation for


@dataclass(frozen=True)
class DigitReading:
    """One digit of the number: its box in the input's pixels, the model's answer and its 28x28 input."""

    box: tuple[int, int, int, int]
    answer: Answer
    image: np.ndarray

    @property
    def text(self) -> str:
        """The digit as a character, or NOT_A_DIGIT_MARK when the mark is no digit."""
        return NOT_A_DIGIT_MARK if self.answer.not_a_digit else str(self.answer.predictions[0].digit)


@dataclass(frozen=True)
class NumberReading:
    """The digits of a number, left to right."""

    digits: list[DigitReading]

    @property
    def number(self) -> str:
        """The number as text, one character per digit."""
        return "".join(d.text for d in self.digits)

    @property
    def uncertain(self) -> bool:
        """Whether any digit is uncertain or no digit at all."""
        return any(d.answer.uncertain or d.answer.not_a_digit for d in self.digits)


def read_number(classifier: Classifier, ink: np.ndarray, top_k: int = 3,
                sequence: SequenceModel | None = None) -> NumberReading:
    """The number written in an ink map; raises EmptyDrawingError or TooManyDigitsError.

    Without a sequence model, segmentation by recognition finds the digits (`segment.py`). With
    one, the number is first read whole and cut where that model places its marks (`guided.py`);
    when the digit model reads every part alike, that is the answer. Otherwise segmentation reads
    the number too, and its reading stands unless the sequence model finds it far less likely
    than its own (by more than SEQUENCE_MARGIN in log-probability); then the sequence model's
    parts stand, each answered by both models together (`both`). Where digits touch (the sequence
    model spots more digits than there are separate marks), segmentation would have to cut marks,
    which it reads no better than both models together at twice the time: those parts stand at once.
    """
    if sequence is None:
        return _reading(classifier, segment(ink, classifier.probabilities), top_k)
    seen = sequence.read(ink)
    reduced = reduce_ink(ink)
    guided = guided_segments(reduced, seen.line, seen.spotted, classifier.probabilities) \
        if len(seen.spotted) <= MAX_DIGITS else None
    if guided is not None and agrees(guided, seen.spotted, classifier.calibration.reject_above):
        return _reading(classifier, guided, top_k)
    if guided is not None and len(seen.spotted) > len(reduced[2]):  # more digits than marks: some touch
        return _reading(classifier, [both(g, s) for g, s in zip(guided, seen.spotted)], top_k)
    read = _reading(classifier, segment(ink, classifier.probabilities, reduced), top_k)
    if guided is None or read.number == seen.text:
        return read
    if seen.log_likelihood(read.number) >= seen.log_likelihood(seen.text) - SEQUENCE_MARGIN:
        return read
    return _reading(classifier, [both(g, s) for g, s in zip(guided, seen.spotted)], top_k)


def both(part: Segment, spotted: Spotted) -> Segment:
    """A part answered by both models: the digit model's odds (to the power DIGIT_WEIGHT) times the sequence model's there."""
    probs = part.probabilities ** DIGIT_WEIGHT * spotted.probabilities[:len(part.probabilities)]
    return Segment(part.box, part.image, probs / probs.sum())


def _reading(classifier: Classifier, segments: list[Segment], top_k: int) -> NumberReading:
    return NumberReading([DigitReading(s.box, classifier.answer_from(s.probabilities, top_k), s.image) for s in segments])
