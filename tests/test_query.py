"""Question frames, foreign names and the frame prior on article kinds (small inputs, by hand)."""

from pathlib import Path

import pytest

from api.query import FRAMES_FILE, Frame, Preference, QueryReader, load_frames
from ingest.segment import tokenize, words

FRAMES = """# comment
criminal | heading=tội: có bị truy cứu trách nhiệm hình sự không; truy cứu trách nhiệm hình sự
procedure | title=tố tụng: thủ tục
regulated: được quy định như thế nào; như thế nào
"""


def reader(tmp_path: Path, vocabulary: set[str] | None = None) -> QueryReader:
    path = tmp_path / "frames.txt"
    path.write_text(FRAMES, encoding="utf-8")
    return QueryReader(load_frames(path), vocabulary or set(), tokenize, words)


def test_frame_phrases_leave_the_subject(tmp_path: Path) -> None:
    read = reader(tmp_path).read("Hành vi đánh bạc qua mạng có bị truy cứu trách nhiệm hình sự không?")
    assert [f.name for f in read.frames] == ["criminal"]
    assert read.subject == "Hành vi đánh bạc qua mạng"
    assert read.text == "Hành vi đánh bạc qua mạng có bị truy cứu trách nhiệm hình sự không?"


def test_longest_phrase_wins_and_case_is_kept(tmp_path: Path) -> None:
    read = reader(tmp_path).read("Hợp đồng vay tài sản được quy định như thế nào?")
    assert [f.name for f in read.frames] == ["regulated"]
    assert read.subject == "Hợp đồng vay tài sản"


def test_phrases_match_whole_words_only(tmp_path: Path) -> None:
    # "thủ tục" is a frame phrase; "thủ tục" inside no other word, and "tục" alone is not one.
    read = reader(tmp_path).read("Phong tục cưới hỏi có cần đăng ký không?")
    assert read.frames == ()
    assert read.subject == read.text.rstrip("?")


def test_a_question_that_is_all_frame_keeps_its_text(tmp_path: Path) -> None:
    read = reader(tmp_path).read("Như thế nào?")
    assert read.subject == "Như thế nào?"


def test_names_the_vocabulary_lacks_are_set_aside(tmp_path: Path) -> None:
    vocabulary = {"căn_hộ", "chung_cư", "thuê", "bên", "hợp_đồng", "đà_nẵng"}
    r = reader(tmp_path, vocabulary)
    read = r.read("Bên thuê căn hộ chung cư River Gate có được bồi thường?")
    assert read.names == ("River Gate",)
    assert "River" not in read.subject
    assert "căn hộ chung cư" in read.subject
    # Most words of "FPT City Đà Nẵng" are foreign, so the whole run goes.
    assert r.read("Mua căn hộ tại FPT City Đà Nẵng").names == ("FPT City Đà Nẵng",)


def test_titles_slang_and_known_words_are_not_names(tmp_path: Path) -> None:
    r = reader(tmp_path, {"hội_đồng", "định_giá", "tài_sản"})
    # "Phó Chủ tịch" is not capitalised throughout; "Trà" alone is a Vietnamese syllable.
    assert r.read("Quyền của Phó Chủ tịch Hội đồng định giá tài sản").names == ()
    assert r.read("Người làm Trà xanh có bị phạt không").names == ()
    # A question's first word is capitalised because it opens the sentence.
    assert r.read("Vinhomes có phải nộp thuế không").names == ()
    assert r.read("Mua nhà ở Vinhomes được không").names == ("Vinhomes",)


def test_preferences_read_headings_and_titles() -> None:
    crime = Frame("criminal", ("đi tù",), (Preference("heading", "tội"),))
    assert crime.prefers("Tội trộm cắp tài sản", "Bộ luật Hình sự 2015")
    assert not crime.prefers("Thời hiệu truy cứu trách nhiệm hình sự", "Bộ luật Hình sự 2015")
    procedure = Frame("procedure", ("thủ tục",), (Preference("title", "tố tụng"),))
    assert procedure.prefers("Kháng cáo", "Bộ luật Tố tụng dân sự 2015")
    assert not procedure.prefers("Kháng cáo", "Bộ luật Dân sự 2015")


@pytest.mark.parametrize(
    "line",
    ["criminal | heading=tội", "criminal | kind=tội: đi tù", ": đi tù", "criminal | heading tội: đi tù"],
)
def test_malformed_frame_lines_are_named(tmp_path: Path, line: str) -> None:
    path = tmp_path / "frames.txt"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"frames\.txt:1"):
        load_frames(path)


def test_the_shipped_frames_load() -> None:
    frames = {f.name: f for f in load_frames(FRAMES_FILE)}
    assert frames["criminal"].prefers("Tội giết người", "Bộ luật Hình sự 2015")
    assert not frames["regulated"].prefer
