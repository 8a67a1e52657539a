"""compose.yaml and the launcher describe the same topology: services, ports, commands, environment.

The committed compose.yaml is read as an operator's ``docker compose`` would read it and compared with what
``revflow up`` starts: every component of the topology, on its port, with the launcher's command and the
launcher's environment once compose host names are mapped back to 127.0.0.1. Around them: Redis with an
fsynced append-only file, health checks that really probe, a start order in which nothing starts before what
it points at, traces flowing to the collector and on to Jaeger, and replicas that can all start.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from click.testing import CliRunner

from revflow import launcher
from revflow.cli import cli
from revflow.compose import COMPOSE_FILE, build_compose, render
from revflow.topology import TOPOLOGY, Component, component
from services.runtime.testing import free_port, serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER_REDIS = "redis://127.0.0.1:6379/0"
URL = re.compile(r"\b(?P<scheme>https?|redis)://(?P<host>[A-Za-z0-9_.-]+):(?P<port>\d+)")


def _host(item: Component) -> str:
    return item.name.replace("_", "-")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return document["services"]


@pytest.fixture
def launcher_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """What ``revflow up`` gives its processes, free of whatever this shell happens to export."""
    for key in list(os.environ):
        if key.startswith(("REVFLOW_", "OTEL_")) or key == "REDIS_URL":
            monkeypatch.delenv(key)
    return launcher._environment(LAUNCHER_REDIS, TOPOLOGY)


def _env(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as the container sees it (``$$`` is compose's literal dollar)."""
    return {key: str(value).replace("$$", "$") for key, value in service.get("environment", {}).items()}


def _to_loopback(value: str, services: dict[str, dict[str, Any]]) -> str:
    """A compose value rewritten for processes on loopback: ``http://salesforce:8203`` -> 127.0.0.1:8203."""
    def replace(match: re.Match[str]) -> str:
        host, port = match["host"], int(match["port"])
        if match["scheme"] == "redis":
            assert host in services, f"{match[0]} names no compose service"
            return LAUNCHER_REDIS.rsplit("/", 1)[0]
        target = next(c for c in TOPOLOGY if _host(c) == host)
        assert target.port == port, f"{match[0]}: {target.name} listens on {target.port}"
        return f"{match['scheme']}://127.0.0.1:{port}"
    return URL.sub(replace, value)


def _targets(service: dict[str, Any]) -> set[str]:
    """Compose services named by URLs in the service's environment."""
    return {m["host"] for value in _env(service).values() for m in URL.finditer(value)}


def _serves(item: Component) -> bool:
    return launcher.command(item)[0] == "serve"


def _published_host_ports(service: dict[str, Any]) -> list[str]:
    return [str(p).rsplit(":", 2)[1] for p in service.get("ports", []) if str(p).count(":") == 2]


class TestCheckCommand:
    def test_committed_compose_file_is_current(self) -> None:
        result = CliRunner().invoke(cli, ["compose", "check"])
        assert result.exit_code == 0, result.output
        assert "compose OK" in result.output

    def test_a_stale_file_fails_with_a_diff_naming_the_change(self, tmp_path: Path) -> None:
        stale = tmp_path / "compose.yaml"
        stale.write_text(COMPOSE_FILE.read_text(encoding="utf-8").replace("127.0.0.1:8203:8203", "127.0.0.1:9203:8203"),
                         encoding="utf-8")
        result = CliRunner().invoke(cli, ["compose", "check", "--file", str(stale)])
        assert result.exit_code == 1
        assert "STALE compose.yaml" in result.stderr
        assert "-    - 127.0.0.1:9203:8203" in result.stderr
        assert "+    - 127.0.0.1:8203:8203" in result.stderr

    def test_a_missing_file_is_stale(self, tmp_path: Path) -> None:
        result = CliRunner().invoke(cli, ["compose", "check", "--file", str(tmp_path / "compose.yaml")])
        assert result.exit_code == 1
        assert "STALE" in result.stderr

    def test_export_writes_what_check_accepts(self, tmp_path: Path) -> None:
        target = tmp_path / "compose.yaml"
        assert CliRunner().invoke(cli, ["compose", "export", "--file", str(target)]).exit_code == 0
        assert target.read_text(encoding="utf-8") == COMPOSE_FILE.read_text(encoding="utf-8")
        assert CliRunner().invoke(cli, ["compose", "check", "--file", str(target)]).exit_code == 0


class TestSameTopologyAsTheLauncher:
    def test_every_component_runs_with_its_port_and_the_launchers_command(self, services: dict[str, Any]) -> None:
        for item in TOPOLOGY:
            service = services[_host(item)]
            assert service["image"] == services["issuer"]["image"], item.name
            bind = ["--host", "0.0.0.0"] if _serves(item) else []  # a served port must be reachable from the network
            assert service["command"] == [*launcher.command(item), *bind], item.name
            replicated = service.get("deploy", {}).get("replicas", 1) > 1
            host = "127.0.0.1::" if replicated else f"127.0.0.1:{item.port}:"
            assert service.get("ports") == ([f"{host}{item.port}"] if item.port else None), item.name
        revflow_services = {name for name, s in services.items() if s.get("image") == services["issuer"]["image"]}
        assert revflow_services == {_host(c) for c in TOPOLOGY}

    def test_environment_is_the_launchers_with_compose_host_names(self, services: dict[str, Any],
                                                                  launcher_env: dict[str, str]) -> None:
        for item in TOPOLOGY:
            env = _env(services[_host(item)])
            compose_only = {"OTEL_EXPORTER_OTLP_ENDPOINT"}
            for key, value in env.items():
                assert "127.0.0.1" not in value and "localhost" not in value, (item.name, key, value)
                if key not in compose_only:
                    assert launcher_env.get(key) == _to_loopback(value, services), (item.name, key, value)
            longer = [c.name for c in TOPOLOGY if c.name.startswith(f"{item.name}_")]  # crm vs crm_panel
            own = {k for k in launcher_env if k.startswith(f"REVFLOW_{item.name.upper()}_")
                   and not any(k.startswith(f"REVFLOW_{name.upper()}_") for name in longer)}
            expected = own | ({"REDIS_URL", "REVFLOW_ISSUER_URL"} if item.kind != "sandbox" else set())
            assert expected <= set(env), (item.name, expected - set(env))

    def test_the_wiring_points_containers_at_each_other(self, services: dict[str, Any]) -> None:
        crm = _env(services["crm"])
        assert crm["REVFLOW_CRM_VENDOR_URL"] == f"http://salesforce:{component('salesforce').port}"
        assert crm["REDIS_URL"] == "redis://redis:6379/0"
        assert crm["REVFLOW_ISSUER_URL"] == f"http://issuer:{component('issuer').port}"
        assert _env(services["issuer"])["REVFLOW_ISSUER_URL"] == crm["REVFLOW_ISSUER_URL"]  # the `iss` they check

    def test_no_value_is_mangled_by_compose_interpolation(self) -> None:
        dollars = re.findall(r"\$+", COMPOSE_FILE.read_text(encoding="utf-8"))
        assert all(len(run) % 2 == 0 for run in dollars), dollars


class TestRedis:
    def test_append_only_file_fsynced_on_every_write_on_a_volume(self, document: dict[str, Any]) -> None:
        redis = document["services"]["redis"]
        assert redis["image"].startswith("redis:7")
        args = redis["command"]
        assert args[args.index("--appendonly") + 1] == "yes"
        assert args[args.index("--appendfsync") + 1] == "always"
        volume, _, mount = redis["volumes"][0].partition(":")
        assert mount == "/data" and volume in document["volumes"]

    def test_every_service_uses_it_once_it_is_healthy(self, services: dict[str, Any]) -> None:
        assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
        for item in TOPOLOGY:
            if item.kind != "sandbox":
                service = services[_host(item)]
                assert urlparse(_env(service)["REDIS_URL"]).hostname == "redis"
                assert service["depends_on"]["redis"] == {"condition": "service_healthy"}, item.name


class TestHealthAndStartOrder:
    def test_every_component_is_probed_on_its_own_port(self, services: dict[str, Any]) -> None:
        for item in filter(_serves, TOPOLOGY):
            check = services[_host(item)]["healthcheck"]
            assert check["test"][:3] == ["CMD", "python", "-c"], item.name
            assert f"'127.0.0.1', {item.port}," in check["test"][3] and "'/health'" in check["test"][3], item.name

    def _probe(self, services: dict[str, Any], name: str, port: int) -> int:
        probe = services[name]["healthcheck"]["test"][3]
        probe = probe.replace(f"'127.0.0.1', {component(name).port},", f"'127.0.0.1', {port},")
        return subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=30).returncode

    def test_the_probes_pass_on_a_live_component_and_fail_without_one(self, services: dict[str, Any]) -> None:
        with serve_in_thread(component("issuer").create_app()) as issuer, \
                serve_in_thread(component("stripe").create_app()) as stripe:
            assert self._probe(services, "issuer", issuer.port) == 0
            assert self._probe(services, "stripe", stripe.port) == 0  # a sandbox: any answer below 500
            assert self._probe(services, "issuer", stripe.port) != 0  # a service must answer /health with 200
        assert self._probe(services, "issuer", free_port()) != 0
        assert self._probe(services, "stripe", free_port()) != 0

    def test_nothing_starts_before_what_it_points_at(self, services: dict[str, Any]) -> None:
        for item in TOPOLOGY:
            service = services[_host(item)]
            for target in _targets(service) - {_host(item)}:
                condition = "service_healthy" if "healthcheck" in services[target] else "service_started"
                assert service.get("depends_on", {}).get(target) == {"condition": condition}, (item.name, target)

    def test_sandboxes_and_the_issuer_start_before_every_system_service(self, services: dict[str, Any]) -> None:
        order = self._start_order(services)
        for item in TOPOLOGY:
            if item.kind == "system":
                pointed = [t for t in _targets(services[_host(item)]) if t in {_host(c) for c in TOPOLOGY}]
                assert "issuer" in pointed, item.name
                assert all(order.index(t) < order.index(_host(item)) for t in pointed), item.name

    @staticmethod
    def _start_order(services: dict[str, Any]) -> list[str]:
        """The order compose can start services in; fails on a dependency cycle."""
        order: list[str] = []
        waiting = {name: set(s.get("depends_on", {})) for name, s in services.items()}
        while waiting:
            ready = sorted(name for name, needs in waiting.items() if needs <= set(order))
            assert ready, f"dependency cycle among {sorted(waiting)}"
            order += ready
            for name in ready:
                del waiting[name]
        return order


class TestTraces:
    def test_every_service_exports_to_the_collector_which_exports_to_jaeger(self, services: dict[str, Any]) -> None:
        collector = services["otel-collector"]
        assert collector["image"].startswith("otel/opentelemetry-collector-contrib:")
        config_path = collector["command"][0].removeprefix("--config=")
        source, mount = next((v.split(":")[0], v.split(":")[1]) for v in collector["volumes"] if config_path in v)
        assert mount == config_path
        config = yaml.safe_load((ROOT / source).read_text(encoding="utf-8"))
        http_port = int(config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].rsplit(":", 1)[1])
        for item in TOPOLOGY:
            if item.kind != "sandbox":
                endpoint = urlparse(_env(services[_host(item)])["OTEL_EXPORTER_OTLP_ENDPOINT"])
                assert (endpoint.hostname, endpoint.port) == ("otel-collector", http_port), item.name

        pipeline = config["service"]["pipelines"]["traces"]
        assert "otlp" in pipeline["receivers"]
        endpoints = [config["exporters"][name]["endpoint"] for name in pipeline["exporters"]]
        jaeger = services["jaeger"]
        assert "jaeger:4317" in endpoints
        assert jaeger["image"].startswith("jaegertracing/all-in-one:")
        assert jaeger["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"
        assert "127.0.0.1:16686:16686" in jaeger["ports"]


class TestScaleOut:
    def test_process_and_partner_run_replicas_that_can_all_bind(self) -> None:
        services = build_compose(TOPOLOGY)["services"]
        for name, port in (("quote-to-cash", 8110), ("partner", 8120)):
            assert services[name]["deploy"] == {"replicas": 2}
            assert services[name]["ports"] == [f"127.0.0.1::{port}"]  # each replica gets its own host port
        fixed = [port for s in services.values() for port in _published_host_ports(s) if port]
        assert len(fixed) == len(set(fixed)), fixed
        for name, port in (("crm", 8101), ("ops-console", 8121)):  # people bookmark the console's fixed port
            assert "deploy" not in services[name]
            assert services[name]["ports"] == [f"127.0.0.1:{port}:{port}"]

    def test_a_worker_runs_its_own_command_without_a_port(self) -> None:
        worker = build_compose(TOPOLOGY)["services"]["quote-to-cash-worker"]
        assert worker["command"] == ["worker", "quote_to_cash"]
        assert "ports" not in worker and "healthcheck" not in worker
        assert worker["depends_on"]["issuer"] == {"condition": "service_healthy"}

    def test_the_rendered_document_reads_back_unchanged(self) -> None:
        document = build_compose(TOPOLOGY)
        assert yaml.safe_load(render(document)) == document
