"""The real stack in a private network namespace: etcd, kube-apiserver (envtest-style), the provider's CRDs,
Gitea with sqlite, the provider binary, our exporter in probe mode, kube-state-metrics, and optionally a real
Prometheus and Alertmanager with our build's rules.

Why a network namespace: the provider binds :8080 on every interface and has no flag for it (controller-runtime's
default metrics address; provider b5b30da cmd/provider/main.go sets no Metrics option). `in_netns()` re-runs a
command inside a namespace of its own (`ip netns add`, only loopback, up), so fixed ports collide with nothing and
nothing listens outside it. Needs root (or CAP_NET_ADMIN) and iproute2.

The API server runs the way controller-runtime's envtest runs it: a static token file (an admin token and one
for the provider, which RBAC limits to what a Crossplane provider is granted), a serving certificate and a
service-account key pair made with openssl, `--disable-admission-plugins=ServiceAccount` (no controller-manager
creates service-account tokens). No controller-manager, scheduler or kubelet: the provider runs as a process.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import yaml

from tests.realstack.kube import Kube
from tests.realstack.tools import Tools
from tests.sim.processes import ExporterProcess, alert_states, wait_http
from tests.sim.real_gitea import app_ini

NETNS_ENV = "REALSTACK_NETNS"
ETCD_PORT, APISERVER_PORT, GITEA_PORT = 2379, 6443, 3000
PROVIDER_METRICS = "http://127.0.0.1:8080/metrics"  # controller-runtime's default :8080
KSM_PORT, KSM_TELEMETRY_PORT = 8090, 8091  # kube-state-metrics defaults to :8080 too
EXPORTER_PORT = 9523
PROVIDER_NAMESPACE = "crossplane-system"
RESOURCE_NAMESPACE = "platform"
PROVIDER_USER = "system:serviceaccount:crossplane-system:provider-gitea"
GITEA_ADMIN = "gitea-admin"

KSM_USER = "system:serviceaccount:monitoring:kube-state-metrics"
EXPORTER_PROXY_PORT = 9524


def in_netns(argv: list[str]) -> int:
    """Run `argv` inside a new network namespace with only loopback; afterwards kill whatever still runs in it
    and delete it. SIGINT and SIGTERM are passed on to `argv` (which closes its stack: `exit_on_signals`)."""
    if os.environ.get(NETNS_ENV):
        raise RuntimeError("already inside a real-stack network namespace")
    if os.geteuid() != 0:
        raise PermissionError("the real stack needs root for `ip netns add` (a private network namespace)")
    name = f"realstack-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    proc: subprocess.Popen | None = None

    def forward(signum: int, _frame: object) -> None:
        if proc and proc.poll() is None:
            proc.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        proc = subprocess.Popen(["ip", "netns", "exec", name, *argv], env={**os.environ, NETNS_ENV: name})
        return proc.wait()  # a signal runs `forward` and the wait goes on (PEP 475)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        kill_netns_processes(name)
        subprocess.run(["ip", "netns", "del", name], check=False)


def kill_netns_processes(name: str, grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL, every process still running in network namespace `name` (a crashed harness must
    not leave an API server or a provider behind)."""
    def pids() -> list[int]:
        out = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 2.0)):
        left = pids()
        for pid in left:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while left and time.monotonic() < deadline:
            time.sleep(0.2)
            left = pids()
        if not left:
            return


def exit_on_signals() -> None:
    """Turn SIGTERM into SystemExit so `finally: stack.close()` runs (SIGINT is KeyboardInterrupt already)."""
    def handler(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


class Stack:
    """One real stack; `start()` brings it up, `close()` stops every process and removes the temp dir."""

    def __init__(self, tools: Tools, keep: bool = False, log=print, host: str = "127.0.0.1") -> None:  # noqa: ANN001
        """`host`: the address the API server and Gitea listen on (an address of our own network namespace that
        other namespaces of ours reach, tests/realstack/failover.py; loopback by default)."""
        if not os.environ.get(NETNS_ENV):
            raise RuntimeError("run the real stack inside its network namespace (tests.realstack.stack.in_netns)")
        self.tools, self.keep, self.log, self.host = tools, keep, log, host
        self.tmp = Path(tempfile.mkdtemp(prefix="realstack-"))
        self.procs: dict[str, subprocess.Popen] = {}
        self.admin_token = secrets.token_hex(16)
        self.provider_token = secrets.token_hex(16)
        self.ksm_token = secrets.token_hex(16)
        self.gitea_token = ""
        self._gitea_password = secrets.token_hex(12)
        self.token_file = self.tmp / "exporter-token"
        self.kube: Kube | None = None
        self.exporter: ExporterProcess | None = None
        self.crds_rejected: dict[str, str] = {}
        self.provider_args: list[str] = []
        self.prom_url = self.am_url = ""
        self.receiver = None

    # -- processes -------------------------------------------------------------------------------------
    def _spawn(self, name: str, cmd: list[str], env: dict[str, str] | None = None,
               cwd: Path | None = None) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "a")  # noqa: SIM115 (the child owns it)
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=cwd, env={**os.environ, **(env or {})},
                                start_new_session=True)
        self.procs[name] = proc
        return proc

    def stop(self, name: str, timeout: float = 15) -> None:
        proc = self.procs.pop(name, None)
        if proc and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def logs(self, name: str, tail: int = 30) -> str:
        path = self.tmp / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-tail:]) if path.exists() else ""

    def _wait(self, name: str, check, timeout: float) -> None:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.procs.get(name)
            if proc and proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.logs(name)}")
            try:
                if check():
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"{name} not ready within {timeout:.0f}s:\n{self.logs(name)}")

    # -- pieces ----------------------------------------------------------------------------------------
    def _certs(self) -> None:
        d = self.tmp / "pki"
        d.mkdir()
        san = "IP:127.0.0.1,DNS:localhost" + (f",IP:{self.host}" if self.host != "127.0.0.1" else "")
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=realstack-apiserver",
                 "-addext", f"subjectAltName={san}", "-keyout", str(d / "apiserver.key"),
                 "-out", str(d / "apiserver.crt"))
        _openssl("genrsa", "-out", str(d / "sa.key"), "2048")
        _openssl("rsa", "-in", str(d / "sa.key"), "-pubout", "-out", str(d / "sa.pub"))
        (d / "tokens.csv").write_text(f'{self.admin_token},realstack-admin,1,"system:masters"\n'
                                      f'{self.provider_token},{PROVIDER_USER},2,"system:serviceaccounts"\n'
                                      f'{self.ksm_token},{KSM_USER},3,"system:serviceaccounts"\n')

    def start_kube(self) -> None:
        d = self.tmp / "pki"
        self._spawn("etcd", [str(self.tools.etcd), "--data-dir", str(self.tmp / "etcd"), "--unsafe-no-fsync",
                             f"--listen-client-urls=http://127.0.0.1:{ETCD_PORT}",
                             f"--advertise-client-urls=http://127.0.0.1:{ETCD_PORT}",
                             "--listen-peer-urls=http://127.0.0.1:2380", "--log-level=warn"])
        self._wait("etcd", lambda: requests.get(f"http://127.0.0.1:{ETCD_PORT}/health", timeout=2).ok, 60)
        url = f"https://{self.host}:{APISERVER_PORT}"
        self._spawn("kube-apiserver", [
            str(self.tools.kube_apiserver), f"--etcd-servers=http://127.0.0.1:{ETCD_PORT}",
            f"--cert-dir={d}", f"--tls-cert-file={d / 'apiserver.crt'}", f"--tls-private-key-file={d / 'apiserver.key'}",
            f"--secure-port={APISERVER_PORT}", f"--bind-address={self.host}", f"--advertise-address={self.host}",
            "--service-cluster-ip-range=10.0.0.0/24", "--allow-privileged=true", "--authorization-mode=RBAC",
            f"--token-auth-file={d / 'tokens.csv'}", f"--service-account-issuer={url}",
            f"--service-account-key-file={d / 'sa.pub'}", f"--service-account-signing-key-file={d / 'sa.key'}",
            "--disable-admission-plugins=ServiceAccount", "--profiling=false", "--v=0"])
        self.kube = Kube(url, self.admin_token, d / "apiserver.crt")
        self._wait("kube-apiserver", lambda: self.kube.request("GET", url + "/readyz").status_code == 200, 180)
        for name, token in (("admin", self.admin_token), ("provider", self.provider_token),
                            ("kube-state-metrics", self.ksm_token)):
            (self.tmp / f"kubeconfig-{name}").write_text(yaml.safe_dump({
                "apiVersion": "v1", "kind": "Config", "current-context": "realstack",
                "clusters": [{"name": "realstack",
                              "cluster": {"server": url, "certificate-authority": str(d / "apiserver.crt")}}],
                "users": [{"name": name, "user": {"token": token}}],
                "contexts": [{"name": "realstack", "context": {"cluster": "realstack", "user": name}}]}))

    def _rbac(self) -> None:
        """What a Crossplane provider's service account may do (Crossplane's RBAC manager grants a provider its
        CRDs' groups, Secrets, ConfigMaps, Events and Leases); here one ClusterRole."""
        k = self.kube
        groups = sorted({key.split(".", 1)[1] for key in k.kinds if "." in key})
        k.create({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                  "metadata": {"name": "realstack:provider-gitea"},
                  "rules": [{"apiGroups": groups, "resources": ["*"], "verbs": ["*"]},
                            {"apiGroups": [""], "resources": ["secrets", "configmaps", "events"], "verbs": ["*"]},
                            {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["*"]},
                            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["*"]}]})
        k.create({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                  "metadata": {"name": "realstack:provider-gitea"},
                  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                              "name": "realstack:provider-gitea"},
                  "subjects": [{"kind": "User", "name": PROVIDER_USER, "apiGroup": "rbac.authorization.k8s.io"}]})

    def apply_crds(self) -> None:
        applied, self.crds_rejected = self.kube.apply_crds(self.tools.provider_crds)
        self.log(f"CRDs: {len(applied)} applied, {len(self.crds_rejected)} rejected by the API server "
                 f"({', '.join(sorted(self.crds_rejected))})")
        for ns in (PROVIDER_NAMESPACE, RESOURCE_NAMESPACE):
            self.kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        self._rbac()

    def _gitea_env(self) -> dict[str, str]:
        return {"GITEA_WORK_DIR": str(self.tmp / "gitea"), "GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT": "true",
                "HOME": str(self.tmp / "gitea" / "home")}

    def _gitea(self, *args: str) -> str:
        r = subprocess.run([str(self.tools.gitea), "--config", str(self.tmp / "gitea" / "app.ini"), *args],
                           env={**os.environ, **self._gitea_env()}, capture_output=True, text=True, timeout=300)
        if r.returncode:
            raise RuntimeError(f"gitea {args[0]} failed: {r.stderr[-2000:] or r.stdout[-2000:]}")
        return r.stdout

    def start_gitea(self, first: bool = True) -> None:
        g = self.tmp / "gitea"
        if first:
            (g / "home").mkdir(parents=True)
            (g / "app.ini").write_text(app_ini("realstack", g, GITEA_PORT, self.tools.gitea_static, host=self.host))
            self._gitea("migrate")
            self._gitea("admin", "user", "create", "--admin", "--username", GITEA_ADMIN, "--email", "admin@example.com",
                        "--password", self._gitea_password, "--must-change-password=false")
            self.gitea_token = self.new_token("provider", "all")
        self._spawn("gitea", [str(self.tools.gitea), "--config", str(g / "app.ini"), "web"], env=self._gitea_env(),
                    cwd=g)
        self._wait("gitea", lambda: requests.get(f"{self.gitea_url}/api/healthz", timeout=2).ok, 120)

    @property
    def gitea_url(self) -> str:
        return f"http://{self.host}:{GITEA_PORT}"

    def new_token(self, name: str, scopes: str) -> str:
        """A new access token of the Gitea admin named `name` with `scopes` (comma-separated, Gitea's names)."""
        return self._gitea("admin", "user", "generate-access-token", "--username", GITEA_ADMIN, "--token-name", name,
                           "--scopes", scopes, "--raw").strip()

    def revoke_token(self, name: str) -> None:
        """Delete the admin's token `name` in Gitea (DELETE /api/v1/users/{user}/tokens/{name}, basic auth: Gitea
        manages tokens with a password, not with a token)."""
        r = requests.delete(f"{self.gitea_url}/api/v1/users/{GITEA_ADMIN}/tokens/{name}",
                            auth=(GITEA_ADMIN, self._gitea_password), timeout=10)
        if r.status_code != 204:
            raise RuntimeError(f"revoking Gitea token {name!r}: HTTP {r.status_code}")

    def use_token(self, token: str) -> None:
        """Give the provider (its Secret) and the exporter (its token file) `token`, as rotating the Secret both
        mount would."""
        self.kube.patch({"apiVersion": "v1", "kind": "Secret",
                         "metadata": {"name": "gitea-credentials", "namespace": PROVIDER_NAMESPACE}},
                        {"stringData": {"token": token}})
        tmp = self.token_file.with_suffix(".tmp")
        tmp.write_text(token)
        tmp.replace(self.token_file)
        self.gitea_token = token

    def stop_gitea(self) -> None:
        self.stop("gitea")

    def provider_config(self, base_url: str) -> None:
        k = self.kube
        k.create({"apiVersion": "v1", "kind": "Secret",
                  "metadata": {"name": "gitea-credentials", "namespace": PROVIDER_NAMESPACE},
                  "stringData": {"token": self.gitea_token}})
        k.create({"apiVersion": "gitea.crossplane.io/v1beta1", "kind": "ProviderConfig", "metadata": {"name": "default"},
                  "spec": {"baseURL": base_url, "credentials": {"source": "Secret", "secretRef": {
                      "name": "gitea-credentials", "namespace": PROVIDER_NAMESPACE, "key": "token"}}}})

    def start_provider(self, args: list[str]) -> None:
        """The provider binary with `args` (what our runtime config gives the package-runtime container)."""
        self.provider_args = list(args)
        self._spawn("provider", [str(self.tools.provider), *args],
                    env={"KUBECONFIG": str(self.tmp / "kubeconfig-provider"), "POD_NAMESPACE": PROVIDER_NAMESPACE})
        self._wait("provider", lambda: "controller_runtime_reconcile_total" in requests.get(PROVIDER_METRICS,
                                                                                          timeout=2).text, 120)

    def start_exporter(self, mode: str = "probe", interval: str = "15s", timeout: str = "10s") -> str:
        """Our exporter against this Gitea, reading the provider's token from a file (so a rotation reaches it);
        returns the URL the ProviderConfig should use: the exporter's proxy in proxy/both mode, else Gitea."""
        self.token_file.write_text(self.gitea_token)
        self.exporter = ExporterProcess(self.gitea_url, self.tmp / "exporter.log", "--mode", mode, "--token-file",
                                        str(self.token_file), "--interval", interval, "--timeout", timeout,
                                        "--proxy-listen-address", f"127.0.0.1:{EXPORTER_PROXY_PORT}", port=EXPORTER_PORT)
        return f"http://127.0.0.1:{EXPORTER_PROXY_PORT}" if mode != "probe" else self.gitea_url

    def start_kube_state_metrics(self, config=None) -> None:  # noqa: ANN001 (a gitea_provider_monitoring Config)
        """The real kube-state-metrics with the config our build generates (render/resource_state.py), only the
        custom-resource metrics, as a user of its own that RBAC limits to `resource_state.rbac_rules()`: what the
        `resource-state` component grants it."""
        from gitea_provider_monitoring.render.compiler import write_custom_resource_state
        from gitea_provider_monitoring.render.resource_state import rbac_rules

        k = self.kube
        k.create({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                  "metadata": {"name": "realstack:kube-state-metrics"}, "rules": rbac_rules()})
        k.create({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                  "metadata": {"name": "realstack:kube-state-metrics"},
                  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                              "name": "realstack:kube-state-metrics"},
                  "subjects": [{"kind": "User", "name": KSM_USER, "apiGroup": "rbac.authorization.k8s.io"}]})
        path = write_custom_resource_state(self.tmp / "ksm-config.yaml", config)
        self._spawn("kube-state-metrics", [
            str(self.tools.kube_state_metrics), f"--kubeconfig={self.tmp / 'kubeconfig-kube-state-metrics'}",
            "--host=127.0.0.1", f"--port={KSM_PORT}", "--telemetry-host=127.0.0.1", f"--telemetry-port={KSM_TELEMETRY_PORT}",
            "--custom-resource-state-only", f"--custom-resource-state-config-file={path}"])
        self._wait("kube-state-metrics", lambda: requests.get(f"http://127.0.0.1:{KSM_PORT}/metrics", timeout=5).ok, 120)

    def start_monitoring(self, config, provider_targets: list[tuple[str, str]] | None = None) -> None:  # noqa: ANN001
        """A real Prometheus (Debian's or the Go-built one, the newest `make tools` put in .tools/) and Alertmanager
        with `config`'s build (a gitea_provider_monitoring Config), scraping the provider, the exporter and
        kube-state-metrics every scrape_interval; Alertmanager's receivers point at a local webhook receiver
        (tests/e2e/harness.py's). `provider_targets`: (host:port, pod) per provider replica, as a PodMonitor
        labels them (default: the one provider of this namespace); the exporter gets the first one's pod."""
        from gitea_provider_monitoring.check.promtool import toolsets
        from gitea_provider_monitoring.render.compiler import build
        from tests.e2e.harness import Receiver
        from tests.sim.processes import free_port

        self.receiver = Receiver()
        am = config.alertmanager
        config = dataclasses.replace(config, alertmanager=dataclasses.replace(
            am, page_url=f"{self.receiver.url}/page", chat_url=f"{self.receiver.url}/chat",
            ticket_url=f"{self.receiver.url}/ticket"))
        self.monitoring_config = config
        out = self.tmp / "build"
        build(config, out)
        prom = [t for t in toolsets("prometheus") if t.server][-1]
        amt = [t for t in toolsets("alertmanager") if t.server][-1]
        am_port, prom_port = free_port(), free_port()
        share = Path(amt.server).resolve().parent.parent / "share"
        self._spawn("alertmanager", [amt.server, f"--config.file={out / 'alertmanager' / 'alertmanager.yml'}",
                                     f"--storage.path={self.tmp / 'am-data'}", f"--web.listen-address=127.0.0.1:{am_port}",
                                     "--cluster.listen-address="], cwd=share if share.is_dir() else None)
        self.am_url = f"http://127.0.0.1:{am_port}"
        wait_http(self.am_url + "/-/ready", timeout=60)
        c, ns = config, config.provider.namespace
        common = {"namespace": ns, c.cluster_label: "realstack"}
        targets = provider_targets or [(PROVIDER_METRICS.split("/")[2], "provider-gitea-5f7c9d8b7-aaaaa")]
        pod = targets[0][1]
        prom_config = {
            "global": {"scrape_interval": c.scrape_interval, "evaluation_interval": c.evaluation_interval},
            "rule_files": [str(p) for p in sorted((out / "prometheus" / "rules").glob("*.yaml"))],
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [self.am_url.removeprefix("http://")]}]}]},
            "scrape_configs": [
                {"job_name": c.provider.job, "static_configs": [
                    {"targets": [target], "labels": {**common, "pod": pod}} for target, pod in targets]},
                {"job_name": c.exporter.job, "static_configs": [
                    {"targets": [f"127.0.0.1:{EXPORTER_PORT}"], "labels": {**common, "pod": pod}}]},
                {"job_name": c.resource_state.job, "honor_labels": True, "static_configs": [
                    {"targets": [f"127.0.0.1:{KSM_PORT}"], "labels": {c.cluster_label: "realstack"}}]},
            ],
        }
        (self.tmp / "prometheus.yml").write_text(yaml.safe_dump(prom_config, sort_keys=False))
        self._spawn("prometheus", [prom.server, f"--config.file={self.tmp / 'prometheus.yml'}",
                                   f"--storage.tsdb.path={self.tmp / 'tsdb'}", f"--web.listen-address=127.0.0.1:{prom_port}"])
        self.prom_url = f"http://127.0.0.1:{prom_port}"
        wait_http(self.prom_url + "/-/ready", timeout=120)
        self.log(f"Prometheus {prom.version} and Alertmanager {amt.version} with the build's rules")

    def alerts(self) -> dict[str, str]:
        """alertname -> pending/firing, from the stack's Prometheus."""
        return alert_states(self.prom_url)

    def start(self, provider_args: list[str], exporter: bool = True, ksm: bool = True, config=None) -> None:  # noqa: ANN001
        """Bring everything up; `config` (a gitea_provider_monitoring Config, default: the defaults) sets the
        exporter's mode and timing and the kube-state-metrics config. In proxy or both mode the ProviderConfig's
        base URL is the exporter's proxy, as docs/exporter.md tells users to set it."""
        from gitea_provider_monitoring.model.config import Config

        config = config or Config()
        t0 = time.monotonic()
        self._certs()
        self.start_kube()
        self.apply_crds()
        self.start_gitea()
        base_url = self.gitea_url
        if exporter:
            e = config.exporter
            base_url = self.start_exporter(e.mode, e.interval, e.timeout)
        self.provider_config(base_url)
        self.start_provider(provider_args)
        if ksm:
            self.start_kube_state_metrics(config)
        self.log(f"real stack up in {time.monotonic() - t0:.0f}s ({self.tmp})")

    def close(self) -> None:
        if self.exporter:
            self.exporter.stop()
        for name in reversed(list(self.procs)):
            self.stop(name)
        if self.receiver:
            self.receiver.server.shutdown()
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


def runtime_provider_args(config_path=None) -> list[str]:  # noqa: ANN001 (a path, a Config or None)
    """The args our build's DeploymentRuntimeConfig gives the provider's package-runtime container (none unless
    the config asks for some, e.g. --leader-election). `config_path`: a config file, a loaded Config, or None
    (the defaults)."""
    from gitea_provider_monitoring.model.config import Config, load_config
    from gitea_provider_monitoring.render.compiler import build

    config = config_path if isinstance(config_path, Config) else load_config(config_path)
    with tempfile.TemporaryDirectory() as out:
        build(dataclasses.replace(config), Path(out))
        args: list[str] = []
        for f in Path(out, "kubernetes").rglob("*.yaml"):
            for doc in yaml.safe_load_all(f.read_text()):
                if not isinstance(doc, dict) or doc.get("kind") != "DeploymentRuntimeConfig":
                    continue
                spec = doc["spec"]["deploymentTemplate"]["spec"]["template"]["spec"]
                for c in spec.get("containers", []):
                    if c.get("name") == config.provider.container:
                        args += c.get("args", [])
        return args


if __name__ == "__main__":  # pragma: no cover - manual use: bring the stack up and keep it until Ctrl-C
    from tests.realstack.tools import locate

    if not os.environ.get(NETNS_ENV):
        sys.exit(in_netns([sys.executable, "-m", "tests.realstack.stack", *sys.argv[1:]]))
    found, why = locate()
    if not found:
        sys.exit(why)
    stack = Stack(found, keep=True)
    try:
        stack.start(runtime_provider_args())
        print(f"up: {stack.tmp}; Ctrl-C stops it", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        stack.close()
