"""The weak Q&A pairs: the hash split and the eval cases drawn from them."""

import json
import unicodedata
from pathlib import Path

import pytest

from api.eval.articles import weak_cases
from ingest.sources.weakpairs import Citation, Pair, question_key, read_pairs, split_of

EVAL = Path(__file__).parent.parent / "eval"


def test_split_is_by_the_question_hash() -> None:
    question = "Hợp đồng thuê nhà có phải công chứng không?"
    assert question_key(question) == question_key(unicodedata.normalize("NFD", question) + "  ")
    expected = "heldout" if int(question_key(question)[-1], 16) % 2 else "train"
    assert split_of(question) == expected
    sides = {split_of(f"Câu hỏi {n}") for n in range(20)}
    assert sides == {"train", "heldout"}


def test_committed_heldout_keys_are_well_formed() -> None:
    keys = (EVAL / "weak_heldout_keys.txt").read_text(encoding="utf-8").split()
    assert len(keys) == len(set(keys)) == 2370
    assert all(len(k) == 12 and int(k[-1], 16) % 2 for k in keys)


def test_read_pairs_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "qa.jsonl"
    good = {"question": "A?", "cited": [{"doc_id": "d", "article": 5}]}
    path.write_text(json.dumps(good) + "\n\n" + '{"question": "B?"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="line 3"):
        read_pairs(path)
    path.write_text(json.dumps(good) + "\n", encoding="utf-8")
    assert read_pairs(path) == [Pair("A?", (Citation("d", "5"),))]


def test_cases_keep_cited_articles_the_index_holds() -> None:
    pairs = [
        Pair("q1", (Citation("luat-dat-dai", "3"), Citation("dan-su", "117"), Citation("lao-dong", "35"))),
        Pair("q2", (Citation("luat-dat-dai", "3"),)),
        Pair("q3", (Citation("dan-su", "9999"),)),
    ]
    cases = weak_cases(pairs, {"dan-su": {"117", "118"}, "lao-dong": {"35"}})
    assert len(cases) == 1
    case = cases[0]
    assert (case.doc_id, case.articles, case.other_gold) == ("dan-su", {"117"}, {("lao-dong", "35")})
    assert case.wants("dan-su", "117")
    assert case.wants("lao-dong", "35")
    assert not case.wants("dan-su", "118")
    assert not case.wants("luat-dat-dai", "3")
