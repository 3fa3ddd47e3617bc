"""The dev stack launcher: four real service processes on the session's NATS and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import uuid
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import httpx
import pytest
from typer.testing import CliRunner

from ocop_shared.devstack import SERVICES, Stack, StackError, load_or_create_secret
from ocop_shared.devstack.cli import app
from ocop_shared.devstack.mailsink import (
    MailNotFound,
    MailSinkProcess,
    list_messages,
    read_message,
)
from ocop_shared.devstack.demo import (
    MARKER_FILE,
    PRODUCERS,
    PRODUCTS,
    flow_summary,
    load_demo,
)
from ocop_shared.embedded.ports import free_port

SECRET = "devstack-test-secret-0123456789-abcdefghijklmnop"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _drop(postgres_server, names: list[str]) -> None:  # noqa: ANN001
    async def drop() -> None:
        for name in names:
            await postgres_server.drop_database(name)

    # A private loop in a thread: leaves the session's event loop alone.
    thread = threading.Thread(target=lambda: asyncio.run(drop()))
    thread.start()
    thread.join()


def test_stack_starts_four_ready_services_and_stops_every_child(
    nats_server, postgres_server, tmp_path: Path  # noqa: ANN001
) -> None:
    prefix = f"devstack_{uuid.uuid4().hex[:8]}_"
    stack = Stack(
        data_dir=tmp_path,
        nats_url=nats_server.url,
        database_server_url=postgres_server.url("postgres"),
        jwt_secret=SECRET,
        database_prefix=prefix,
        env={"OCOP_LOG_FORMAT": "json"},
    )
    try:
        with stack:
            pids = stack.pids
            assert set(pids) == set(SERVICES)  # servers given by URL are not started
            assert stack.nats_url == nats_server.url
            assert stack.embedded_nats is None and stack.embedded_postgres is None
            assert all(_alive(pid) for pid in pids.values())
            tokens = stack.tokens()
            with httpx.Client(timeout=5.0, trust_env=False) as http:
                for name, url in stack.service_urls.items():
                    health = http.get(f"{url}/health")
                    assert health.status_code == 200, (name, health.text)
                    ready = http.get(f"{url}/ready")
                    assert ready.status_code == 200, (name, ready.text)
                    assert ready.json()["status"] == "ready"
                    assert ready.json()["service"] == name
                # the services accept the stack's development tokens
                listed = http.get(f"{stack.service_urls['evaluation']}/evaluations",
                                  headers={"Authorization": f"Bearer {tokens['operator']}"})
                assert listed.status_code == 200, listed.text
            assert all(path.exists() for path in stack.log_paths.values())
        assert stack.pids == {}
        left = {name: pid for name, pid in pids.items() if _alive(pid)}
        assert not left, f"still running after stop(): {left}"
        stack.stop()  # idempotent
    finally:
        stack.stop()
        _drop(postgres_server, list(stack.database_names.values()))


def test_demo_runs_a_council_round_and_resumes(
    nats_server, postgres_server, tmp_path: Path  # noqa: ANN001
) -> None:
    stack = Stack(data_dir=tmp_path, nats_url=nats_server.url,
                  database_server_url=postgres_server.url("postgres"), jwt_secret=SECRET,
                  database_prefix=f"demo_{uuid.uuid4().hex[:8]}_")
    try:
        with stack:
            lines: list[str] = []
            state = load_demo(stack.service_urls, SECRET, tmp_path, report=lines.append)
            assert state["complete"] and state["council"] and state["round"]
            assert state["decision"] == "2026/QĐ-UBND"
            assert sorted(state["scored"]) == sorted(p.key for p in PRODUCTS)
            assert any(line.startswith("council score 92 for Trà sen Tây Hồ: 4 stars")
                       for line in lines), lines
            assert any("referred to the Ministry" in line for line in lines), lines
            summary = flow_summary(stack.service_urls, SECRET, tmp_path, wait=60)
            assert summary["caught_up"], summary
            by_name = {p["name"]: p for p in summary["products"]}
            assert by_name["Trà sen Tây Hồ"]["referred_to_ministry"]
            assert [by_name[p.name]["stars"] for p in PRODUCTS] == [4, 4, 3]
            assert all(p["status"] == "certified" for p in summary["products"])

            # an interrupted load resumes: the council, round and decision are found again
            marker = tmp_path / MARKER_FILE
            partial = json.loads(marker.read_text("utf-8"))
            partial.update(complete=False, council=None, round=None, decision=None, scored=[])
            marker.write_text(json.dumps(partial), "utf-8")
            again = load_demo(stack.service_urls, SECRET, tmp_path)
            assert again["complete"] and again["council"] == state["council"]
            assert again["round"] == state["round"] and again["decision"] == "2026/QĐ-UBND"
            repeated: list[str] = []
            load_demo(stack.service_urls, SECRET, tmp_path, report=repeated.append)
            assert repeated == ["demo data already loaded (delete demo.json in the data "
                                "folder to load it again)"]
    finally:
        stack.stop()
        _drop(postgres_server, list(stack.database_names.values()))


def test_unreachable_database_server_fails_fast_with_a_clear_error(
    nats_server, tmp_path: Path  # noqa: ANN001
) -> None:
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    stack = Stack(data_dir=tmp_path, nats_url=nats_server.url, database_server_url=dead,
                  jwt_secret=SECRET)
    try:
        stack.start()
    except StackError as exc:
        assert "cannot create the service databases" in str(exc)
        assert dead in str(exc)
    else:
        raise AssertionError("start() should have failed")
    finally:
        stack.stop()
    assert stack.pids == {}


def test_generated_secret_is_kept_in_the_data_folder(tmp_path: Path) -> None:
    first = load_or_create_secret(tmp_path)
    assert len(first) >= 32
    assert load_or_create_secret(tmp_path) == first
    assert (tmp_path / "jwt-secret").stat().st_mode & 0o777 == 0o600


def test_demo_data_uses_real_wards_of_ha_noi() -> None:
    from vietnam_provinces import Ward

    for producer in PRODUCERS:
        ward = Ward.from_code(int(producer.commune_code))
        assert int(ward.province_code) == 1, producer
        assert ward.name == producer.commune_name
    assert sorted(p.final_score for p in PRODUCTS) == [61, 78, 92]


def test_demo_products_use_known_product_sets() -> None:
    from ocop_shared.contracts.classification import product_set

    for product in PRODUCTS:
        product_set(product.product_set)  # KeyError naming the code if unknown


def test_up_help_shows_an_example() -> None:
    result = CliRunner().invoke(app, ["up", "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "Examples" in result.output and "ocop-dev up" in result.output


# --------------------------------------------------------------------------- the mail sink


def _vietnamese_email(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Văn phòng OCOP <no-reply@ocop.local>"
    message["To"] = f"Nguyễn Thị Hoa <{to}>"
    message["Subject"] = "Sản phẩm Trà sen Tây Hồ đạt 4 sao"
    message.set_content("Kính gửi chị Hoa,\n\nTrà sen Tây Hồ đạt 92 điểm, xếp hạng 4 sao "
                        "(Quyết định số 2026/QĐ-UBND).\n")
    return message


async def test_mail_sink_keeps_a_vietnamese_email_and_the_cli_shows_it(tmp_path: Path) -> None:
    mail_dir = tmp_path / "mail"
    with MailSinkProcess(mail_dir, log_path=tmp_path / "mailsink.log") as sink:
        pid = sink.pid
        assert pid is not None and _alive(pid)
        assert list_messages(mail_dir) == []
        await aiosmtplib.send(_vietnamese_email("hoa@example.vn"), hostname=sink.host,
                              port=sink.port, timeout=10)
        await aiosmtplib.send(_vietnamese_email("lan@example.vn"), hostname=sink.host,
                              port=sink.port, timeout=10)

        newest, oldest = list_messages(mail_dir)
        assert newest.to == ["lan@example.vn"] and oldest.to == ["hoa@example.vn"]
        assert oldest.subject == "Sản phẩm Trà sen Tây Hồ đạt 4 sao"
        assert oldest.sender == "Văn phòng OCOP <no-reply@ocop.local>"
        assert (mail_dir / f"{oldest.id}.eml").is_file()
        index = [json.loads(line) for line in
                 (mail_dir / "index.jsonl").read_text("utf-8").splitlines()]
        assert [set(line) for line in index] == [{"id", "received_at", "from", "to",
                                                  "subject"}] * 2

        message = read_message(mail_dir, oldest.id)
        assert dict(message.headers)["To"] == "Nguyễn Thị Hoa <hoa@example.vn>"
        assert dict(message.headers)["Subject"] == "Sản phẩm Trà sen Tây Hồ đạt 4 sao"
        assert "Trà sen Tây Hồ đạt 92 điểm, xếp hạng 4 sao" in message.body
        assert "2026/QĐ-UBND" in message.body
        with pytest.raises(MailNotFound):
            read_message(mail_dir, "19990101-000000-000000")
        with pytest.raises(MailNotFound):
            read_message(mail_dir, "../../etc/passwd")

        runner = CliRunner()
        env = {"COLUMNS": "200", "OCOP_DATA_DIR": str(tmp_path)}
        listed = runner.invoke(app, ["mail"], env=env)
        assert listed.exit_code == 0, listed.output
        assert newest.id in listed.output and oldest.id in listed.output
        assert listed.output.index(newest.id) < listed.output.index(oldest.id)
        assert "Sản phẩm Trà sen Tây Hồ đạt 4 sao" in listed.output
        one = runner.invoke(app, ["mail", "--limit", "1"], env=env)
        assert newest.id in one.output and oldest.id not in one.output

        shown = runner.invoke(app, ["mail", "show", oldest.id[:-2], "--data-dir",
                                    str(tmp_path)], env={"COLUMNS": "200"})
        assert shown.exit_code == 0, shown.output
        assert "Subject: Sản phẩm Trà sen Tây Hồ đạt 4 sao" in shown.output
        assert "To: Nguyễn Thị Hoa <hoa@example.vn>" in shown.output
        assert "Trà sen Tây Hồ đạt 92 điểm" in shown.output
        missing = runner.invoke(app, ["mail", "show", "19990101"], env=env)
        assert missing.exit_code == 1
    assert not _alive(pid)
    assert "stored" in (tmp_path / "mailsink.log").read_text("utf-8")


def test_mail_cli_help_shows_examples_and_an_empty_folder_says_so(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"COLUMNS": "120", "OCOP_DATA_DIR": str(tmp_path)}
    listing = runner.invoke(app, ["mail", "--help"], env=env)
    assert listing.exit_code == 0 and "Examples" in listing.output
    assert "ocop-dev mail show" in listing.output
    showing = runner.invoke(app, ["mail", "show", "--help"], env=env)
    assert showing.exit_code == 0 and "Example" in showing.output
    assert "ocop-dev mail show" in showing.output
    empty = runner.invoke(app, ["mail"], env=env)
    assert empty.exit_code == 0 and "no emails" in empty.output


def test_stack_starts_the_mail_sink_and_points_notifications_at_it(
    nats_server, postgres_server, tmp_path: Path  # noqa: ANN001
) -> None:
    stack = Stack(data_dir=tmp_path, nats_url=nats_server.url,
                  database_server_url=postgres_server.url("postgres"), jwt_secret=SECRET,
                  database_prefix=f"mail_{uuid.uuid4().hex[:8]}_", services=("registry",),
                  mail_sink=True, env={"OCOP_NOTIFICATIONS_SMTP_USERNAME": "someone"})
    try:
        with stack:
            pids = stack.pids
            assert set(pids) == {"registry", "mailsink"}
            assert stack.smtp_url == f"smtp://127.0.0.1:{stack.mail_sink.port}"
            service = stack._services["registry"]
            env = stack._service_env(service)
            assert env["OCOP_NOTIFICATIONS_SMTP_HOST"] == "127.0.0.1"
            assert env["OCOP_NOTIFICATIONS_SMTP_PORT"] == str(stack.mail_sink.port)
            assert "OCOP_NOTIFICATIONS_SMTP_USERNAME" not in env
            state = json.loads((tmp_path / "stack.json").read_text("utf-8"))
            assert state["mail_dir"] == str(tmp_path / "mail")
            assert state["pids"]["mailsink"] == pids["mailsink"]
        assert not _alive(pids["mailsink"]) and not _alive(pids["registry"])
        assert stack.pids == {}
    finally:
        stack.stop()
        _drop(postgres_server, list(stack.database_names.values()))
