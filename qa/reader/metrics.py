"""The official SQuAD 2.0 answer metrics (exact match and token F1) and calibration error."""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence

__all__ = ["normalize_answer", "exact_match", "f1_score", "max_over", "expected_calibration_error"]

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCT = set(string.punctuation)


def normalize_answer(s: str) -> str:
    """Lower-case, drop punctuation and articles, squeeze white space (SQuAD's evaluate-v2.0)."""
    s = "".join(ch for ch in s.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", s).split())


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def f1_score(prediction: str, gold: str) -> float:
    """Token F1; an empty prediction scores 1 only against an empty gold (no answer)."""
    p, g = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not p or not g:
        return float(p == g)
    common = sum((Counter(p) & Counter(g)).values())
    if not common:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


def max_over(metric, prediction: str, golds: Sequence[str]) -> float:
    """The best score against any gold answer ([""] for an unanswerable question)."""
    return max(metric(prediction, g) for g in (golds or [""]))


def expected_calibration_error(probabilities: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """Mean gap between stated probability and observed accuracy, over equal-width bins."""
    n = len(probabilities)
    if not n:
        return 0.0
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, p in enumerate(probabilities) if lo <= p < hi or (b == bins - 1 and p == 1.0)]
        if idx:
            conf = sum(probabilities[i] for i in idx) / len(idx)
            acc = sum(bool(correct[i]) for i in idx) / len(idx)
            total += len(idx) / n * abs(conf - acc)
    return total
