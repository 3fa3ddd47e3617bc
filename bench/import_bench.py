"""Import benchmark: the national scale (20,000 OCOP products with ~10,000 producers, across
real communes/wards) imported from CSV into an embedded, durable PostgreSQL through the
registry's import (the same validation, commands and outbox events as the HTTP API).

Reports rows/s for producers and products, for a re-run of the same files (all unchanged),
and, on a smaller sample, one transaction per row against batches with a savepoint per row.

    python bench/import_bench.py                 # 20,000 products, 10,000 producers
    python bench/import_bench.py --products 2000 # quicker
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import itertools
import tempfile
import time
from pathlib import Path

from ocop_registry.bootstrap import MIGRATIONS, build_definition
from ocop_registry.service_layer.importing import import_file
from ocop_shared.contracts.classification import CLASSIFICATION
from ocop_shared.db import create_engine
from ocop_shared.embedded.postgres import EmbeddedPostgres
from ocop_shared.migrations import upgrade
from vietnam_provinces import Ward

KINDS = ("cooperative", "enterprise", "household_business", "cooperative_group")
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng")
GIVEN = ("Thị Lan", "Văn Hùng", "Minh Tâm", "Thị Hoa", "Văn Nam", "Thu Trang", "Quốc Bảo")
GOODS = ("Chè", "Mật ong", "Gạo", "Nước mắm", "Cà phê", "Rượu", "Nấm", "Bánh", "Miến", "Tương")


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def generate(n_products: int) -> tuple[bytes, bytes]:
    """A producers file (one producer per two products) and a products file."""
    wards = list(Ward.iter_all())
    n_producers = max(1, n_products // 2)
    producers = [["name", "kind", "registration_number", "legal_representative",
                  "province_code", "commune_code", "phone", "female_owned"]]
    for i in range(n_producers):
        ward = wards[(i * 7919) % len(wards)]  # spread over all communes/wards
        kind = KINDS[i % len(KINDS)]
        producers.append([
            f"{'HTX' if kind == 'cooperative' else 'Cơ sở'} {GOODS[i % len(GOODS)]} số {i}",
            kind, f"{9000000000 + i:010d}",
            f"{SURNAMES[i % len(SURNAMES)]} {GIVEN[i % len(GIVEN)]}",
            f"{int(ward.province_code):02d}", f"{int(ward.code):05d}",
            f"09{i:08d}", "true" if i % 3 == 0 else "false"])
    sets = itertools.cycle(s.code for s in CLASSIFICATION.product_sets)
    products = [["producer_registration_number", "name", "product_set", "description"]]
    for j in range(n_products):
        owner = j % n_producers
        products.append([f"{9000000000 + owner:010d}",
                         f"{GOODS[j % len(GOODS)]} đặc sản loại {j}", next(sets),
                         "Sản phẩm OCOP của địa phương"])
    return _csv(producers), _csv(products)


async def _import(url: str, kind: str, data: bytes, batch: int) -> tuple[float, dict]:
    engine = create_engine(url, pool_size=2)
    outbox = build_definition().outbox()
    try:
        started = time.perf_counter()
        summary = await import_file(engine, outbox, kind, data, f"{kind}.csv", batch_size=batch)
        return time.perf_counter() - started, summary.as_dict()
    finally:
        await engine.dispose()


def _line(label: str, seconds: float, summary: dict) -> str:
    rows = summary["total"]
    return (f"{label:<34} {rows:>7} rows {seconds:8.2f} s {rows / seconds:9.0f} rows/s "
            f"(created {summary['created']}, unchanged {summary['unchanged']}, "
            f"rejected {summary['rejected']})")


async def run(pg: EmbeddedPostgres, n_products: int, batch: int, sample: int) -> None:
    producers_csv, products_csv = generate(n_products)
    await pg.create_database("registry_bench")
    url = pg.url("registry_bench")
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    print(f"batch {batch} rows per transaction, a savepoint per row; durable PostgreSQL")
    for label, kind, data in (("producers", "producers", producers_csv),
                              ("products", "products", products_csv),
                              ("producers again (unchanged)", "producers", producers_csv),
                              ("products again (unchanged)", "products", products_csv)):
        seconds, summary = await _import(url, kind, data, batch)
        print(_line(label, seconds, summary), flush=True)

    if sample:
        print(f"\nper-row transactions vs batches ({sample} products, fresh databases)")
        small_producers, small_products = generate(sample)
        for each in (1, batch):
            name = f"registry_bench_b{each}"
            await pg.create_database(name)
            await asyncio.to_thread(upgrade, MIGRATIONS, pg.url(name))
            for kind, data in (("producers", small_producers), ("products", small_products)):
                seconds, summary = await _import(pg.url(name), kind, data, each)
                print(_line(f"{kind}, batch {each}", seconds, summary), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=20000,
                        help="products to import (producers: half as many)")
    parser.add_argument("--batch-size", type=int, default=200, help="rows per transaction")
    parser.add_argument("--compare", type=int, default=2000,
                        help="products in the per-row vs batch comparison (0: skip)")
    parser.add_argument("--folder", type=Path, default=None,
                        help="PostgreSQL folder (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        folder = args.folder or Path(tmp) / "pg"
        with EmbeddedPostgres(folder, durable=True) as pg:
            asyncio.run(run(pg, args.products, args.batch_size, args.compare))


if __name__ == "__main__":
    main()
