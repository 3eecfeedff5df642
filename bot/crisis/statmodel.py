"""The crisis detector's statistical second opinion: logistic regression over hashed TF-IDF n-grams.

Features, as scikit-learn's TfidfVectorizer would build them but hashed and in numpy only:
word unigrams and bigrams, and character 2-5 grams inside each space-padded word ("char_wb"),
each weighted by sublinear term frequency (1 + log tf) times the training set's smoothed idf, then
the message vector is L2-normalized. Features never seen in training carry no weight and do not
count in the norm (a vocabulary, like TfidfVectorizer's).

Heads: `crisis` (urgent or imminent) learns from every row; each category head learns from the crisis
rows only, so it reads as P(category | crisis).

Training is full-batch Nesterov-accelerated gradient descent from zeros with a step size from a power
iteration that starts from ones: no randomness, so the same rows always give the same model.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.crisis.verdict import CATEGORIES

HASH_BITS = 20
CHAR_NGRAMS = (2, 5)
MODEL_HEADS: tuple[str, ...] = ("crisis", *CATEGORIES)
# L2 strength as scikit-learn's C (inverse, on the summed loss); chosen by 5-fold CV (evaluate --cv).
DEFAULT_C = 32.0
DEFAULT_EPOCHS = 400

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?|[^\w\s]")
_MASK = (1 << HASH_BITS) - 1
_SHIFT = np.uint64(64 - HASH_BITS)
_FNV_PRIME = np.uint64(0x100000001B3)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_SEEDS = {n: np.uint64(0xCBF29CE484222325 ^ (n * 0x1F3D5B79)) for n in range(CHAR_NGRAMS[0], CHAR_NGRAMS[1] + 1)}

Features = tuple[np.ndarray, np.ndarray]  # sorted unique hashed ids (int64), their counts (float64)


def _char_grams(words: Sequence[str]) -> np.ndarray:
    """Hashes of the character n-grams of every " word " (a 0 code separates words; no gram crosses one)."""
    if not words:
        return np.zeros(0, np.uint64)
    joined = "\x00".join(f" {w} " for w in words)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    inside = codes != 0
    out: list[np.ndarray] = []
    low, high = CHAR_NGRAMS
    for n in range(low, high + 1):
        count = codes.size - n + 1
        if count <= 0:
            break
        h = np.full(count, _SEEDS[n], dtype=np.uint64)
        ok = np.ones(count, dtype=bool)
        for k in range(n):
            h = (h ^ codes[k:k + count]) * _FNV_PRIME  # FNV-1a over code points; uint64 wraps
            ok &= inside[k:k + count]
        out.append(h[ok])
    mixed = np.concatenate(out) * _MIX
    return mixed >> _SHIFT


def model_features(normalized: str, extras: Sequence[str] = ()) -> Features:
    """Hashed ids and counts of the word 1-2 grams and char_wb 2-5 grams of a normalized message, plus
    `extras`: what the rule pipeline read (see detector.RuleReading.extras), one feature each."""
    tokens = _WORD.findall(normalized)
    grams = [f"w:{t}" for t in tokens] + [f"b:{a} {b}" for a, b in itertools.pairwise(tokens)]
    grams += [f"x:{e}" for e in extras]
    word_ids = np.array([zlib.crc32(g.encode("utf-8")) & _MASK for g in grams], dtype=np.uint64)
    ids = np.concatenate([word_ids, _char_grams(normalized.split())]).astype(np.int64)
    unique, counts = np.unique(ids, return_counts=True)
    return unique, counts.astype(np.float64)


def _tf(counts: np.ndarray) -> np.ndarray:
    return 1.0 + np.log(counts)


@dataclass(frozen=True)
class LinearModel:
    """Logistic-regression heads over the TF-IDF vector; only features seen in training are stored."""

    index: np.ndarray  # (features,) sorted hashed ids seen in training, int64
    idf: np.ndarray  # (features,) float64
    weights: np.ndarray  # (features, heads) float64
    bias: np.ndarray  # (heads,)
    heads: tuple[str, ...]
    fingerprint: str  # of the training rows, so a stale model is noticed

    def vector(self, features: Features) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the known features and their normalized TF-IDF values."""
        ids, counts = features
        if ids.size == 0 or self.index.size == 0:
            return np.zeros(0, np.int64), np.zeros(0)
        slot = np.minimum(np.searchsorted(self.index, ids), self.index.size - 1)
        known = self.index[slot] == ids
        slot = slot[known]
        values = _tf(counts[known]) * self.idf[slot]
        norm = math.sqrt(float(values @ values))
        return slot, (values / norm if norm else values)

    def logits(self, features: Features) -> np.ndarray:
        slot, values = self.vector(features)
        return values @ self.weights[slot] + self.bias

    def probabilities(self, features: Features) -> dict[str, float]:
        z = self.logits(features)
        return {head: 1.0 / (1.0 + math.exp(-float(v))) for head, v in zip(self.heads, z, strict=True)}

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez_compressed(handle, index=self.index.astype(np.int32), idf=self.idf.astype(np.float32),
                                values=self.weights.astype(np.float16), bias=self.bias.astype(np.float32),
                                heads=np.array(self.heads), fingerprint=np.array(self.fingerprint))

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        with np.load(path, allow_pickle=False) as data:
            return cls(index=data["index"].astype(np.int64), idf=data["idf"].astype(np.float64),
                       weights=data["values"].astype(np.float64), bias=data["bias"].astype(np.float64),
                       heads=tuple(str(h) for h in data["heads"]), fingerprint=str(data["fingerprint"]))


def training_fingerprint(
    texts: Sequence[str], labels: Sequence[Iterable[str]], extras: Sequence[Sequence[str]] | None = None,
) -> str:
    """Of the training rows and the rules' reading of them: a lexicon change alters the features the model
    was fitted on, so it makes the model stale too."""
    digest = hashlib.sha256()
    for i, (text, label) in enumerate(zip(texts, labels, strict=True)):
        digest.update(f"{text}\t{','.join(sorted(label))}\n".encode())
        if extras is not None:
            digest.update(f"{' '.join(extras[i])}\n".encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class _Matrix:
    """A sparse matrix in COO form, row-major: rows, cols, values; `starts` opens each row."""

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    starts: np.ndarray
    shape: tuple[int, int]

    def dot(self, dense: np.ndarray) -> np.ndarray:  # X @ W, W (cols, heads)
        out = np.zeros((self.shape[0], dense.shape[1]))
        if self.values.size:
            products = dense[self.cols] * self.values[:, None]
            nonempty = self.starts < self.values.size
            out[nonempty] = np.add.reduceat(products, self.starts[nonempty], axis=0)
            # reduceat gives the next row's first value to an empty row; empty rows were excluded above
        return out

    def tdot(self, dense: np.ndarray) -> np.ndarray:  # X.T @ R, R (rows, heads)
        weighted = dense[self.rows] * self.values[:, None]
        return np.stack([np.bincount(self.cols, weighted[:, h], minlength=self.shape[1])
                         for h in range(dense.shape[1])], axis=1)


def _design(feature_rows: Sequence[Features]) -> tuple[_Matrix, np.ndarray, np.ndarray]:
    """TF-IDF design matrix over the training vocabulary; returns it, the vocabulary and its idf."""
    all_ids = np.concatenate([f[0] for f in feature_rows]) if feature_rows else np.zeros(0, np.int64)
    index, df = np.unique(all_ids, return_counts=True)
    n = len(feature_rows)
    idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
    rows, cols, values, starts = [], [], [], []
    position = 0
    for r, (ids, counts) in enumerate(feature_rows):
        starts.append(position)
        slot = np.searchsorted(index, ids)
        v = _tf(counts) * idf[slot]
        norm = math.sqrt(float(v @ v))
        rows.append(np.full(ids.size, r, np.int64))
        cols.append(slot)
        values.append(v / norm if norm else v)
        position += ids.size
    matrix = _Matrix(
        rows=np.concatenate(rows) if rows else np.zeros(0, np.int64),
        cols=np.concatenate(cols) if cols else np.zeros(0, np.int64),
        values=np.concatenate(values) if values else np.zeros(0),
        starts=np.array(starts, np.int64), shape=(n, index.size))
    return matrix, index, idf


def _largest_singular_squared(matrix: _Matrix, iterations: int = 30) -> float:
    vector = np.ones((matrix.shape[1], 1)) / math.sqrt(max(matrix.shape[1], 1))
    value = 1.0
    for _ in range(iterations):
        product = matrix.tdot(matrix.dot(vector))
        value = float(np.linalg.norm(product))
        if value == 0.0:
            return 1.0
        vector = product / value
    return value


def train_model(
    normalized_texts: Sequence[str], labels: Sequence[Iterable[str]], epochs: int = DEFAULT_EPOCHS,
    c: float = DEFAULT_C, extras: Sequence[Sequence[str]] | None = None,
) -> LinearModel:
    """Fit every head; `labels` holds, per text, "crisis" for urgent/imminent rows plus that row's categories;
    `extras`, per text, the rule pipeline's features (as `model_features` takes them).

    Per head the loss is scikit-learn's: sum of log losses + ||w||^2 / (2 C); the bias is not penalized."""
    extra_rows = extras if extras is not None else [()] * len(normalized_texts)
    feature_rows = [model_features(t, x) for t, x in zip(normalized_texts, extra_rows, strict=True)]
    matrix, index, idf = _design(feature_rows)
    label_sets = [set(label) for label in labels]
    targets = np.array([[head in label for head in MODEL_HEADS] for label in label_sets], dtype=np.float64)
    mask = np.ones_like(targets)
    mask[:, 1:] = targets[:, :1]  # the category heads learn from crisis rows only
    weights = np.zeros((index.size, len(MODEL_HEADS)))
    bias = np.zeros(len(MODEL_HEADS))
    if index.size and len(feature_rows):
        lipschitz = 0.25 * (_largest_singular_squared(matrix) + len(feature_rows)) + 1.0 / c
        step = 1.0 / lipschitz
        previous_w, previous_b = weights.copy(), bias.copy()
        for epoch in range(1, epochs + 1):
            momentum = (epoch - 1) / (epoch + 2)
            look_w = weights + momentum * (weights - previous_w)
            look_b = bias + momentum * (bias - previous_b)
            z = matrix.dot(look_w) + look_b
            error = (1.0 / (1.0 + np.exp(-z)) - targets) * mask
            previous_w, previous_b = weights, bias
            weights = look_w - step * (matrix.tdot(error) + look_w / c)
            bias = look_b - step * error.sum(axis=0)
    return LinearModel(index=index, idf=idf, weights=weights, bias=bias, heads=MODEL_HEADS,
                       fingerprint=training_fingerprint(normalized_texts, labels, extras))
