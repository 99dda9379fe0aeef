"""The one Prometheus/Alertmanager launcher (tests/sim/processes.py) that e2e, multi-cluster and bench/scale.py use."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from gitea_provider_monitoring.check.promtool import find_tool
from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.render.compiler import build
from tests.sim.processes import AlertmanagerProcess, PrometheusProcess, stop_all

PROMETHEUS, ALERTMANAGER = find_tool("prometheus"), find_tool("alertmanager")
pytestmark = pytest.mark.skipif(not (PROMETHEUS and ALERTMANAGER), reason="prometheus/alertmanager not found: run `make tools`")


def _answers(url: str) -> bool:
    try:
        return requests.get(url + "/-/ready", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_servers_are_ready_when_started_and_gone_when_stopped(tmp_path: Path) -> None:
    build(Config(), tmp_path / "build")
    assert PROMETHEUS and ALERTMANAGER
    am = AlertmanagerProcess(ALERTMANAGER, tmp_path / "build" / "alertmanager" / "alertmanager.yml", tmp_path / "am",
                             tmp_path / "am.log")
    central = PrometheusProcess(PROMETHEUS, {"global": {"evaluation_interval": "1m"}}, tmp_path / "central.yml",
                                tmp_path / "tsdb", tmp_path / "central.log", "--web.enable-remote-write-receiver")
    agent = PrometheusProcess(PROMETHEUS, {"remote_write": [{"url": central.url + "/api/v1/write"}]},
                              tmp_path / "agent.yml", tmp_path / "agent", tmp_path / "agent.log", agent=True)
    servers = [am, central, agent]
    try:
        assert len({s.port for s in servers}) == 3
        assert all(_answers(s.url) for s in servers)
        assert "remote_write" in (tmp_path / "agent.yml").read_text()  # the config it was given, written as YAML
        assert (tmp_path / "agent").is_dir() and (tmp_path / "tsdb").is_dir()  # agent WAL vs TSDB
    finally:
        stop_all(servers)
    assert [s.proc.returncode for s in servers] == [0, 0, 0]
    assert not any(_answers(s.url) for s in servers)


def test_a_server_that_exits_fails_at_once_with_its_log(tmp_path: Path) -> None:
    assert PROMETHEUS
    with pytest.raises(RuntimeError, match=r"(?s)prometheus did not get ready: .*exited.*no-such-flag"):
        PrometheusProcess(PROMETHEUS, {}, tmp_path / "p.yml", tmp_path / "tsdb", tmp_path / "p.log", "--no-such-flag",
                          ready_timeout=600)  # returns on the exit, not after the timeout
