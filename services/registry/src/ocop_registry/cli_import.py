"""`ocop-registry import-file`: bulk import of producers or products from a CSV/XLSX file
straight into the registry's database. The events of the imported rows are written to the
outbox; the service's relay publishes them when it runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from ocop_shared.db import create_engine
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .bootstrap import build_definition
from .service_layer.importing import (
    DEFAULT_BATCH,
    ImportKind,
    ImportSummary,
    UnreadableFile,
    check_header,
    guess_kind,
    import_rows,
    read_table,
)
from .settings import RegistrySettings

cli = typer.Typer(add_completion=False)

EPILOG = """\
Example:

  ocop-registry import-file producers.csv --kind producers

  ocop-registry import-file san-pham-2025.xlsx --kind products \\
      --database-url postgresql://postgres@127.0.0.1:5432/registry

Columns (header row first): producers take the fields of POST /producers (name, kind,
registration_type, registration_number, legal_representative, phone, email, street_address,
province_code, commune_code, legacy_district, female_owned, ethnic_minority_owned); products
take producer_registration_type, producer_registration_number, name, description,
product_set and standards (a JSON list). Import producers first. Exit status 1 when some
rows were rejected, 2 when the file is unreadable."""


def _default_url() -> str:
    return RegistrySettings().database_url


def show_errors(console: Console, summary: ImportSummary, limit: int) -> None:
    table = Table(title=f"Rejected rows ({summary.rejected_rows})", show_lines=False)
    table.add_column("Row", justify="right")
    table.add_column("Column")
    table.add_column("Code")
    table.add_column("Reason", overflow="fold")
    for error in summary.errors[:limit]:
        table.add_row(str(error.row), error.column or "", error.code, error.reason)
    console.print(table)
    if len(summary.errors) > limit:
        console.print(f"... and {len(summary.errors) - limit} more errors")


async def _run(header: list[str], rows: list, kind: ImportKind, url: str, batch_size: int,
               console: Console) -> ImportSummary:
    check_header(kind, header)
    engine = create_engine(url, pool_size=2)
    try:
        with Progress(TextColumn(f"[bold]{kind.value}[/]"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console) as bar:
            task = bar.add_task("import", total=len(rows))
            return await import_rows(
                engine, build_definition().outbox(), kind, rows, batch_size=batch_size,
                progress=lambda done, total: bar.update(task, completed=done))
    finally:
        await engine.dispose()


@cli.command("import-file", epilog=EPILOG)
def import_file_command(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                help="A .csv (UTF-8) or .xlsx file with a header row."),
    kind: ImportKind | None = typer.Option(
        None, "--kind", help="What the file holds; guessed from the header when omitted."),
    database_url: str | None = typer.Option(
        None, "--database-url", envvar="OCOP_REGISTRY_DATABASE_URL",
        help="The registry's database (default: the service's settings)."),
    batch_size: int = typer.Option(DEFAULT_BATCH, min=1, help="Rows per transaction."),
    max_errors: int = typer.Option(200, help="Errors shown in the table at most."),
) -> None:
    """Import producers or products from a CSV/XLSX file: valid rows are registered with
    their events, invalid rows are skipped and listed by row, column and reason.
    Re-running the same file changes nothing."""
    console = Console()
    try:
        header, rows = read_table(path.read_bytes(), path.name)
        kind = kind or guess_kind(header)
        summary = asyncio.run(_run(header, rows, kind, database_url or _default_url(),
                                   batch_size, console))
    except UnreadableFile as exc:
        console.print(f"[red]{path}: {exc.reason}[/]")
        raise typer.Exit(2) from None
    console.print(f"{summary.total} rows: [green]{summary.created} created[/], "
                  f"{summary.unchanged} unchanged, [red]{summary.rejected_rows} rejected[/]")
    if summary.errors:
        show_errors(console, summary, max_errors)
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover - `python -m ocop_registry.cli_import ...`
    cli()


if __name__ == "__main__":  # pragma: no cover
    main()
