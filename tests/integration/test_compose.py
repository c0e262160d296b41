"""The production compose file, as Docker Compose reads it (no engine runs here: `config`
resolves and validates the file without one), and the image it builds."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripted.processes import clean_environment

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "example.env"
LONG_RUNNING = {"postgres", "temporal", "worker", "web", "proxy"}
ONE_SHOT = {"temporal-schema", "temporal-namespace", "migrate"}


def compose_command() -> list[str]:
    """`docker compose` where the plugin is installed, else Debian's `docker-compose`."""
    if shutil.which("docker"):
        plugin = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if plugin.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.fail(
        "neither `docker compose` nor `docker-compose` is installed (make test installs it)"
    )


def config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = clean_environment()
    clean.pop("POSTGRES_PASSWORD", None)
    clean.pop("SMTP_URL", None)
    return subprocess.run(
        [*compose_command(), "--project-directory", str(ROOT), "-f", "docker-compose.yml",
         "config"],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def example_env() -> dict[str, str]:
    lines = EXAMPLE.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


@pytest.fixture(scope="module")
def resolved() -> dict[str, Any]:
    answer = config(example_env())
    assert answer.returncode == 0, answer.stderr
    return yaml.safe_load(answer.stdout)  # type: ignore[no-any-return]


def test_the_compose_file_is_valid_with_the_documented_environment(
    resolved: dict[str, Any],
) -> None:
    assert set(resolved["services"]) == LONG_RUNNING | ONE_SHOT | {"temporal-ui"}
    images = [s.get("image", "") for s in resolved["services"].values()]
    assert not any("auto-setup" in image for image in images)  # deprecated
    assert resolved["services"]["temporal-schema"]["image"].startswith("temporalio/admin-tools:")


@pytest.mark.parametrize("secret", ["DIGIVOL_SECRET_KEY", "DIGIVOL_ENCRYPTION_KEY"])
def test_a_missing_secret_stops_the_configuration_and_names_it(secret: str) -> None:
    env = example_env()
    del env[secret]
    answer = config(env)
    assert answer.returncode != 0 and f"set {secret}" in answer.stderr


def test_services_start_in_order_and_say_when_they_are_healthy(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    for name in LONG_RUNNING:
        assert "healthcheck" in services[name], f"{name} has no health check"
    needs = {name: s.get("depends_on", {}) for name, s in services.items()}
    assert needs["temporal"]["temporal-schema"]["condition"] == "service_completed_successfully"
    assert needs["temporal-namespace"]["temporal"]["condition"] == "service_healthy"
    for app in ("web", "worker"):
        assert needs[app]["migrate"]["condition"] == "service_completed_successfully"
        assert needs[app]["temporal-namespace"]["condition"] == "service_completed_successfully"
    assert needs["migrate"]["postgres"]["condition"] == "service_healthy"


def test_workers_scale_and_the_web_runs_under_gunicorn(resolved: dict[str, Any]) -> None:
    worker, web = resolved["services"]["worker"], resolved["services"]["web"]
    # `--scale worker=4` needs a service with no fixed name and no published port.
    assert "container_name" not in worker and "ports" not in worker
    assert worker["command"] == ["digivol", "worker"] and "stop_grace_period" in worker
    assert web["command"][0] == "gunicorn" and "web.wsgi:app" in web["command"]
    for app in (worker, web):
        env = app["environment"]
        assert env["SMTP_URL"] and env["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["DIGIVOL_LOG_FORMAT"] == "json"


def test_every_variable_the_compose_file_reads_is_documented_in_operations() -> None:
    variables = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "docker-compose.yml").read_text()))
    operations = (ROOT / "docs" / "operations.md").read_text()
    production = operations[operations.index("## Production") :]
    assert len(variables) > 10
    assert sorted(v for v in variables if f"`{v}`" not in production) == []


def test_the_image_is_built_in_stages_and_runs_as_a_user_with_weasyprints_libraries() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, flags=re.M)) >= 2
    assert re.search(r"^USER (?!root)\w+", dockerfile, flags=re.M)
    for library in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"):
        assert library in dockerfile


def test_the_app_runs_in_production_mode_with_one_history_retention(
    resolved: dict[str, Any],
) -> None:
    services = resolved["services"]
    for name in ("worker", "web", "migrate"):
        env = services[name]["environment"]
        assert env["DIGIVOL_ENV"] == "production", name
        assert env["DIGIVOL_SEAL_CHAIN"] and env["DIGIVOL_SEAL_KEY"], name  # from example.env
    namespace_job = services["temporal-namespace"]["environment"]
    worker = services["worker"]["environment"]
    assert (
        namespace_job["DIGIVOL_HISTORY_RETENTION_DAYS"] == worker["DIGIVOL_HISTORY_RETENTION_DAYS"]
    )
    script = (ROOT / "deploy" / "temporal-namespace.sh").read_text()
    assert "${DIGIVOL_HISTORY_RETENTION_DAYS:-30}d" in script
    assert "TEMPORAL_HISTORY_RETENTION" not in script + (ROOT / "docker-compose.yml").read_text()


def test_only_the_proxy_publishes_ports_and_the_web_believes_it_alone(
    resolved: dict[str, Any],
) -> None:
    services = resolved["services"]
    published = sorted(name for name, service in services.items() if service.get("ports"))
    assert published == ["proxy"]  # not the web, not the Temporal UI, not Temporal
    assert {p["target"] for p in services["proxy"]["ports"]} == {80, 443}
    assert services["web"]["environment"]["DIGIVOL_TRUSTED_PROXIES"] == "1"
    assert "DIGIVOL_TRUSTED_PROXIES" not in services["worker"]["environment"]
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in services["proxy"]["volumes"]}
    assert Path(mounts["/etc/caddy/Caddyfile"]) == ROOT / "deploy" / "Caddyfile"


def test_the_worker_is_healthy_while_temporal_sees_it_poll(resolved: dict[str, Any]) -> None:
    assert resolved["services"]["worker"]["healthcheck"]["test"] == [
        "CMD", "digivol", "worker-health"
    ]  # fmt: skip
