"""The provider facts the model rests on (monitoring/model/provider_facts.py) against the provider's source, and every
runbook against those facts: a mitigation may only name a flag that exists and has an effect."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from gitea_provider_monitoring.exporters.gitea_api.main import build_parser
from gitea_provider_monitoring.model import provider_facts as facts
from gitea_provider_monitoring.model.config import Config, config_warnings, load_config
from gitea_provider_monitoring.render.compiler import build, load_model

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT.parent / "shared" / "upstream" / "provider-gitea-b5b30da.tar.gz"
CONFIGS = sorted((ROOT / "tests" / "configs").glob("*.yaml"))
# Commands of other programs a runbook quotes (kubectl, `gitea admin`, amtool, promtool): their flags are theirs.
OTHER_COMMAND_RE = re.compile(r"`(?:kubectl|gitea|amtool|promtool) [^`]*`")
KUBECTL_FLAGS_ALONE = {"--previous"}  # "add `--previous`" to a kubectl logs command quoted before
FLAG_RE = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


@pytest.fixture(scope="module")
def source() -> dict[str, str]:
    """The provider's Go files this test reads, from the snapshot (skips without ../shared)."""
    if not SNAPSHOT.is_file():
        pytest.skip(f"provider source snapshot not found ({SNAPSHOT}): facts not re-read from source")
    wanted = ("cmd/provider/main.go", "internal/controller/")
    out: dict[str, str] = {}
    with tarfile.open(SNAPSHOT) as tar:
        for member in tar:
            name = member.name.split("/", 1)[1] if "/" in member.name else member.name
            if member.isfile() and name.endswith(".go") and name.startswith(wanted):
                out[name] = io.TextIOWrapper(tar.extractfile(member), encoding="utf-8").read()  # type: ignore[arg-type]
    return out


def test_flags_and_defaults_are_the_source_s(source: dict[str, str]) -> None:
    main = source["cmd/provider/main.go"]
    declared = {}
    for name, rest in re.findall(r'app\.Flag\("([a-z-]+)",(.*)$', main, re.M):
        default = re.search(r'\.Default\("([^"]*)"\)', rest)
        declared[name] = default.group(1) if default else "false" if rest.rstrip().endswith(".Bool()") else None
    assert declared == {f.name: f.default for f in facts.FLAGS}
    assert declared["leader-election"] == str(facts.LEADER_ELECTION_DEFAULT).lower()
    assert f'LeaderElectionID: "{facts.LEASE_NAME}"' in main
    lease = re.search(r"LeaseDuration:.*?(\d+) \* time\.Second", main)
    assert lease and float(lease.group(1)) == facts.LEASE_DURATION_SECONDS
    assert "RetryPeriod" not in main  # so controller-runtime's default, facts.LEASE_RETRY_SECONDS


def test_concurrency_options_reach_no_controller(source: dict[str, str]) -> None:
    """MaxConcurrentReconciles and the global rate limiter (--max-reconcile-rate) are only read through
    o.ForControllerRuntime() or WithOptions; no controller calls either, so each has one worker."""
    controllers = {k: v for k, v in source.items() if k.startswith("internal/controller/")}
    assert controllers
    for name, text in controllers.items():
        assert "ForControllerRuntime" not in text and "WithOptions" not in text, name
    assert "MaxConcurrentReconciles: *maxReconcileRate" in source["cmd/provider/main.go"]
    assert not facts.flag("max-reconcile-rate").effective
    assert facts.WORKERS_PER_CONTROLLER == 1


def test_the_started_controllers_are_the_model_s(source: dict[str, str]) -> None:
    setup = source["internal/controller/controller.go"]
    started = re.findall(r"^\s+(\w+)\.Setup,$", setup, re.M)
    assert "providerconfig.Setup(mgr)" in setup
    managed = tuple(f"managed/{name}" for name in started)
    assert managed + ("providerconfig.gitea.crossplane.io",) == facts.CONTROLLERS


def _runbook_texts(config: Config) -> list[tuple[str, str]]:
    out = []
    for rule_file in load_model(config).rule_files:
        for rule in rule_file.alerts():
            book = rule.runbook
            for part in (book.meaning, book.impact, *book.diagnosis, *book.mitigation):
                out.append((rule.alert, part))
    return out


@pytest.mark.parametrize("path", [None, *CONFIGS], ids=lambda p: p.name if p else "default")
def test_runbooks_name_only_flags_that_exist_and_work(path: Path | None) -> None:
    exporter = {opt for action in build_parser()._actions for opt in action.option_strings}
    provider = {f.option: f for f in facts.FLAGS}
    for alert, text in _runbook_texts(load_config(path)):
        for flag in FLAG_RE.findall(OTHER_COMMAND_RE.sub("", text)):
            if flag in provider:
                # A flag that changes nothing may be named only to say so.
                assert provider[flag].effective or "changes nothing" in text or "reaches no controller" in text, \
                    f"{alert}: runbook offers {flag}, which changes nothing in provider {facts.SOURCE_VERSION}"
            else:
                assert flag in exporter or flag in KUBECTL_FLAGS_ALONE, \
                    f"{alert}: runbook names {flag}, a flag of neither the provider nor the exporter: {text}"


def test_effective_flag_refuses_a_knob_that_does_nothing() -> None:
    assert facts.effective_flag("poll") == "--poll"
    with pytest.raises(KeyError, match="changes nothing"):
        facts.effective_flag("max-reconcile-rate")
    with pytest.raises(KeyError, match="has no flag --max-workers"):
        facts.flag("max-workers")


def _alert_names(config: Config) -> set[str]:
    return {rule.alert for rf in load_model(config).rule_files for rule in rf.alerts()}


def test_default_build_follows_the_provider_default_no_leader_election(tmp_path: Path) -> None:
    """The real provider with default flags exports no leader_election_master_status: no leader alert, no leader
    panel, no flag passed; the runtime config leaves the provider's container alone."""
    assert Config().provider.leader_election is facts.LEADER_ELECTION_DEFAULT is False
    assert "GiteaProviderNoLeader" not in _alert_names(Config())
    build(Config(), tmp_path / "out")
    text = "\n".join(p.read_text() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert "leader_election_master_status" not in text
    runtime = _runtime_config(tmp_path / "out")
    containers = runtime["spec"]["deploymentTemplate"]["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["gitea-api-exporter"]
    assert "replicas" not in runtime["spec"]["deploymentTemplate"]["spec"]


def _runtime_config(out: Path) -> dict:
    for path in (out / "kubernetes").rglob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "DeploymentRuntimeConfig":
                return doc
    raise AssertionError("no DeploymentRuntimeConfig in the build")


def test_leader_election_on_adds_the_alert_and_passes_the_flag(tmp_path: Path) -> None:
    config_file = tmp_path / "ha.yaml"
    config_file.write_text("provider:\n  leader_election: true\n  replicas: 3\n")
    config = load_config(config_file)
    assert "GiteaProviderNoLeader" in _alert_names(config)
    build(config, tmp_path / "out")
    spec = _runtime_config(tmp_path / "out")["spec"]["deploymentTemplate"]["spec"]
    runtime = [c for c in spec["template"]["spec"]["containers"] if c["name"] == config.provider.container]
    assert runtime == [{"name": config.provider.container, "args": [facts.flag("leader-election").option]}]
    assert spec["replicas"] == 3
    assert config_warnings(config) == []
    lease = [t for a, t in _runbook_texts(config) if a == "GiteaProviderNoLeader" and facts.LEASE_NAME in t]
    assert lease, "the runbook names the provider's lease"


def test_replicas_without_leader_election_warn_at_build(tmp_path: Path) -> None:
    config_file = tmp_path / "replicas.yaml"
    config_file.write_text("provider:\n  replicas: 2\n")
    assert any("every replica would reconcile every resource" in w for w in config_warnings(load_config(config_file)))
    out = subprocess.run([sys.executable, "-m", "gitea_provider_monitoring.cli", "build", "--config", str(config_file),
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "warning: provider.replicas is 2 but provider.leader_election is off" in out.stderr


def test_replicas_must_be_positive(tmp_path: Path) -> None:
    config_file = tmp_path / "zero.yaml"
    config_file.write_text("provider:\n  replicas: 0\n")
    with pytest.raises(Exception, match="provider.replicas"):
        load_config(config_file)


def test_a_failure_window_shorter_than_the_back_off_cap_warns(tmp_path: Path) -> None:
    """Per-item back-off reaches 1000 s: a shorter window can hold no reconcile of a failing resource."""
    assert not any("reconcile_failure_window" in w for w in config_warnings(Config()))
    config_file = tmp_path / "short.yaml"
    config_file.write_text("thresholds:\n  reconcile_failure_window: 5m\n")
    assert any("shorter than the provider's back-off cap" in w for w in config_warnings(load_config(config_file)))


def test_the_failure_ratio_alert_sees_a_backed_off_outage_and_not_a_bulk_create() -> None:
    """The re-decided GiteaProviderReconcileFailureRatioHigh carries a case for each fact it rests on (promtool runs
    them in make test): every resource backing off fires; 50 resources created at once stay silent."""
    rule = next(r for rf in load_model(Config()).rule_files for r in rf.alerts()
                if r.alert == "GiteaProviderReconcileFailureRatioHigh")
    names = {c.name: c for c in rule.cases}
    assert any(n.startswith("Gitea down: every resource backs off") and c.expected for n, c in names.items())
    assert any(n.startswith("50 resources created at once") and not c.expected for n, c in names.items())
    assert f"[{Config().thresholds.reconcile_failure_window}]" in rule.expr and rule.severity == "warning"
