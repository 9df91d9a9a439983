"""Which law a question is about, learned from the train half of the weak Q&A pairs: a
multinomial naive Bayes over question words (the lexical tokens, question words dropped) that
predicts the documents a published answer cites.

A soft prior in fusion, not a filter: it only adds to the articles of the documents it
believes in. It is built by ``python -m api.retrieval.docprior QA.jsonl`` (deterministic: counts only)
into ``doc_prior.json`` next to this file.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated

import numpy as np
import numpy.typing as npt
import typer

from api.retrieval.question import STOPWORDS
from ingest.sources.weakpairs import Pair, train_pairs
from ingest.text.segment import tokenize

Floats = npt.NDArray[np.float64]
PRIOR_FILE = Path(__file__).parent / "data" / "doc_prior.json"
FORMAT = 2
PSEUDO_ARTICLES = 1000


@dataclass(frozen=True)
class DocPrior:
    questions: dict[str, int]  # doc_id → train questions citing it
    words: dict[str, dict[str, int]]  # word → doc_id → occurrences in those questions
    # Additive smoothing; it and keeping every word (``min_questions=1``) were chosen by two-fold
    # cross-validation inside the train half: a cited document at rank 1 for 0.400 of the
    # questions, against 0.386 with alpha 0.5 and words asked at least twice.
    alpha: float = 0.1

    @classmethod
    def learn(
        cls, pairs: Iterable[Pair], tokenize: Callable[[str], list[str]], min_questions: int = 1
    ) -> DocPrior:
        """Counts over ``pairs``; words asked in fewer than ``min_questions`` questions are dropped."""
        questions: Counter[str] = Counter()
        words: dict[str, Counter[str]] = defaultdict(Counter)
        asked: Counter[str] = Counter()
        for pair in pairs:
            tokens = tokenize(pair.question)
            asked.update(set(tokens))
            for doc_id in dict.fromkeys(c.doc_id for c in pair.cited):
                questions[doc_id] += 1
                for token in tokens:
                    words[token][doc_id] += 1
        kept = {w: dict(sorted(c.items())) for w, c in sorted(words.items()) if asked[w] >= min_questions}
        return cls(dict(sorted(questions.items())), kept)

    def posterior(self, tokens: list[str], among: Collection[str] | None = None) -> dict[str, float]:
        """P(document | question words) over the documents of the train pairs, or over those
        of them in ``among`` (sums to 1; empty when none is)."""
        docs, log_prior, log_word, rows = self._table
        keep = np.arange(len(docs)) if among is None else np.flatnonzero([d in among for d in docs])
        if not len(keep):
            return {}
        logp = log_prior[keep] + log_word[[rows[t] for t in tokens if t in rows]][:, keep].sum(axis=0)
        odds = np.exp(logp - logp.max())
        return {docs[i]: float(p) for i, p in zip(keep, odds / odds.sum(), strict=True)}

    def type_rates(self, doc_types: Mapping[str, str], articles: Mapping[str, int]) -> dict[str, float]:
        """Per document type of an index (``doc_types``: doc_id → type; ``articles``: doc_id →
        its articles there), the log of how often train answers cite a document of that type
        per article it holds, relative to the most cited type (0 for it, below 0 for others).

        Published answers cite laws and decrees, seldom the circulars that detail them: on the
        national index 0.18 citations per article of a law, 0.012 per article of a circular.
        ``PSEUDO_ARTICLES`` at the index's overall rate keep a type the answers barely saw
        (a single decision among the codes) near that rate instead of at zero.
        """
        asked: Counter[str] = Counter()
        held: Counter[str] = Counter()
        for doc_id, kind in doc_types.items():
            asked[kind] += self.questions.get(doc_id, 0)
            held[kind] += articles.get(doc_id, 0)
        overall = sum(asked.values()) / max(1, sum(held.values()))
        if not overall:
            return dict.fromkeys(held, 0.0)
        rates = {k: (asked[k] + PSEUDO_ARTICLES * overall) / (held[k] + PSEUDO_ARTICLES) for k in held}
        best = max(rates.values())
        return {k: float(np.log(r / best)) for k, r in rates.items()}

    @cached_property
    def _table(self) -> tuple[list[str], Floats, Floats, dict[str, int]]:
        """Documents, log P(document), log P(word | document) (word × document), word rows."""
        docs = list(self.questions)
        column = {d: i for i, d in enumerate(docs)}
        counts = np.zeros((len(self.words), len(docs)))
        rows = {}
        for row, (word, per_doc) in enumerate(self.words.items()):
            rows[word] = row
            for doc_id, n in per_doc.items():
                counts[row, column[doc_id]] = n
        # max(1, …): with no words at all the table is empty, and log(0) would only warn.
        log_word = np.log(counts + self.alpha) - np.log(
            counts.sum(axis=0) + self.alpha * max(1, len(self.words))
        )
        log_prior = np.log([self.questions[d] for d in docs])
        return docs, log_prior, log_word, rows

    def save(self, path: Path) -> None:
        # Documents by position, and per word a flat [position, count, ...] list: a quarter of
        # the size of repeating every doc_id under every word.
        docs = list(self.questions)
        position = {d: i for i, d in enumerate(docs)}
        words = {
            w: [x for d, n in per_doc.items() for x in (position[d], n)] for w, per_doc in self.words.items()
        }
        data = {
            "format": FORMAT,
            "alpha": self.alpha,
            "documents": [[d, self.questions[d]] for d in docs],
            "words": words,
        }
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        path.write_text(text.replace('],"', '],\n"') + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = PRIOR_FILE) -> DocPrior:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"{path}: format {data.get('format')}, expected {FORMAT}")
        docs = [d for d, _ in data["documents"]]
        words = {
            w: {docs[flat[i]]: flat[i + 1] for i in range(0, len(flat), 2)}
            for w, flat in data["words"].items()
        }
        prior = cls(dict(data["documents"]), words, data["alpha"])
        _ = prior._table  # built now (about 0.2 s), not inside the first request
        return prior


app = typer.Typer(add_completion=False)


@app.command()
def main(
    file: Annotated[Path, typer.Argument(help="Weak Q&A pairs (qa_pairs_weak.jsonl)")],
    out: Annotated[Path, typer.Option(help="Where to write the prior.")] = PRIOR_FILE,
) -> None:
    """Learn the question → document prior from the train half of the weak pairs."""
    pairs = train_pairs(file)
    prior = DocPrior.learn(pairs, lambda q: [t for t in tokenize(q) if t not in STOPWORDS])
    prior.save(out)
    print(f"{out}: {len(pairs)} train questions, {len(prior.questions)} documents, {len(prior.words)} words")


if __name__ == "__main__":
    app()
