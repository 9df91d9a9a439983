"""``python -m ingest build | add FILE | remove DOC_ID | stats``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from . import store
from .build import BuildReport, build
from .corpus import add_document, remove_document
from .errors import IngestError
from .settings import get_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Build and manage the vnlaw index.")
console = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=1)


def _run_build(force: bool = False) -> BuildReport:
    settings = get_settings()
    try:
        report = build(settings, log=lambda m: console.print(f"[dim]{m}[/dim]"), force=force)
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
