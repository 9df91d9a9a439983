"""``python -m ingest build | add FILE | remove DOC_ID | stats | report [PATH] | pack FOLDER ZIP``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ingest.corpus import add_document, remove_document
from ingest.embedding.onnxrt import ONNX_FILE, export_int8
from ingest.errors import IngestError
from ingest.index import stages, store
from ingest.index.build import build
from ingest.index.buildreport import BuildReport
from ingest.index.report import parse_report
from ingest.settings import get_settings
from ingest.sources.collections import open_collection, open_sources, pack

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Build and manage the vnlaw index.")
console = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=1)


def _run_build(force: bool = False) -> BuildReport:
    settings = get_settings()
    try:
        report = build(settings, log=_log, force=force)
    except IngestError as exc:
        raise _fail(str(exc)) from exc
    _summary(report)
    return report


def _log(message: str) -> None:
    console.print(f"[dim]{message}[/dim]")


def _summary(report: BuildReport) -> None:
    if report.noop:
        console.print(f"index is up to date ({len(report.reused)} documents, {report.seconds:.1f} s)")
    else:
        console.print(
            f"built [bold]{report.version}[/bold]: {report.units} units ({report.searchable} searchable), "
            f"{report.embedded} embedded, changed {len(report.changed)}, removed {report.removed or '-'}, "
            f"reused {len(report.reused)} in {report.seconds:.1f} s"
        )


@app.command("build")
def build_cmd(
    force: Annotated[bool, typer.Option(help="Re-parse and re-embed every document.")] = False,
    staged: Annotated[
        bool, typer.Option(help="Corpus folder first, then the collections in growing complete versions.")
    ] = False,
    until: Annotated[
        int | None, typer.Option(min=1, help="With --staged: stop after this stage (1 = corpus folder).")
    ] = None,
) -> None:
    """Build the index from the corpus folder and collections (incremental by content hash)."""
    if not staged:
        if until is not None:
            raise _fail("--until needs --staged")
        _run_build(force)
        return
    if force:
        raise _fail("--force rebuilds everything at once; it cannot be staged")
    try:
        for report in stages.run(get_settings(), log=_log, until=until):
            _summary(report)
    except IngestError as exc:
        raise _fail(str(exc)) from exc


@app.command()
def add(
    file: Annotated[Path, typer.Argument(help="A .txt, .docx, .html or .pdf legal text.")],
    meta: Annotated[Path | None, typer.Option(help="Optional .meta.json for the document.")] = None,
) -> None:
    """Check a document, copy it into the corpus folder and rebuild."""
    if not file.is_file():
        raise _fail(f"{file}: no such file")
    if meta is not None and not meta.is_file():
        raise _fail(f"{meta}: no such file")
    try:
        add_document(file, get_settings().corpus_dir, meta=meta)
    except IngestError as exc:
        raise _fail(str(exc)) from exc
    _run_build()


@app.command()
def remove(doc_id: Annotated[str, typer.Argument(help="Document id (corpus file stem).")]) -> None:
    """Remove a document from the corpus folder and rebuild."""
    try:
        remove_document(doc_id, get_settings().corpus_dir)
    except IngestError as exc:
        raise _fail(str(exc)) from exc
    _run_build()


@app.command()
def stats() -> None:
    """Show the current index version and its documents."""
    settings = get_settings()
    info = store.current_version(settings.index_dir)
    if info is None:
        raise _fail(f"no index in {settings.index_dir}; run `python -m ingest build`")
    m = info.manifest
    out = Console()
    out.print(
        f"version [bold]{info.name}[/bold] built {m['built_at']}, model {m['model']['name']} "
        f"(dim {m['model']['dim']}), {m['counts']['units']} units, {m['counts']['searchable']} searchable"
    )
    table = Table("doc_id", "số hiệu", "title", "articles", "units", "searchable")
    for doc_id, entry in m["documents"].items():
        meta = entry["meta"]
        table.add_row(
            doc_id, meta.get("number") or "", meta["title"][:60], str(entry["articles"]),
            str(entry["units"]), str(entry["searchable_units"]),
        )  # fmt: skip
    out.print(table)
    out.print(f"versions: {', '.join(store.list_versions(settings.index_dir))}")


@app.command()
def report(
    path: Annotated[
        Path | None, typer.Argument(help="A collection folder or .zip; default: all the build indexes.")
    ] = None,
) -> None:
    """Parse documents (no embedding) and count them per source; exit 1 naming any that fail."""
    settings = get_settings()
    try:
        if path is None:
            with open_sources(settings.corpus_dir, settings.collections) as entries:
                result = parse_report(entries)
        else:
            with open_collection(path) as entries:
                result = parse_report(entries)
    except IngestError as exc:
        raise _fail(str(exc)) from exc
    table = Table("source", "documents", "partial", "articles", "noted", "borrowed", "units", "searchable")
    rows = [*sorted(result.by_source.items()), ("total", result.total)]
    for source, s in rows:
        table.add_row(
            source, str(s.documents), str(s.partial), str(s.articles), str(s.noted_articles),
            str(s.borrowed_articles), str(s.units), str(s.searchable),
        )  # fmt: skip
    Console(width=160).print(table)
    for failure in result.failures:
        console.print(f"[red]failed:[/red] {failure}", soft_wrap=True)
    if result.failures:
        raise _fail(f"{len(result.failures)} problem(s) in the documents above")


@app.command("pack")
def pack_cmd(
    folder: Annotated[Path, typer.Argument(help="A folder of <doc_id>.txt (+ .meta.json) documents.")],
    archive: Annotated[Path, typer.Argument(help="The .zip to write (LZMA, read in place by the build).")],
) -> None:
    """Pack a collection folder into one compressed archive the build reads directly."""
    if archive.suffix.lower() != ".zip":
        raise _fail(f"{archive}: the archive name must end in .zip")
    try:
        count = pack(folder, archive)
    except (IngestError, OSError) as exc:
        raise _fail(str(exc)) from exc
    console.print(f"packed {count} documents into {archive} ({archive.stat().st_size / 1e6:.1f} MB)")


@app.command("export-onnx")
def export_onnx(
    folder: Annotated[Path, typer.Argument(help="A sentence-transformers model folder (mean pooling).")],
) -> None:
    """Add the int8 ONNX copy that the default onnx-int8 runtime runs to a model folder."""
    if not (folder / "modules.json").is_file():
        raise _fail(f"{folder}: not a sentence-transformers model folder (no modules.json)")
    try:
        export_int8(folder)
    except (OSError, ValueError, RuntimeError) as exc:
        raise _fail(f"cannot export {folder}: {exc}") from exc
    console.print(f"wrote {folder / ONNX_FILE}")
