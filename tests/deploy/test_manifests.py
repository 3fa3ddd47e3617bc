"""The deployment files, checked without a cluster or a container engine.

* deploy/k8s: the committed rendering is current; every manifest is valid against the
  Kubernetes OpenAPI schemas (kubernetes-validate ships them, strict: unknown fields fail);
  and the structure we rely on: probes, non-root, resources, secrets, migration Jobs,
  Services selecting their Deployments.
* deploy/compose/compose.yaml: 3 NATS nodes routed to each other, health checks, services
  that wait for their migrations.
* deploy/docker/Dockerfile: a non-root USER and a HEALTHCHECK in the final stage.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
RENDERED = DEPLOY / "k8s" / "rendered" / "ocop.yaml"
SERVICES = ("registry", "evaluation", "promotion", "notifications")
KUBERNETES_VERSIONS = ("1.29.0", "1.37.0")  # the oldest we support and the newest schemas


def _load_renderer():
    spec = importlib.util.spec_from_file_location("ocop_k8s_render", DEPLOY / "k8s" / "render.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


render = _load_renderer()


@pytest.fixture(scope="module")
def manifests() -> list[dict]:
    return [d for d in yaml.safe_load_all(RENDERED.read_text(encoding="utf-8")) if d]


def _of_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def _container(doc: dict) -> dict:
    (container,) = doc["spec"]["template"]["spec"]["containers"]
    return container


def _env(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env", [])}


# ----------------------------------------------------------------------------- Kubernetes


def test_rendered_manifests_are_current() -> None:
    values = render.load_values(render.DEFAULT_VALUES)
    assert RENDERED.read_text(encoding="utf-8") == render.dump(render.render(values)), (
        "deploy/k8s/rendered/ocop.yaml is stale: run `python deploy/k8s/render.py`")


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_matches_the_kubernetes_schema(manifests: list[dict], version: str) -> None:
    errors = []
    for doc in manifests:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message}")
    assert not errors, "\n".join(errors)


def test_the_schema_check_rejects_a_broken_deployment(manifests: list[dict]) -> None:
    broken = yaml.safe_load(yaml.safe_dump(_of_kind(manifests, "Deployment")["ocop-registry"]))
    _container(broken)["readinessProbe"]["httpGet"]["paht"] = "/ready"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)


def test_each_service_has_a_deployment_job_service_and_config(manifests: list[dict]) -> None:
    deployments = _of_kind(manifests, "Deployment")
    services = _of_kind(manifests, "Service")
    config_maps = _of_kind(manifests, "ConfigMap")
    jobs = _of_kind(manifests, "Job")
    for name in SERVICES:
        assert f"ocop-{name}" in deployments and f"ocop-{name}" in services
        assert f"ocop-{name}" in config_maps
        migrations = [j for j in jobs.values()
                      if _container(j)["command"] == [f"ocop-{name}", "migrate", "head"]]
        assert len(migrations) == 1, f"{name}: one migration Job expected"
        labels = migrations[0]["metadata"]["labels"]
        assert labels["app.kubernetes.io/component"] == "migration"
        assert labels["app.kubernetes.io/version"] == _container(
            deployments[f"ocop-{name}"])["image"].rsplit(":", 1)[1], "Job and image versions"
    assert any(_container(j)["command"] == ["ocop", "streams", "apply", "--yes"]
               for j in jobs.values()), "a Job provisions the streams"


def test_deployments_probe_health_and_readiness_on_the_container_port(
        manifests: list[dict]) -> None:
    for name, doc in _of_kind(manifests, "Deployment").items():
        container = _container(doc)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        config = _of_kind(manifests, "ConfigMap")[name]["data"]
        service = name.removeprefix("ocop-")
        listen = int(config[f"OCOP_{service.upper()}_HTTP_PORT"])
        for probe, path in (("readinessProbe", "/ready"), ("livenessProbe", "/health")):
            get = container[probe]["httpGet"]
            assert get["path"] == path, f"{name} {probe}"
            port = ports.get(get["port"], get["port"])
            assert port == listen, f"{name} {probe} probes {port}, the service listens on {listen}"
        assert config[f"OCOP_{service.upper()}_HTTP_HOST"] == "0.0.0.0"
        assert container["command"] == [f"ocop-{service}", "serve", "--no-migrate"]


def test_deployments_run_as_non_root_with_resources(manifests: list[dict]) -> None:
    for name, doc in _of_kind(manifests, "Deployment").items():
        pod = doc["spec"]["template"]["spec"]
        container = _container(doc)
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] != 0, name
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][kind]), f"{name} {kind}"


def test_secrets_come_from_secrets_and_nowhere_else(manifests: list[dict]) -> None:
    for name, doc in _of_kind(manifests, "Deployment").items():
        service = name.removeprefix("ocop-")
        env = _env(_container(doc))
        assert env["OCOP_JWT_SECRET"]["valueFrom"]["secretKeyRef"]["key"] == "jwt-secret"
        password = f"OCOP_{service.upper()}_DATABASE_PASSWORD"
        assert "secretKeyRef" in env[password]["valueFrom"]
        url = env[f"OCOP_{service.upper()}_DATABASE_URL"]["value"]
        assert f"$({password})" in url, "the database URL takes its password from the Secret"
        names = list(env)
        assert names.index(password) < names.index(f"OCOP_{service.upper()}_DATABASE_URL"), (
            "Kubernetes only expands $(VAR) defined earlier")
        assert "secretKeyRef" in env["OCOP_NATS_PASSWORD"]["valueFrom"]
    assert not _of_kind(manifests, "Secret"), "Secrets are created by the operator, not rendered"
    for doc in manifests:
        for container in doc.get("spec", {}).get("template", {}).get("spec", {}).get(
                "containers", []):
            for e in container.get("env", []):
                if re.search(r"PASSWORD|SECRET|TOKEN", e["name"]):
                    assert "value" not in e, f"{doc['metadata']['name']}: {e['name']} hard-coded"
        for key in (doc.get("data") or {}):
            assert not re.search(r"PASSWORD|SECRET|TOKEN", key), f"ConfigMap key {key}"


def test_the_renderer_refuses_a_secret_in_values() -> None:
    values = render.load_values(render.DEFAULT_VALUES)
    values["services"]["registry"]["env"] = {"OCOP_JWT_SECRET": "not-here"}
    with pytest.raises(render.ValuesError, match="OCOP_JWT_SECRET"):
        render.render(values)


def test_services_select_their_deployments_pods(manifests: list[dict]) -> None:
    deployments = _of_kind(manifests, "Deployment")
    for name, service in _of_kind(manifests, "Service").items():
        deployment = deployments[name]
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        selector = service["spec"]["selector"]
        assert selector.items() <= pod_labels.items(), name
        assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        ports = {p["name"]: p["containerPort"] for p in _container(deployment)["ports"]}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in ports or port["targetPort"] in ports.values(), name
    selectors = [tuple(sorted(s["spec"]["selector"].items()))
                 for s in _of_kind(manifests, "Service").values()]
    assert len(set(selectors)) == len(selectors), "two Services select the same pods"


def test_jobs_do_not_select_as_servers(manifests: list[dict]) -> None:
    """A migration pod must never receive traffic meant for the service."""
    for job in _of_kind(manifests, "Job").values():
        labels = job["spec"]["template"]["metadata"]["labels"]
        for service in _of_kind(manifests, "Service").values():
            assert not service["spec"]["selector"].items() <= labels.items()


# ----------------------------------------------------------------------------- compose


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose" / "compose.yaml").read_text(encoding="utf-8"))


def _flag(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


def test_compose_runs_three_nats_nodes_routed_to_each_other(compose: dict) -> None:
    nodes = {n: s for n, s in compose["services"].items() if re.fullmatch(r"nats-\d", n)}
    assert sorted(nodes) == ["nats-1", "nats-2", "nats-3"]
    cluster_names = set()
    for name, node in nodes.items():
        command = node["command"]
        assert _flag(command, "-c") == f"/etc/nats/cluster/{name}.conf"
        assert any(v.endswith(":/etc/nats:ro") and v.startswith("../nats") for v in node["volumes"])
        conf = (DEPLOY / "nats" / "cluster" / f"{name}.conf").read_text(encoding="utf-8")
        assert re.search(rf"server_name:\s*{name}\b", conf)
        assert re.search(r"sync_interval:\s*always", conf), f"{name}: acked writes are fsynced"
        cluster = re.search(r"cluster\s*\{(.*?)\n\}", conf, re.DOTALL).group(1)
        routes = set(re.findall(r"nats-route://([\w-]+):6222", cluster))
        assert routes == set(nodes) - {name}, f"{name} routes to {routes}"
        cluster_names.add(re.search(r"name:\s*(\S+)", cluster).group(1))
        assert re.search(r'include\s+"\.\./auth\.conf"', conf)
        assert any(v.endswith(":/data") for v in node["volumes"]), f"{name}: a volume for JetStream"
    assert len(cluster_names) == 1
    for service in SERVICES:
        urls = compose["services"][service]["environment"]["OCOP_NATS_URL"].split(",")
        assert sorted(re.match(r"nats://([^:]+):", u).group(1) for u in urls) == sorted(nodes)


def test_compose_services_are_health_checked_and_wait_for_migrations(compose: dict) -> None:
    services = compose["services"]
    one_shot = {n for n, s in services.items() if s.get("restart") == "no"}
    assert {f"{name}-migrate" for name in SERVICES} | {"provision"} <= one_shot
    for name, service in services.items():
        if name not in one_shot:
            assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
    for name in SERVICES:
        service = services[name]
        deps = service["depends_on"]
        assert deps[f"{name}-migrate"]["condition"] == "service_completed_successfully"
        assert deps["provision"]["condition"] == "service_completed_successfully"
        assert deps["postgres"]["condition"] == "service_healthy"
        assert services[f"{name}-migrate"]["command"] == ["migrate", "head"]
        assert service["command"] == ["serve", "--no-migrate"]
        env = service["environment"]
        assert env[f"OCOP_{name.upper()}_DATABASE_URL"].endswith(f"@postgres:5432/ocop_{name}")
        assert ".env" in service["env_file"], "OCOP_JWT_SECRET comes from the env file"
        assert "OCOP_JWT_SECRET" not in env
    assert services["notifications"]["environment"]["OCOP_NOTIFICATIONS_SMTP_HOST"] == "mailsink"


def test_compose_postgres_is_16_with_an_init_script_for_the_four_databases(compose: dict) -> None:
    postgres = compose["services"]["postgres"]
    assert re.search(r"postgres:16\b", postgres["image"])
    assert "./postgres-init:/docker-entrypoint-initdb.d:ro" in postgres["volumes"]
    script = (DEPLOY / "compose" / "postgres-init" / "10-ocop-databases.sh").read_text()
    assert "registry evaluation promotion notifications" in script


def test_compose_env_example_names_every_variable_compose_requires(compose: dict) -> None:
    text = (DEPLOY / "compose" / "compose.yaml").read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{(\w+):\?", text))
    example = (DEPLOY / "compose" / "env.example").read_text(encoding="utf-8")
    defined = set(re.findall(r"^(\w+)=", example, re.MULTILINE))
    assert required and required <= defined, required - defined
    assert "OCOP_JWT_SECRET" in defined


# ----------------------------------------------------------------------------- images


def _final_stage(dockerfile: Path) -> list[str]:
    lines = [ln.strip() for ln in dockerfile.read_text(encoding="utf-8").splitlines()]
    starts = [i for i, ln in enumerate(lines) if ln.upper().startswith("FROM ")]
    assert starts, f"{dockerfile}: no FROM"
    return [ln for ln in lines[starts[-1]:] if ln and not ln.startswith("#")]


def test_every_dockerfile_runs_as_a_non_root_user_with_a_health_check() -> None:
    dockerfiles = sorted((DEPLOY / "docker").glob("*Dockerfile"))
    assert dockerfiles
    for dockerfile in dockerfiles:
        stage = _final_stage(dockerfile)
        users = [ln.split()[1] for ln in stage if ln.upper().startswith("USER ")]
        assert users and users[-1].split(":")[0] not in ("root", "0"), dockerfile
        assert any(ln.upper().startswith("HEALTHCHECK ") for ln in stage), dockerfile
        assert any(ln.upper().startswith("EXPOSE ") for ln in stage), dockerfile
        assert '"--no-migrate"' in [ln for ln in stage if ln.startswith("CMD ")][-1], dockerfile
        assert "python:3.11-slim" in dockerfile.read_text(encoding="utf-8")
        assert "constraints.txt" in dockerfile.read_text(encoding="utf-8")


def test_the_service_command_line_accepts_no_migrate() -> None:
    from ocop_promotion.bootstrap import build_definition
    from ocop_promotion.settings import PromotionSettings
    from ocop_shared.service_cli import service_cli
    from typer.testing import CliRunner

    cli = service_cli(build_definition, PromotionSettings)
    result = CliRunner().invoke(cli, ["serve", "--help"], env={"OCOP_JWT_SECRET": "x" * 32})
    assert result.exit_code == 0, result.output
    assert "--no-migrate" in result.output
