"""Bulk import of producers and products from the CSV and XLSX files provinces keep.

Each row is validated by the same models as the HTTP API (`ProducerIn`, `ProductIn`) and
registered by the same commands (`register_producer`, `register_product`), so an imported
row emits the same events through the outbox as one entered by hand.

Rows are committed in batches, each row inside its own savepoint: a row that fails is rolled
back alone and reported (row as numbered in the file, the header being row 1; column;
reason); the valid rows are kept. Re-running a file changes nothing: a producer is matched
by its registration (type and number), a product by its producer and folded name; an
identical existing record counts as unchanged, a differing one is reported as a conflict
(never silently updated)."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from ocop_shared.errors import Conflict, NotFound
from ocop_shared.messaging.outbox import Outbox
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..adapters.tables import producers, products
from ..domain.producers import RegistrationType, normalise_registration_number
from ..domain.search import fold
from ..entrypoints.schemas import ProducerIn, ProductIn
from . import commands

Progress = Callable[[int, int], None]
"""Called with (rows done, rows in total) as the import goes."""

DEFAULT_BATCH = 200


class ImportKind(StrEnum):
    producers = "producers"
    products = "products"


PRODUCER_COLUMNS = tuple(ProducerIn.model_fields)
PRODUCT_COLUMNS = ("producer_registration_type", "producer_registration_number",
                   *(f for f in ProductIn.model_fields if f != "producer_id"))
COLUMNS = {ImportKind.producers: PRODUCER_COLUMNS, ImportKind.products: PRODUCT_COLUMNS}
REQUIRED = {
    ImportKind.producers: tuple(f for f, i in ProducerIn.model_fields.items() if i.is_required()),
    ImportKind.products: ("producer_registration_number",
                          *(f for f, i in ProductIn.model_fields.items()
                            if i.is_required() and f != "producer_id")),
}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str | None
    reason: str
    code: str = "invalid"  # invalid, duplicate_in_file, unknown_producer, conflict, forbidden


@dataclass
class ImportSummary:
    kind: str
    total: int = 0
    created: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({e.row for e in self.errors})

    def as_dict(self) -> dict:
        return {"kind": self.kind, "total": self.total, "created": self.created,
                "unchanged": self.unchanged, "rejected": self.rejected_rows,
                "errors": [asdict(e) for e in self.errors]}


class UnreadableFile(ValueError):
    """The file is not a CSV/XLSX we can read, or its header is wrong (nothing imported)."""

    def __init__(self, reason: str, column: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.column = column


class _RowFailed(Exception):
    def __init__(self, *errors: RowError) -> None:
        super().__init__(errors)
        self.errors = list(errors)


# --- Reading files ------------------------------------------------------------------------

Row = tuple[int, dict[str, str]]


def _cell(value: Any) -> str:
    """A spreadsheet cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _rows_from_table(table: Iterable[Iterable[Any]]) -> tuple[list[str], list[Row]]:
    lines = iter(table)
    try:
        header = [_cell(h).strip().lower() for h in next(lines)]
    except StopIteration:
        raise UnreadableFile("the file is empty: it needs a header row") from None
    while header and not header[-1]:
        header.pop()
    rows: list[Row] = []
    for number, values in enumerate(lines, start=2):
        cells = [_cell(v).strip() for v in values]
        if not any(cells):
            continue  # blank line
        record = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header)}
        if any(cells[len(header):]):
            record["\x00extra"] = "1"
        rows.append((number, record))
    return header, rows


def read_csv(data: bytes) -> tuple[list[str], list[Row]]:
    try:
        text = data.decode("utf-8-sig")  # utf-8, with or without a byte order mark
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"the CSV is not UTF-8 ({exc.reason} at byte {exc.start}); "
                             "save it as 'CSV UTF-8'") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return _rows_from_table(csv.reader(io.StringIO(text, newline=""), dialect))


def read_xlsx(data: bytes) -> tuple[list[str], list[Row]]:
    from openpyxl import load_workbook  # imported when needed: CSV imports do without it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise UnreadableFile(f"not a readable XLSX workbook: {exc}") from None
    try:
        return _rows_from_table(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()


def read_table(data: bytes, filename: str | None) -> tuple[list[str], list[Row]]:
    """Header and rows of a CSV or XLSX file (told apart by name, else by content)."""
    name = (filename or "").lower()
    if name.endswith((".xlsx", ".xlsm")) or (not name.endswith(".csv") and data[:2] == b"PK"):
        return read_xlsx(data)
    return read_csv(data)


def check_header(kind: ImportKind, header: list[str]) -> None:
    known = COLUMNS[kind]
    for name in header:
        if not name:
            raise UnreadableFile("a header cell is empty: every column needs a name")
        if name not in known:
            raise UnreadableFile(f"unknown column {name!r} for {kind.value}; the columns are "
                                 f"{', '.join(known)}", column=name)
    seen = set()
    for name in header:
        if name in seen:
            raise UnreadableFile(f"column {name!r} appears twice", column=name)
        seen.add(name)
    missing = [c for c in REQUIRED[kind] if c not in header]
    if missing:
        raise UnreadableFile(f"required column(s) missing: {', '.join(missing)}",
                             column=missing[0])


# --- Validation ---------------------------------------------------------------------------

def _given(record: dict[str, str]) -> dict[str, str]:
    """The row's non-empty cells (an empty cell means 'not given': the default applies)."""
    return {k: v for k, v in record.items() if v != "" and not k.startswith("\x00")}


def _column(loc: tuple) -> str | None:
    if not loc:
        return None
    return str(loc[0]) + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc[1:])


def _validation_errors(number: int, exc: ValidationError) -> list[RowError]:
    return [RowError(number, _column(e["loc"]), e["msg"].removeprefix("Value error, "))
            for e in exc.errors()]


def _differences(wanted: dict, stored: dict) -> list[str]:
    return [k for k, v in wanted.items() if stored.get(k) != v]


def _describe(differing: list[str], wanted: dict, stored: dict) -> str:
    return "; ".join(f"{k}: registered {stored.get(k)!r}, file {wanted[k]!r}"
                     for k in differing)


# --- Producers ----------------------------------------------------------------------------

async def _import_producer(
    session: AsyncConnection, outbox: Outbox, number: int, record: dict[str, str],
    seen: dict[tuple[str, str], int], only_province: str | None,
) -> bool:
    """Register the row's producer; False when it exists identical; _RowFailed otherwise."""
    try:
        data = ProducerIn.model_validate(_given(record)).model_dump(mode="json")
    except ValidationError as exc:
        raise _RowFailed(*_validation_errors(number, exc)) from None
    if only_province is not None and data["province_code"] != only_province:
        raise _RowFailed(RowError(number, "province_code",
                                  f"you may import producers of province {only_province} only",
                                  "forbidden"))
    key = (data["registration_type"], data["registration_number"])
    if key in seen:
        raise _RowFailed(RowError(number, "registration_number",
                                  f"duplicate of row {seen[key]} ({key[0]} {key[1]})",
                                  "duplicate_in_file"))
    seen[key] = number
    existing = (await session.execute(select(producers).where(
        producers.c.registration_type == key[0],
        producers.c.registration_number == key[1]))).first()
    if existing is not None:
        stored = existing._asdict()
        wanted = {k: v for k, v in data.items() if k in record}  # the file's columns only
        differing = _differences(wanted, stored)
        if differing:
            raise _RowFailed(RowError(
                number, differing[0],
                f"{key[0]} {key[1]} is registered to producer {stored['id']} with other "
                f"details ({_describe(differing, wanted, stored)}); not updated",
                "conflict"))
        return False
    await commands.register_producer(session, outbox, data)
    return True


# --- Products -----------------------------------------------------------------------------

async def _producer_of(
    session: AsyncConnection, number: int, record: dict[str, str],
    cache: dict[tuple[str, str], dict | None],
) -> dict:
    raw_type = record.get("producer_registration_type") or RegistrationType.tax_code.value
    raw_number = record.get("producer_registration_number", "")
    try:
        registration = RegistrationType(raw_type)
    except ValueError:
        raise _RowFailed(RowError(
            number, "producer_registration_type",
            f"unknown registration type {raw_type!r}; one of "
            f"{', '.join(r.value for r in RegistrationType)}")) from None
    if not raw_number:
        raise _RowFailed(RowError(number, "producer_registration_number", "Field required"))
    try:
        value = normalise_registration_number(registration, raw_number)
    except ValueError as exc:
        raise _RowFailed(RowError(number, "producer_registration_number", str(exc))) from None
    key = (registration.value, value)
    if key not in cache:
        found = (await session.execute(select(producers).where(
            producers.c.registration_type == key[0],
            producers.c.registration_number == key[1]))).first()
        cache[key] = found._asdict() if found is not None else None
    producer = cache[key]
    if producer is None:
        raise _RowFailed(RowError(number, "producer_registration_number",
                                  f"no producer is registered with {key[0]} {key[1]}",
                                  "unknown_producer"))
    return producer


def _parsed_standards(number: int, given: dict[str, str]) -> dict:
    if "standards" in given:
        try:
            given = {**given, "standards": json.loads(given["standards"])}
        except json.JSONDecodeError as exc:
            raise _RowFailed(RowError(number, "standards",
                                      f"standards must be a JSON list: {exc.msg}")) from None
    return given


async def _import_product(
    session: AsyncConnection, outbox: Outbox, number: int, record: dict[str, str],
    seen: dict[tuple[uuid.UUID, str], int], cache: dict, only_province: str | None,
) -> bool:
    producer = await _producer_of(session, number, record, cache)
    given = _parsed_standards(number, _given(record))
    given.pop("producer_registration_type", None)
    given.pop("producer_registration_number", None)
    try:
        data = ProductIn.model_validate({**given, "producer_id": producer["id"]}).model_dump()
    except ValidationError as exc:
        raise _RowFailed(*_validation_errors(number, exc)) from None
    if only_province is not None and producer["province_code"] != only_province:
        raise _RowFailed(RowError(number, "producer_registration_number",
                                  f"the producer is in province {producer['province_code']}; "
                                  f"you may import products of province {only_province} only",
                                  "forbidden"))
    key = (producer["id"], fold(data["name"]))
    if key in seen:
        raise _RowFailed(RowError(number, "name",
                                  f"duplicate of row {seen[key]} (same producer and name)",
                                  "duplicate_in_file"))
    seen[key] = number
    existing = (await session.execute(select(products).where(
        products.c.producer_id == producer["id"], products.c.search_text == key[1])
        .limit(1))).first()
    if existing is not None:
        stored = existing._asdict()
        wanted = {k: data[k] for k in ("description", "product_set") if k in given}
        differing = _differences(wanted, stored)
        if differing:
            raise _RowFailed(RowError(
                number, differing[0],
                f"producer {producer['registration_number']} already has product "
                f"{stored['code']} named {stored['name']!r} with other details "
                f"({_describe(differing, wanted, stored)}); not updated", "conflict"))
        return False
    if not producer["active"]:
        raise _RowFailed(RowError(number, "producer_registration_number",
                                  f"producer {producer['name']} was deactivated", "conflict"))
    await commands.register_product(session, outbox, data)
    return True


# --- Running an import --------------------------------------------------------------------

async def import_rows(
    engine: AsyncEngine, outbox: Outbox, kind: ImportKind | str, rows: list[Row], *,
    only_province: str | None = None, progress: Progress | None = None,
    batch_size: int = DEFAULT_BATCH,
) -> ImportSummary:
    """Import validated rows, `batch_size` rows a transaction, each row in a savepoint."""
    kind = ImportKind(kind)
    summary = ImportSummary(kind=kind.value, total=len(rows))
    seen: dict = {}
    cache: dict = {}
    done = 0
    for start in range(0, len(rows), max(1, batch_size)):
        batch = rows[start:start + max(1, batch_size)]
        async with engine.begin() as session:
            for number, record in batch:
                try:
                    if "\x00extra" in record:
                        raise _RowFailed(RowError(number, None,
                                                  "the row has more cells than the header"))
                    async with session.begin_nested():
                        if kind is ImportKind.producers:
                            created = await _import_producer(session, outbox, number, record,
                                                             seen, only_province)
                        else:
                            created = await _import_product(session, outbox, number, record,
                                                            seen, cache, only_province)
                except _RowFailed as failed:
                    summary.errors.extend(failed.errors)
                except (Conflict, NotFound) as exc:
                    summary.errors.append(RowError(number, exc.field, exc.message,
                                                   "conflict"))
                except IntegrityError as exc:
                    summary.errors.append(RowError(number, None,
                                                   f"refused by the database: {exc.orig}",
                                                   "conflict"))
                except DBAPIError as exc:
                    summary.errors.append(RowError(number, None,
                                                   f"refused by the database: {exc.orig}"))
                else:
                    if created:
                        summary.created += 1
                    else:
                        summary.unchanged += 1
                done += 1
                if progress is not None:
                    progress(done, len(rows))
    return summary


async def import_file(
    engine: AsyncEngine, outbox: Outbox, kind: ImportKind | str, data: bytes,
    filename: str | None = None, *, only_province: str | None = None,
    progress: Progress | None = None, batch_size: int = DEFAULT_BATCH,
) -> ImportSummary:
    """Import a CSV/XLSX file of producers or products; a bad file or header is reported as
    one error on row 1 and nothing is imported."""
    kind = ImportKind(kind)
    try:
        header, rows = read_table(data, filename)
        check_header(kind, header)
    except UnreadableFile as exc:
        return ImportSummary(kind=kind.value, errors=[RowError(1, exc.column, exc.reason,
                                                               "invalid_file")])
    if progress is not None:
        progress(0, len(rows))
    return await import_rows(engine, outbox, kind, rows, only_province=only_province,
                             progress=progress, batch_size=batch_size)


def guess_kind(header: list[str]) -> ImportKind:
    """Products when the header names a producer's registration, producers otherwise."""
    return ImportKind.products if "producer_registration_number" in header \
        else ImportKind.producers
