"""`python -m ingest add | remove | stats | build` as an operator runs them."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest import cli
from ingest.index import store
from ingest.settings import IngestSettings

NEW_DOC = "Điều 1. Phạm vi điều chỉnh\nNghị quyết này quy định về giờ mở cửa thư viện trường học.\n"


@pytest.fixture
def run(fresh_settings: IngestSettings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setattr(cli, "get_settings", lambda: fresh_settings)
    return CliRunner()


def test_build_add_remove_stats(run: CliRunner, fresh_settings: IngestSettings, tmp_path: Path) -> None:
    result = run.invoke(cli.app, ["build"])
    assert result.exit_code == 0, result.output
    new = tmp_path / "nq-thu-vien.txt"
    new.write_text(NEW_DOC, encoding="utf-8")
    result = run.invoke(cli.app, ["add", str(new)])
    assert result.exit_code == 0, result.output
    assert (fresh_settings.corpus_dir / "nq-thu-vien.txt").exists()
    info = store.current_version(fresh_settings.index_dir)
    assert info is not None
    assert "nq-thu-vien" in info.manifest["documents"]

    result = run.invoke(cli.app, ["stats"])
    assert result.exit_code == 0
    assert "nq-thu-vien" in result.output
    assert "luat-mau-2020" in result.output

    result = run.invoke(cli.app, ["remove", "nq-thu-vien"])
    assert result.exit_code == 0, result.output
    info = store.current_version(fresh_settings.index_dir)
    assert info is not None
    assert "nq-thu-vien" not in info.manifest["documents"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("hong.txt", b"\xff\xfe\x00\xd8broken", "hong.txt"),
        ("rong.txt", b"", "empty"),
        ("bang.xlsx", b"PK", "unsupported"),
        ("ten co dau cach.txt", NEW_DOC.encode(), "file name"),
    ],
)
def test_add_refuses_bad_files_before_touching_the_corpus(
    run: CliRunner, fresh_settings: IngestSettings, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    before = sorted(p.name for p in fresh_settings.corpus_dir.iterdir())
    bad = tmp_path / name
    bad.write_bytes(content)
    result = run.invoke(cli.app, ["add", str(bad)])
    assert result.exit_code == 1
    assert message in result.output
    assert sorted(p.name for p in fresh_settings.corpus_dir.iterdir()) == before


def test_remove_unknown_and_stats_without_index(run: CliRunner) -> None:
    result = run.invoke(cli.app, ["remove", "../../etc/passwd"])
    assert result.exit_code == 1
    assert "../../etc/passwd" in result.output
    result = run.invoke(cli.app, ["stats"])
    assert result.exit_code == 1
    assert "no index" in result.output
