"""Read a whole handwritten number: segmentation, then each digit answered as a single digit.

Flask-free, shared by `/api/number`, `python -m webapp.predict --number` and the evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recognition.classifier import Answer, Classifier
from recognition.segment import segment

NOT_A_DIGIT_MARK = "?"  # stands in the number for a mark that is no digit


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


def read_number(classifier: Classifier, ink: np.ndarray, top_k: int = 3) -> NumberReading:
    """The number written in an ink map; raises EmptyDrawingError or TooManyDigitsError."""
    segments = segment(ink, classifier.probabilities)
    return NumberReading([DigitReading(s.box, classifier.answer_from(s.probabilities, top_k), s.image) for s in segments])
