"""Bulk import (CSV and XLSX) and reports on real PostgreSQL and NATS: bad rows reported by
row, column and reason while the good ones are registered with their events; re-running a
file changes nothing; counts and the CSV export limited to an official's province."""

import csv
import io

import pytest
from ocop_registry.adapters.tables import messaging
from ocop_registry.bootstrap import MIGRATIONS, build_definition
from ocop_registry.cli_import import cli
from ocop_shared.auth import Role
from ocop_shared.testing.services import auth_header, running, settings_for_test
from openpyxl import Workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

HANOI = auth_header(Role.provincial_official, province_code="01")
HCMC = auth_header(Role.provincial_official, province_code="79")
OPERATOR = auth_header(Role.operator)

PRODUCER_HEADER = ["name", "kind", "registration_number", "legal_representative",
                   "province_code", "commune_code", "phone", "female_owned"]
PRODUCERS = [
    PRODUCER_HEADER,
    ["HTX Chè Tà Xùa", "cooperative", "0101000001", "Nguyễn Thị Lan", "01", "00004",
     "0912345678", "true"],                                                    # 2 good
    ["HTX Mật ong Ba Vì", "cooperative", "0101000002", "Trần Văn Hùng", "01", "00070",
     "", "false"],                                                             # 3 good
    ["HTX Sai Phường", "cooperative", "0101000003", "Lê Văn Nam", "01", "26506", "", ""],  # 4
    ["HTX Chè Tà Xùa bis", "cooperative", "0101000001", "Nguyễn Thị Lan", "01", "00004",
     "", ""],                                                                  # 5 duplicate
    ["HTX Mã Sai", "cooperative", "12AB", "Phạm Thị Hoa", "01", "00004", "", ""],  # 6 tax code
    ["Công ty Dừa Sài Gòn", "enterprise", "0301000001", "Võ Minh Tâm", "79", "26506",
     "", ""],                                                                  # 7 good
]
PRODUCT_HEADER = ["producer_registration_number", "name", "product_set", "description"]
PRODUCTS = [
    PRODUCT_HEADER,
    ["0101000001", "Chè Shan Tuyết Tà Xùa", "tea", "Chè búp cổ thụ"],     # 2 good
    ["0101000002", "Mật ong hoa nhãn", "honey", ""],                      # 3 good
    ["0101000002", "Mật ong rừng", "tee", ""],                            # 4 unknown set
    ["0109999999", "Chè xanh", "tea", ""],                                # 5 unknown producer
    ["0101000001", "CHE SHAN TUYET  TA XUA", "tea", ""],                  # 6 same folded name
    ["0301000001", "Kẹo dừa", "confectionery", ""],                      # 7 good
]


def as_csv(rows: list[list[str]], *, bom: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode()


def as_xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
async def svc(databases, jetstream):
    url = await databases.fresh("registry", MIGRATIONS)
    async with running(build_definition(), settings_for_test(url, jetstream)) as service:
        yield service


async def event_count(runtime, event: str) -> int:  # noqa: ANN001
    outbox = messaging.outbox
    async with runtime.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(outbox).where(
            outbox.c.type == f"ocop.registry.{event}.v1"))).scalar()


async def upload(http, kind: str, name: str, data: bytes, headers=OPERATOR) -> dict:  # noqa: ANN001
    response = await http.post(f"/imports/{kind}", headers=headers,
                               files={"file": (name, data, "application/octet-stream")})
    assert response.status_code == 200, response.text
    return response.json()


def errors_by_row(summary: dict) -> dict[int, dict]:
    return {e["row"]: e for e in summary["errors"]}


async def test_csv_import_reports_bad_rows_and_is_idempotent(svc) -> None:
    http = svc.http
    first = await upload(http, "producers", "producers.csv", as_csv(PRODUCERS, bom=True))
    assert (first["total"], first["created"], first["unchanged"], first["rejected"]) == \
        (6, 3, 0, 3)
    errors = errors_by_row(first)
    assert set(errors) == {4, 5, 6}
    assert errors[4]["column"] == "commune_code" and "not in province 01" in errors[4]["reason"]
    assert errors[5]["column"] == "registration_number"
    assert errors[5]["code"] == "duplicate_in_file" and "row 2" in errors[5]["reason"]
    assert errors[6]["column"] == "registration_number" and "tax_code" in errors[6]["reason"]
    assert await event_count(svc.runtime, "ProducerRegistered") == 3

    listed = (await http.get("/producers", headers=OPERATOR)).json()
    assert sorted(p["registration_number"] for p in listed["items"]) == \
        ["0101000001", "0101000002", "0301000001"]
    lan = next(p for p in listed["items"] if p["registration_number"] == "0101000001")
    assert lan["female_owned"] is True and lan["phone"] == "0912345678"

    again = await upload(http, "producers", "producers.csv", as_csv(PRODUCERS))
    assert (again["created"], again["unchanged"]) == (0, 3)
    assert set(errors_by_row(again)) == {4, 5, 6}
    assert await event_count(svc.runtime, "ProducerRegistered") == 3

    changed = [PRODUCER_HEADER, ["HTX Chè Tà Xùa", "cooperative", "0101000001",
                                 "Nguyễn Thị Mai", "01", "00004", "0912345678", "true"]]
    conflict = await upload(http, "producers", "p.csv", as_csv(changed))
    [error] = conflict["errors"]
    assert (error["row"], error["column"], error["code"]) == (2, "legal_representative",
                                                              "conflict")
    assert "Nguyễn Thị Mai" in error["reason"] and conflict["created"] == 0

    products = await upload(http, "products", "products.csv", as_csv(PRODUCTS))
    errors = errors_by_row(products)
    assert errors[4]["column"] == "product_set" and "unknown product set 'tee'" in \
        errors[4]["reason"]
    assert errors[5]["column"] == "producer_registration_number"
    assert errors[5]["code"] == "unknown_producer"
    assert errors[6]["code"] == "duplicate_in_file" and errors[6]["column"] == "name"
    assert set(errors) == {4, 5, 6}
    created = products["created"]
    assert created == 3
    assert await event_count(svc.runtime, "ProductRegistered") == created

    rerun = await upload(http, "products", "products.csv", as_csv(PRODUCTS))
    assert (rerun["created"], rerun["unchanged"]) == (0, created)
    assert errors_by_row(rerun).keys() == errors.keys()
    assert await event_count(svc.runtime, "ProductRegistered") == created


async def test_xlsx_import_and_province_scope(svc) -> None:
    http = svc.http
    rows = [PRODUCER_HEADER,
            ["HTX Nấm Linh Chi", "cooperative", 101000011, "Đỗ Thị Thu", "01", 4, None, True],
            ["HTX Gạo Sài Gòn", "cooperative", "0301000011", "Ngô Văn Tư", "79", "26506",
             None, False]]
    # Hanoi's official: the HCMC producer is refused, the number cell (lost leading zero
    # in Excel) is refused too as a tax code has 10 digits.
    summary = await upload(http, "producers", "ds.xlsx", as_xlsx(rows), headers=HANOI)
    errors = errors_by_row(summary)
    assert errors[3]["code"] == "forbidden" and errors[3]["column"] == "province_code"
    assert errors[2]["column"] in ("registration_number", "commune_code")
    fixed = [PRODUCER_HEADER,
             ["HTX Nấm Linh Chi", "cooperative", "0101000011", "Đỗ Thị Thu", "01", "00004",
              None, True]]
    ok = await upload(http, "producers", "ds.xlsx", as_xlsx(fixed), headers=HANOI)
    assert (ok["created"], ok["errors"]) == (1, [])
    product_rows = [["producer_registration_number", "name", "product_set", "standards"],
                    ["0101000011", "Nấm linh chi đỏ", "herbal-materials",
                     '[{"standard": "vietgap", "certificate_number": "VG-1", '
                     '"issuer": "QUACERT", "valid_from": "2024-01-01", '
                     '"valid_until": "2027-01-01"}]']]
    products = await upload(http, "products", "sp.xlsx", as_xlsx(product_rows), headers=HANOI)
    assert (products["created"], products["errors"]) == (1, [])
    listed = (await http.get("/products", headers=HANOI)).json()["items"]
    assert [s["certificate_number"] for s in listed[0]["standards"]] == ["VG-1"]
    again = await upload(http, "products", "sp.xlsx", as_xlsx(product_rows), headers=HANOI)
    assert (again["created"], again["unchanged"]) == (0, 1)

    bad_header = await upload(http, "products", "x.csv", as_csv([["nom", "name"], ["a", "b"]]))
    assert bad_header["errors"][0]["row"] == 1 and bad_header["errors"][0]["column"] == "nom"
    assert (await http.post("/imports/products", headers=auth_header(Role.producer),
                            files={"file": ("x.csv", b"a", "text/csv")})).status_code == 403


async def test_counts_and_csv_export(svc) -> None:
    http = svc.http
    await upload(http, "producers", "producers.csv", as_csv(PRODUCERS))
    products = [PRODUCT_HEADER,
                ["0101000001", "Chè Shan Tuyết Tà Xùa", "tea", ""],
                ["0101000001", "Chè móc câu", "tea", ""],
                ["0101000002", "Mật ong hoa nhãn", "honey", ""],
                ["0301000001", "Trà dừa", "tea", ""]]
    summary = await upload(http, "products", "products.csv", as_csv(products))
    assert summary["created"] == 4, summary

    by_province = (await http.get("/reports/counts?by=province", headers=OPERATOR)).json()
    assert by_province["total"] == 4
    assert {c["key"]: c["count"] for c in by_province["counts"]} == {"01": 3, "79": 1}
    hanoi = (await http.get("/reports/counts?by=commune", headers=HANOI)).json()
    assert hanoi["province_code"] == "01"
    assert {c["key"]: c["count"] for c in hanoi["counts"]} == {"00004": 2, "00070": 1}
    stars = (await http.get("/reports/counts?by=stars", headers=HANOI)).json()
    assert stars["counts"] == [{"key": None, "count": 3}]
    status = (await http.get("/reports/counts?by=status", headers=OPERATOR)).json()
    assert status["counts"] == [{"key": "draft", "count": 4}]
    group = (await http.get("/reports/counts?by=group&province_code=79",
                            headers=OPERATOR)).json()
    assert group["total"] == 1
    assert (await http.get("/reports/counts?by=group&province_code=79",
                           headers=HANOI)).status_code == 403
    assert (await http.get("/reports/counts?by=colour", headers=OPERATOR)).status_code == 422

    export = await http.get("/reports/products.csv", headers=HANOI)
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert sorted(r["name"] for r in rows) == ["Chè Shan Tuyết Tà Xùa", "Chè móc câu",
                                               "Mật ong hoa nhãn"]
    assert {r["province_code"] for r in rows} == {"01"} and rows[0]["product_group"] == "I"
    honey = await http.get("/reports/products.csv?group=I&province_code=79", headers=OPERATOR)
    assert [r["name"] for r in csv.DictReader(io.StringIO(honey.text.lstrip("\ufeff")))] == \
        ["Trà dừa"]


async def test_cli_imports_a_file(databases, tmp_path) -> None:
    url = await databases.fresh("registry", MIGRATIONS)
    path = tmp_path / "producers.csv"
    path.write_bytes(as_csv(PRODUCERS))
    runner = CliRunner()
    # the CLI runs its own event loop: run it in a worker thread
    import asyncio
    result = await asyncio.to_thread(runner.invoke, cli, [str(path), "--database-url", url])
    assert result.exit_code == 1, result.output
    assert "3 created" in result.output and "commune_code" in result.output
    again = await asyncio.to_thread(runner.invoke, cli, [str(path), "--database-url", url])
    assert "0 created" in again.output and "3 unchanged" in again.output
