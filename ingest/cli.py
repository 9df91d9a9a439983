"""``python -m ingest build | add FILE | remove DOC_ID | stats``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from . import store
from .build import DOC_ID, BuildReport, build, corpus_files, read_document
from .errors import IngestError
from .load import SUPPORTED_SUFFIXES
from .meta import meta_path
from .settings import get_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Build and manage the vnlaw index.")
console = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=1)


def _run_build(force: bool = False) -> BuildReport:
    settings = get_settings()
    try:
        report = build(settings, log=lambda m: console.print(f"[dim]{m}[/dim]"), progress=True, force=force)
    except IngestError as exc:
        raise _fail(str(exc)) from exc
    if report.noop:
        console.print(f"index is up to date ({len(report.reused)} documents, {report.seconds:.1f} s)")
    else:
        console.print(
            f"built [bold]{report.version}[/bold]: {report.units} units ({report.searchable} searchable), "
            f"{report.embedded} embedded, changed {report.changed or '-'}, removed {report.removed or '-'}, "
            f"reused {len(report.reused)} in {report.seconds:.1f} s"
        )
    return report


@app.command("build")
def build_cmd(
    force: Annotated[bool, typer.Option(help="Re-parse and re-embed every document.")] = False,
) -> None:
    """Build the index from the corpus folder (incremental by content hash)."""
    _run_build(force)


@app.command()
def add(
    file: Annotated[Path, typer.Argument(help="A .txt, .docx, .html or .pdf legal text.")],
    meta: Annotated[Path | None, typer.Option(help="Optional .meta.json for the document.")] = None,
) -> None:
    """Check a document, copy it into the corpus folder and rebuild."""
    if not file.is_file():
        raise _fail(f"{file}: no such file")
    if file.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise _fail(f"{file.name}: unsupported type, use one of {', '.join(sorted(SUPPORTED_SUFFIXES))}")
    if not DOC_ID.match(file.stem):
        raise _fail(f"{file.name}: file name must be letters, digits, '.', '_' or '-'")
    corpus = get_settings().corpus_dir
    try:
        read_document(file)  # refuse before the corpus is touched
    except IngestError as exc:
        raise _fail(str(exc)) from exc
    clash = [p for p in corpus_files(corpus) if p.stem == file.stem and p.suffix != file.suffix]
    if clash:
        raise _fail(f"{file.stem}: already in the corpus as {clash[0].name}; remove it first")
    _copy_atomic(file, corpus / file.name)
    if meta is not None:
        _copy_atomic(meta, meta_path(corpus / file.name))
    _run_build()


def _copy_atomic(src: Path, dst: Path) -> None:
    tmp = dst.with_name(f".{dst.name}.tmp")
    shutil.copyfile(src, tmp)
    tmp.replace(dst)


@app.command()
def remove(doc_id: Annotated[str, typer.Argument(help="Document id (corpus file stem).")]) -> None:
    """Remove a document from the corpus folder and rebuild."""
    corpus = get_settings().corpus_dir
    matches = [p for p in corpus_files(corpus) if p.stem == doc_id] if DOC_ID.match(doc_id) else []
    if not matches:
        raise _fail(f"no document '{doc_id}' in {corpus}")
    for path in matches:
        path.unlink()
        meta_path(path).unlink(missing_ok=True)
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
