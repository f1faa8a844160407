"""The trained entity model: load it from the package (offline), predict scored spans, pick the spans
to keep.

The model is a spaCy pipeline (tok2vec + SpanCategorizer, trained on Chia by ``extractor.train``) kept
in ``extractor/models/<name>/`` with a ``provenance.json`` that records its training data, split,
config, dev-chosen threshold and scores.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy
import spacy
from spacy.attrs import IDX, IS_SPACE, LENGTH, LOWER
from spacy.language import Language
from spacy.pipeline import Tok2Vec
from spacy.tokens import Doc
from spacy.util import minibatch
from thinc.api import get_current_ops
from thinc.types import Ragged

from .components import doc_text  # (importing components registers the model tokenizer)
from .errors import ModelError
from .layout import starts_its_line
from .predict_fast import fast_predict
from .spancat_fast import fast_spancat_scores, spancat_layout

DEFAULT_MODEL = "chia_spancat"
SPANS_KEY = "sc"

#: a scored span: (start, end, type, score), offsets into the text given
ScoredSpan = tuple[int, int, str, float]
#: the longest stretch given to the model at once (a criterion line is rarely above 1,000 characters)
MAX_PIECE = 2000

#: tokens the SpanCategorizer scores at once: its working arrays hold every 1-10-token candidate
#: (about 60 kB per token), so a batch of long lines would add 100 MB to the peak memory of a worker;
#: each candidate's score does not depend on the others in its batch
MAX_SPANCAT_TOKENS = 512

_LINE = re.compile(r"[^\r\n]+")
#: a list item's marker at the start of a line ("  -  ", "* ", "12. ", "(b) "): the model reads the
#: item from its first word, as Chia's training lines (93% without a marker) start
_PIECE_MARKER = re.compile(r"[ \t]*(?:[-*•·▪◦‣●○■□►–—]+|\(?\d{1,2}[.)]|\(?[a-zA-Z][.)])[ \t]+(?=\S)")
_LETTER = re.compile(r"[^\W\d_]")


def pieces_of(text: str, limit: int = MAX_PIECE) -> Iterator[tuple[int, int]]:
    """(start, end) of the lines of ``text`` that hold a letter, longer lines cut at a space."""
    for m in _LINE.finditer(text):
        start, end = m.span()
        while start < end:
            stop = end
            if end - start > limit:
                cut = text.rfind(" ", start + limit // 2, start + limit)
                stop = cut if cut > start else start + limit
            if _LETTER.search(text, start, stop):
                yield start, stop
            start = stop


_BULLET = re.compile(r"[ \t]*(?:[-*•·▪◦]|\(?\d{1,3}[.)]|\(?[a-z][.)]\s)")
_TERMINAL = frozenset(".;:!?")
_FIRST_WORD = re.compile(r"\S+")
#: texts whose longest line is longer than this were not wrapped at a fixed width
_MAX_WRAP_WIDTH = 100
_FULL_LINES = 3


def soft_wrapped(text: str, pieces: list[tuple[int, int]], limit: int = MAX_PIECE) -> Iterator[list[tuple[int, int]]]:
    """The pieces of ``text``, consecutive ones grouped where a line was hard-wrapped mid-sentence
    (the registry's legacy XML wraps criteria at about 70 characters: "myocardial\\r\\n     infarction").

    A text is wrapped at a fixed width when its longest line is at most ``_MAX_WRAP_WIDTH`` and at
    least ``_FULL_LINES`` lines come within 10 characters of it; a break
    in it is a soft wrap when only whitespace and one line break lie between the pieces, the next
    line's first word would not have fitted on the line within that width (greedy wrapping broke
    there), the line ends without a sentence mark, and the next one goes on in lower case without a
    list bullet. A group never grows past ``limit`` characters."""
    lines = [len(line.rstrip()) for line in text.splitlines()]
    width = max(lines, default=0)
    # a wrapped block has several lines filled to about its width; a list of short criteria has not
    if width > _MAX_WRAP_WIDTH or sum(n >= width - 10 for n in lines) < _FULL_LINES:
        yield from ([piece] for piece in pieces)
        return
    group: list[tuple[int, int]] = []
    for a, b in pieces:
        if group:
            pa, pb = group[-1]
            gap = text[pb:a]
            line_start = max(text.rfind("\n", 0, pb), text.rfind("\r", 0, pb)) + 1
            line = text[line_start:pb].rstrip()
            word = _FIRST_WORD.match(text, a)
            soft = (
                gap.count("\n") == 1
                and not gap.strip()
                and word is not None
                and len(line) + 1 + len(word.group()) > width - 3
                and line[-1:] not in _TERMINAL
                and text[a : a + 1].islower()
                and not _BULLET.match(text, a)
                and b - group[0][0] <= limit
            )
            if not soft:
                yield group
                group = []
        group.append((a, b))
    if group:
        yield group


def joined_at(
    pieces: list[tuple[int, int]], soft_wraps: list[tuple[int, int]], limit: int = MAX_PIECE
) -> Iterator[list[tuple[int, int]]]:
    """The pieces, consecutive ones grouped where the line break between them lies in one of the
    ``soft_wraps`` (sorted (start, end) stretches of whitespace); a group never grows past ``limit``
    characters."""
    starts = [s for s, _ in soft_wraps]

    def soft(end: int, start: int) -> bool:
        k = bisect.bisect_right(starts, end) - 1
        return k >= 0 and start <= soft_wraps[k][1]

    group: list[tuple[int, int]] = []
    for a, b in pieces:
        if group and not (soft(group[-1][1], a) and b - group[0][0] <= limit):
            yield group
            group = []
        group.append((a, b))
    if group:
        yield group


def cut_at(text: str, groups: Iterable[list[tuple[int, int]]], starts: list[int]) -> Iterator[list[tuple[int, int]]]:
    """The groups of pieces, each cut before every offset of ``starts`` inside it or at the start of
    one of its pieces (the piece before a cut ends at its last non-space character)."""
    for group in groups:
        out: list[tuple[int, int]] = []
        for a, b in group:
            lo, hi = bisect.bisect_left(starts, a), bisect.bisect_left(starts, b)
            for c in starts[lo:hi]:
                end = c
                while end > a and text[end - 1].isspace():
                    end -= 1
                if end > a:
                    out.append((a, end))
                if out:
                    yield out
                out = []
                a = c
            out.append((a, b))
        if out:
            yield out


def model_path(name_or_path: str | Path = DEFAULT_MODEL) -> Path:
    """A shipped model's directory (by name) or the directory given."""
    candidate = Path(name_or_path)
    if candidate.is_dir():
        return candidate
    shipped = Path(str(resources.files("extractor") / "models" / str(name_or_path)))
    if shipped.is_dir():
        return shipped
    raise ModelError(f"no entity model {str(name_or_path)!r}: not a directory and not shipped in extractor/models")


def available(name: str = DEFAULT_MODEL) -> bool:
    try:
        return (model_path(name) / "config.cfg").exists()
    except ModelError:
        return False


def provenance(name_or_path: str | Path = DEFAULT_MODEL) -> dict[str, Any]:
    path = model_path(name_or_path) / "provenance.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: model provenance cannot be read ({exc})") from exc
    return data


def _token_groups(docs: list[Doc], limit: int) -> Iterator[list[Doc]]:
    """Consecutive docs of at most ``limit`` tokens together (a longer doc alone)."""
    group: list[Doc] = []
    size = 0
    for doc in docs:
        if group and size + len(doc) > limit:
            yield group
            group, size = [], 0
        group.append(doc)
        size += len(doc)
    if group:
        yield group


# Tokens a Chia mention (nearly) never starts or ends on: of 19,155 main-type spans of the train
# split, at most one starts on one of BAD_START or ends on one of BAD_END.
_BAD_START = (",", ";", ":", ".", ")", "]", "and", "or", "/", "-", "[", "than", "an")
_BAD_END = ("and", "or", "with", "in", "by", "as", "the", "[", "is", "are", "which", "that", "if", "an", "/")


def _ngram_sizes(suggester: dict[str, Any]) -> list[int]:
    """The n-gram sizes of a spaCy n-gram suggester config ([] for any other suggester)."""
    if suggester.get("@misc") == "spacy.ngram_suggester.v1":
        return [int(n) for n in suggester.get("sizes", [])]
    if suggester.get("@misc") == "spacy.ngram_range_suggester.v1":
        return list(range(int(suggester["min_size"]), int(suggester["max_size"]) + 1))
    return []


class PrunedNgramSuggester:
    """spaCy's n-gram suggester without the candidates no mention has the edges of: those starting
    on a comma, "and", "or", ... or ending on "and", "with", "the", ... or on whitespace. A candidate's
    score does not depend on the others, so the spans kept score as before; on the Chia dev split the
    model alone scores the same (0.616 / 0.714) and reads about a quarter faster."""

    def __init__(self, vocab: Any, sizes: list[int]) -> None:
        if any(size < 1 for size in sizes):
            raise ModelError(f"n-gram sizes must be at least 1, not {sorted(sizes)}")
        self.sizes = sorted(sizes)
        self._size_of = numpy.array(self.sizes, dtype="int32")
        self.bad_start = numpy.array(sorted(vocab.strings.add(w) for w in _BAD_START), dtype="uint64")
        self.bad_end = numpy.array(sorted(vocab.strings.add(w) for w in _BAD_END), dtype="uint64")

    def __call__(self, docs: Iterable[Doc], *, ops: Any = None) -> Ragged:
        """The candidates of every doc, as token (start, end) rows: doc by doc, size by size (in
        ascending order), start by start; computed over the tokens of all the docs at once."""
        ops = ops or get_current_ops()
        docs = list(docs)
        counts = numpy.fromiter(map(len, docs), dtype="int64", count=len(docs))
        total = int(counts.sum())
        lengths = numpy.zeros(len(docs), dtype="int64")
        if total and self.sizes:
            attrs = numpy.concatenate([doc.to_array([LOWER, IS_SPACE]) for doc in docs if len(doc)]).reshape(total, 2)
            space = attrs[:, 1].astype(bool)
            ok_start = ~(numpy.isin(attrs[:, 0], self.bad_start) | space)
            ok_end = ~(numpy.isin(attrs[:, 0], self.bad_end) | space)
            # per token: its doc and the tokens from it to its doc's end
            doc_ends = numpy.cumsum(counts)
            owner = numpy.repeat(numpy.arange(len(docs)), counts)
            left = numpy.repeat(doc_ends, counts) - numpy.arange(total)
            # keep[k, i]: a candidate of sizes[k] starts on token i
            keep = numpy.zeros((len(self.sizes), total), dtype=bool)
            for k, size in enumerate(self.sizes):
                fits = total - size + 1  # a token further on starts no candidate of this size
                if fits > 0:
                    numpy.logical_and(ok_start[:fits], ok_end[size - 1 :], out=keep[k, :fits])
                    keep[k, :fits] &= left[:fits] >= size
            which, first = numpy.nonzero(keep)  # size by size, start by start
            if len(first):
                # doc by doc, the order within each doc kept
                order = numpy.argsort(owner[first] * len(self.sizes) + which, kind="stable")
                which, first = which[order], first[order]
                lengths = numpy.bincount(owner[first], minlength=len(docs))
                starts = (first - (doc_ends - counts)[owner[first]]).astype("int32")
                ends = starts + self._size_of[which]
                return Ragged(ops.asarray2i(numpy.stack((starts, ends), axis=1)), ops.asarray1i(lengths))
        return Ragged(ops.xp.zeros((0, 0), dtype="i"), ops.asarray1i(lengths))


def _tok2vec_pipe(proc: Tok2Vec, docs: list[Doc], batch_size: int) -> list[Doc]:
    """``list(proc.pipe(docs, batch_size=batch_size))`` for spaCy's own Tok2Vec component, its model
    run by :func:`extractor.predict_fast.fast_predict` (the same vectors, faster)."""
    out: list[Doc] = []
    for batch in minibatch(docs, size=batch_size):
        if any(len(doc) for doc in batch):
            proc.set_annotations(batch, fast_predict(proc.model, batch))
        else:
            proc.set_annotations(batch, proc.predict(batch))
        out += batch
    return out


class EntityModel:
    """Scored entity spans from the trained SpanCategorizer.

    ``threshold`` None takes the one chosen on the dev split at training time.
    """

    def __init__(self, name_or_path: str | Path = DEFAULT_MODEL, threshold: float | None = None) -> None:
        self.path = model_path(name_or_path)
        try:
            self.nlp: Language = spacy.load(self.path)
        except Exception as exc:  # noqa: BLE001  spaCy raises many kinds on a damaged directory
            raise ModelError(f"{self.path}: the entity model cannot be loaded ({exc})") from exc
        if threshold is None:
            shipped = (self.path / "provenance.json").exists()
            threshold = float(provenance(self.path).get("threshold", 0.5)) if shipped else 0.5
        self.threshold = threshold
        spancat = self.nlp.get_pipe("spancat")
        # keep everything the caller may want; ``select`` applies the threshold
        spancat.cfg["threshold"] = min(threshold, 0.05)  # type: ignore[attr-defined]
        self.labels: tuple[str, ...] = tuple(spancat.labels)  # type: ignore[attr-defined]
        sizes = _ngram_sizes(self.nlp.config["components"]["spancat"].get("suggester", {}))
        if sizes:
            spancat.suggester = PrunedNgramSuggester(self.nlp.vocab, sizes)  # type: ignore[attr-defined]
        names = [name for name, _ in self.nlp.pipeline]
        self._spancat = "spancat"
        self._spancat_at = names.index("spancat")
        # the score matrix is read directly for the multi-label SpanCategorizer (every label at or above
        # the threshold); any other set-up goes through spaCy's own span groups
        self._direct = (
            spancat.cfg.get("max_positive") is None  # type: ignore[attr-defined]
            and not getattr(spancat, "add_negative_label", False)
        )
        # the SpanCategorizer's scores per token rather than per candidate where its architecture is
        # the shipped one (None: spancat.predict reads it)
        self._layout = spancat_layout(spancat.model)  # type: ignore[attr-defined]

    def predict_scored(self, text: str) -> list[ScoredSpan]:
        return next(self.pipe_scored([text]))

    def pipe_scored(self, texts: Iterable[str], batch_size: int = 64) -> Iterator[list[ScoredSpan]]:
        if self._direct:
            yield from self._pipe_scored_direct(texts, batch_size)
            return
        for doc in self.nlp.pipe(texts, batch_size=batch_size):
            group = doc.spans.get(SPANS_KEY)
            if group is None:
                yield []
                continue
            scores = group.attrs.get("scores")
            out = []
            for i, span in enumerate(group):
                if "\n" in span.text or "\r" in span.text or not span.text.strip():
                    continue  # a criterion never runs across a line
                out.append(
                    (span.start_char, span.end_char, span.label_, float(scores[i]) if scores is not None else 1.0)
                )
            yield out

    def _pipe_scored_direct(self, texts: Iterable[str], batch_size: int) -> Iterator[list[ScoredSpan]]:
        """``pipe_scored`` from the SpanCategorizer's score matrix, read with numpy.

        spaCy's ``set_annotations`` would build a Span for every (candidate, label) above the floor and
        a SpanGroup per text, only for the spans to be read back here (a sixth of the model's time).
        The same components run on the same batches; spaCy's own tok2vec through
        :func:`extractor.predict_fast.fast_predict` (the same vectors, to the bit); the SpanCategorizer's
        scores come from :func:`extractor.spancat_fast.fast_spancat_scores`, equal to
        ``spancat.predict``'s up to float32 rounding (at most 5.4e-7 apart on the API v2 sample and the
        Chia dev split).
        """
        spancat = self.nlp.get_pipe(self._spancat)
        before = [proc for _name, proc in self.nlp.pipeline[: self._spancat_at]]  # tok2vec
        threshold = float(spancat.cfg["threshold"])  # type: ignore[attr-defined]
        for batch in minibatch(texts, size=batch_size):
            docs = [self.nlp.make_doc(text) for text in batch]
            for proc in before:
                if type(proc) is Tok2Vec:
                    docs = _tok2vec_pipe(proc, docs, batch_size)
                else:
                    docs = (
                        list(proc.pipe(docs, batch_size=batch_size))
                        if hasattr(proc, "pipe")
                        else [proc(d) for d in docs]
                    )
            for group in _token_groups(docs, MAX_SPANCAT_TOKENS):
                yield from self._read_scores(spancat, group, threshold)

    def _read_scores(self, spancat: Any, docs: list[Doc], threshold: float) -> Iterator[list[ScoredSpan]]:
        ops = spancat.model.ops
        indices, scores = fast_spancat_scores(spancat, docs, self._layout)
        scores = ops.to_numpy(scores)
        candidates = ops.to_numpy(indices.dataXd)
        bounds = numpy.concatenate(([0], numpy.cumsum(ops.to_numpy(indices.lengths))))
        # row-major: candidate by candidate, labels in order, as spaCy fills the span group
        rows, cols = numpy.nonzero(scores >= threshold)
        cuts = numpy.searchsorted(rows, bounds)
        for i, doc in enumerate(docs):
            lo, hi = int(cuts[i]), int(cuts[i + 1])
            if lo == hi:
                yield []
                continue
            here, labels = rows[lo:hi], cols[lo:hi]
            tokens = doc.to_array([IDX, LENGTH]).astype("int64")
            first, last = candidates[here, 0], candidates[here, 1] - 1
            starts = tokens[first, 0].tolist()
            ends = (tokens[last, 0] + tokens[last, 1]).tolist()
            values = scores[here, labels].tolist()
            text = doc_text(doc)  # the text given to make_doc, kept by the model's tokenizer
            out = []
            for start, end, label, score in zip(starts, ends, labels.tolist(), values, strict=True):
                span = text[start:end]
                if "\n" in span or "\r" in span or not span.strip():
                    continue  # a criterion never runs across a line
                out.append((start, end, self.labels[label], score))
            yield out

    def predict(self, text: str) -> list[ScoredSpan]:
        return self.select(self.predict_scored(text), self.threshold)

    def predict_scored_long(self, text: str, limit: int = MAX_PIECE) -> list[ScoredSpan]:
        """``predict_scored`` over any text in bounded time: lines, cut at a space past ``limit``
        characters; stretches without a letter (a 200 kB run of "<") are not read at all."""
        return self.predict_scored_many([text], limit)[0]

    def predict_scored_many(
        self,
        texts: list[str],
        limit: int = MAX_PIECE,
        soft_wraps: list[list[tuple[int, int]] | None] | None = None,
        clause_starts: list[list[int] | None] | None = None,
    ) -> list[list[ScoredSpan]]:
        """``predict_scored_long`` for several texts, their pieces read in one batch; lines joined by
        a soft wrap are read as one, their line break as a space. A text's soft wraps are given in
        ``soft_wraps`` (the layout's, as in ``Doc._.soft_wraps``) or, where None, guessed by
        :func:`soft_wrapped`. A piece is cut where ``clause_starts`` start a criterion inside a line
        (``Doc._.clause_starts``), so no span runs from one criterion into the next."""
        owners: list[tuple[int, list[tuple[int, int]]]] = []
        pieces: list[str] = []
        for i, text in enumerate(texts):
            known = soft_wraps[i] if soft_wraps is not None else None
            lines = list(pieces_of(text, limit))
            groups = soft_wrapped(text, lines, limit) if known is None else joined_at(lines, known, limit)
            cuts = clause_starts[i] if clause_starts is not None else None
            # a criterion that starts its line (after its bullet) is already a piece of its own, read
            # from its first word after the marker; one that starts a line only because wrapping broke
            # there is cut from the line it goes on
            wrapped_into = {b for _, b in known or ()}
            cuts = [c for c in cuts or () if c in wrapped_into or not starts_its_line(text, c)]
            for segments in cut_at(text, groups, cuts) if cuts else groups:
                # (its marker changed what the model read of the words after it, its window being 4
                # tokens wide: "  -  Vitamin A level less than 75 IU/ml" found no Measurement)
                a, b = segments[0]
                marker = _PIECE_MARKER.match(text, a, b)
                if marker and marker.end() < b:
                    segments = [(marker.end(), b), *segments[1:]]
                owners.append((i, segments))
                pieces.append(" ".join(text[a:b] for a, b in segments))
        out: list[list[ScoredSpan]] = [[] for _ in texts]
        for (i, segments), spans in zip(owners, self.pipe_scored(pieces), strict=True):
            if len(segments) == 1:
                offset = segments[0][0]
                out[i] += [(s + offset, e + offset, t, score) for s, e, t, score in spans]
                continue
            # back from the joined piece (one space per line break) to the text's offsets
            starts, at = [], 0
            for a, b in segments:
                starts.append(at)
                at += b - a + 1
            for s, e, t, score in spans:
                k = bisect.bisect_right(starts, s) - 1
                j = bisect.bisect_right(starts, e - 1) - 1
                out[i].append((segments[k][0] + s - starts[k], segments[j][0] + e - starts[j], t, score))
        return out

    @staticmethod
    def select(spans: Iterable[ScoredSpan], threshold: float) -> list[ScoredSpan]:
        """Spans scoring at least ``threshold``; of overlapping spans of one type only the best-scored
        is kept (spancat scores "serum creatinine" and "creatinine" separately; one mention is meant)."""
        kept: list[ScoredSpan] = []
        for span in sorted((s for s in spans if s[3] >= threshold), key=lambda s: (-s[3], s[0], -s[1])):
            if any(k[2] == span[2] and span[0] < k[1] and k[0] < span[1] for k in kept):
                continue
            kept.append(span)
        return sorted(kept, key=lambda s: (s[0], -s[1], s[2]))


@lru_cache(maxsize=4)
def shared_model(name_or_path: str = DEFAULT_MODEL, threshold: float | None = None) -> EntityModel:
    """One loaded model per process (the pipeline component and the CLI share it)."""
    return EntityModel(name_or_path, threshold)
