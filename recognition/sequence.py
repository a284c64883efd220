"""Read a whole number in one pass with the sequence model (a CNN over the line, trained with CTC).

The model gives, every STRIDE columns of the line (`line_recipe`), the odds of each digit, of
"a mark that is no digit" and of CTC's blank ("no new mark here"). The best path keeps each frame's likeliest class, merges
repeats and drops blanks; each digit it finds keeps the frames where it was read, which tells
where in the drawing it lies.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recognition.classifier import NOT_A_DIGIT
from recognition.line_recipe import LINE_HEIGHT, STRIDE, WIDTH_STEP, Line, to_line

BLANK = NOT_A_DIGIT + 1  # after the ten digits and "a mark that is no digit": no new mark in this frame
NOT_A_DIGIT_MARK = "?"  # stands in a number for a mark that is no digit


@dataclass(frozen=True)
class Spotted:
    """One digit the sequence model found: its frames and its odds there."""

    digit: int  # 0-9, or NOT_A_DIGIT
    first: int  # first frame where it is the best class
    last: int  # last such frame
    confidence: float  # its highest probability over those frames
    probabilities: np.ndarray  # the odds of the ten digits and NOT_A_DIGIT in that frame, blank left out

    @property
    def text(self) -> str:
        return label_text([self.digit])

    def columns(self) -> tuple[float, float]:
        """The line columns its frames cover."""
        return self.first * STRIDE, (self.last + 1) * STRIDE


def log_softmax(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def spot(logits: np.ndarray) -> list[Spotted]:
    """The best path through frames x classes logits, as the digits it reads, left to right: each
    run of frames whose likeliest class is the same mark is one digit, kept with its likeliest frame's odds."""
    probs = np.exp(log_softmax(logits))
    best = probs.argmax(axis=-1)
    starts = np.flatnonzero(np.diff(best, prepend=-1))  # where each run of one class begins
    found = []
    for first, stop in zip(starts, [*starts[1:], len(best)]):
        cls = int(best[first])
        if cls == BLANK:
            continue
        frame = first + int(np.argmax(probs[first:stop, cls]))
        digits = probs[frame, :BLANK] / probs[frame, :BLANK].sum()
        found.append(Spotted(cls, int(first), int(stop - 1), float(probs[frame, cls]), digits))
    return found


def best_path(logits: np.ndarray) -> str:
    """The number the best path reads, NOT_A_DIGIT_MARK for a mark that is no digit."""
    return label_text([s.digit for s in spot(logits)])


def label_text(labels) -> str:
    """Class numbers as the number's text."""
    return "".join(NOT_A_DIGIT_MARK if int(c) == NOT_A_DIGIT else str(int(c)) for c in labels)


def text_labels(text: str) -> list[int]:
    """A number's text as class numbers."""
    return [NOT_A_DIGIT if c == NOT_A_DIGIT_MARK else int(c) for c in text]


class SequenceModel:
    """Runs the LiteRT sequence model on lines of any width (one per process, locked).

    An interpreter's input is sized once per line width; resizing costs about as much as a run,
    so an interpreter is kept for each of the last few widths, as long as they add up to at most
    CACHED_COLUMNS (an interpreter's memory grows with its width: about 7 MB at the widest line).
    """

    CACHED_COLUMNS = 1024

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"model file not found: {self.path}")
        self._model = self.path.read_bytes()
        self._interpreters: OrderedDict[int, tuple] = OrderedDict()
        self._lock = threading.Lock()
        with self._lock:
            self._sized(4 * WIDTH_STEP)  # loads the model now, so a broken file fails at start, not on a request

    def _sized(self, width: int) -> tuple:
        """(interpreter, input index, output index) for lines `width` columns wide; call holding the lock."""
        if width in self._interpreters:
            self._interpreters.move_to_end(width)
            return self._interpreters[width]
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_content=self._model, num_threads=1)
        index = interpreter.get_input_details()[0]["index"]
        interpreter.resize_tensor_input(index, [1, LINE_HEIGHT, width, 1])
        interpreter.allocate_tensors()
        self._interpreters[width] = (interpreter, index, interpreter.get_output_details()[0]["index"])
        while len(self._interpreters) > 1 and sum(self._interpreters) > self.CACHED_COLUMNS:
            self._interpreters.popitem(last=False)
        return self._interpreters[width]

    def logits(self, line: Line) -> np.ndarray:
        """frames x classes logits for a line."""
        with self._lock:
            interpreter, index, output = self._sized(line.image.shape[1])
            interpreter.set_tensor(index, line.image[None, :, :, None])
            interpreter.invoke()
            return interpreter.get_tensor(output)[0].copy()

    def read(self, ink: np.ndarray) -> Reading:
        """What the model reads in an ink map."""
        line = to_line(ink)
        logits = self.logits(line)
        return Reading(line, logits, spot(logits))


@dataclass(frozen=True)
class Reading:
    """The sequence model's reading of a drawing: its input line, its frames' logits and the marks it spots."""

    line: Line
    logits: np.ndarray
    spotted: list[Spotted]

    @property
    def text(self) -> str:
        return label_text([s.digit for s in self.spotted])

    def log_likelihood(self, text: str) -> float:
        """log P(text | drawing) under the model: CTC's forward algorithm over every path that reads `text`."""
        return ctc_log_likelihood(self.logits, text_labels(text))


def ctc_log_likelihood(logits: np.ndarray, labels: list[int]) -> float:
    """CTC's forward algorithm in log space: the log-probability of `labels` summed over all alignments."""
    logp = log_softmax(logits)
    extended = np.full(2 * len(labels) + 1, BLANK)
    extended[1::2] = labels
    n = len(extended)
    skip = np.zeros(n, bool)  # a label may follow the label two places back, over a blank, unless they repeat
    skip[3::2] = extended[3::2] != extended[1:-2:2]
    alpha = np.full(n, -np.inf)
    alpha[0] = logp[0, BLANK]
    if n > 1:
        alpha[1] = logp[0, extended[1]]
    for frame in logp[1:]:
        stay_or_step = np.logaddexp(alpha, np.concatenate([[-np.inf], alpha[:-1]]))
        jump = np.full(n, -np.inf)
        jump[2:] = np.where(skip[2:], alpha[:-2], -np.inf)
        alpha = np.logaddexp(stay_or_step, jump) + frame[extended]
    return float(np.logaddexp(alpha[-1], alpha[-2]) if n > 1 else alpha[-1])
