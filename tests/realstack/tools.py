"""Where scripts/build-real-stack put the real stack's binaries, and why a piece is missing.

The pinned versions are written once, in scripts/build-real-stack; this module reads them from there.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build-real-stack"
SHARED = REPO_ROOT.parent / "shared"


def pinned() -> dict[str, str]:
    """NAME=VALUE assignments at the top of scripts/build-real-stack (GITEA_VERSION, PROVIDER_VERSION, ...)."""
    out = {}
    for line in BUILD_SCRIPT.read_text().splitlines():
        m = re.match(r"^([A-Z_]+)=([^\s#]+)", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


@dataclass(frozen=True)
class Tools:
    gitea: Path
    gitea_static: Path
    provider: Path
    provider_crds: Path
    etcd: Path
    kube_apiserver: Path
    kube_state_metrics: Path
    versions: dict[str, str]


def locate(optional: tuple[str, ...] = ()) -> tuple[Tools | None, str]:
    """(the tools, "") when every piece is built (but those named in `optional`, e.g. "kube-state-metrics"), else
    (None, one line saying what is missing and how to get it)."""
    v = pinned()
    tools = REPO_ROOT / ".tools"
    found = Tools(
        gitea=tools / f"gitea-{v['GITEA_VERSION']}" / "gitea",
        gitea_static=tools / f"gitea-{v['GITEA_VERSION']}" / "static",
        provider=tools / f"provider-{v['PROVIDER_VERSION']}" / "provider",
        provider_crds=tools / f"provider-{v['PROVIDER_VERSION']}" / "crds",
        etcd=tools / f"etcd-{v['ETCD_VERSION']}" / "etcd",
        kube_apiserver=tools / f"kube-apiserver-{v['KUBERNETES_VERSION']}" / "kube-apiserver",
        kube_state_metrics=tools / f"kube-state-metrics-{v['KSM_VERSION']}" / "kube-state-metrics",
        versions=v,
    )
    missing = [p.parent.name for p in (found.gitea, found.provider, found.etcd, found.kube_apiserver,
                                       found.kube_state_metrics)
               if not p.is_file() and p.name not in optional]
    if missing:
        if not shutil.which("go"):
            why = "Go is not installed"
        elif "provider" in " ".join(missing) and not (SHARED / "upstream" / v["PROVIDER_TARBALL"]).is_file():
            why = f"../shared/upstream/{v['PROVIDER_TARBALL']} is absent"
        else:
            why = "run `make real-stack-tools`"
        return None, f"real stack not built ({', '.join(missing)} missing): {why}"
    return found, ""
