"""A real Gitea 1.27.3 for conformance tests: the binary `make tools` builds (scripts/build-real-stack), started
in a temp dir with sqlite on a free 127.0.0.1 port, set up through its `admin` CLI and API.

The binary is looked up in the worktree's .tools/ and in the shared cache (~/.cache/gitea-provider-monitoring/
tools); `find_gitea()` returns None without it, and the tests skip with one line. Its templates, options and
public assets sit beside it in static/ (the build copies them there), which STATIC_ROOT_PATH points at.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from pathlib import Path

import requests

from tests.sim.processes import free_port

GITEA_VERSION = "1.27.3"
REPO_ROOT = Path(__file__).resolve().parents[2]


def find_gitea() -> Path | None:
    """The gitea binary of `make tools`, or None."""
    cache = Path(os.environ.get("GO_TOOL_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                 / "gitea-provider-monitoring" / "tools")
    for folder in (REPO_ROOT / ".tools" / f"gitea-{GITEA_VERSION}", cache / f"gitea-{GITEA_VERSION}"):
        binary = folder / "gitea"
        if binary.is_file() and os.access(binary, os.X_OK) and (folder / "static" / "templates").is_dir():
            return binary
    return None


def app_ini(name: str, work: Path, port: int, static: Path, log: str = "console", host: str = "127.0.0.1") -> str:
    """A Gitea app.ini for a throwaway instance on `host`:`port` (loopback; or an address of a network namespace of
    ours): sqlite and repositories under `work`, installed, offline, no registration, no cron; secrets fresh each
    time. The conformance tests and the real stack share it."""
    return f"""APP_NAME = {name}
RUN_MODE = prod
WORK_PATH = {work}
[database]
DB_TYPE = sqlite3
PATH = {work}/gitea.db
[server]
PROTOCOL = http
HTTP_ADDR = {host}
HTTP_PORT = {port}
ROOT_URL = http://{host}:{port}/
DISABLE_SSH = true
OFFLINE_MODE = true
STATIC_ROOT_PATH = {static}
APP_DATA_PATH = {work}/data
[repository]
ROOT = {work}/repos
[security]
INSTALL_LOCK = true
SECRET_KEY = {secrets.token_hex(24)}
INTERNAL_TOKEN = {secrets.token_hex(32)}
[oauth2]
JWT_SECRET = {secrets.token_urlsafe(32)}
[service]
DISABLE_REGISTRATION = true
[indexer]
ISSUE_INDEXER_TYPE = db
REPO_INDEXER_ENABLED = false
[log]
MODE = {log}
LEVEL = Warn
ROOT_PATH = {work}/log
[cron]
ENABLED = false
"""


class RealGitea:
    """One Gitea process; stop() ends it (only this process, by its own handle)."""

    def __init__(self, binary: Path, work: Path) -> None:
        self.binary, self.work = binary, work
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (work / "home").mkdir(parents=True, exist_ok=True)
        self.config = work / "app.ini"
        self.config.write_text(app_ini("conformance", work, self.port, binary.parent / "static", log="file"))
        self.env = {**os.environ, "GITEA_WORK_DIR": str(work), "GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT": "true",
                    "HOME": str(work / "home")}
        self.cli("migrate")
        self.process: subprocess.Popen | None = None

    def cli(self, *args: str) -> str:
        r = subprocess.run([str(self.binary), "--config", str(self.config), *args], env=self.env, capture_output=True,
                           text=True, timeout=300)
        if r.returncode:
            raise RuntimeError(f"gitea {' '.join(args[:3])} failed: {(r.stderr or r.stdout)[-2000:]}")
        return r.stdout

    def create_admin(self, name: str) -> None:
        self.cli("admin", "user", "create", "--admin", "--username", name, "--email", f"{name}@example.com",
                 "--password", secrets.token_hex(12), "--must-change-password=false")

    def token(self, user: str, scopes: str) -> str:
        """A new access token of `user` with `scopes` (comma-separated, as Gitea's --scopes takes them)."""
        return self.cli("admin", "user", "generate-access-token", "--username", user, "--token-name",
                        f"t{secrets.token_hex(4)}", "--scopes", scopes, "--raw").strip()

    def start(self) -> None:
        log = (self.work / "stdout.log").open("wb")
        self.process = subprocess.Popen([str(self.binary), "--config", str(self.config), "web"], env=self.env,
                                        cwd=self.work, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gitea exited {self.process.returncode}: {(self.work / 'stdout.log').read_text()[-2000:]}")
            try:
                if requests.get(self.url + "/api/healthz", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gitea at {self.url} not healthy within 120s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
