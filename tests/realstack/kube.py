"""A few calls of the Kubernetes REST API with a static token: enough to apply CRDs, RBAC, Secrets and the
provider's managed resources without kubectl (not built here)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml

CORE = {  # kind -> (api prefix, plural, namespaced)
    "Namespace": ("/api/v1", "namespaces", False),
    "Secret": ("/api/v1", "secrets", True),
    "ClusterRole": ("/apis/rbac.authorization.k8s.io/v1", "clusterroles", False),
    "ClusterRoleBinding": ("/apis/rbac.authorization.k8s.io/v1", "clusterrolebindings", False),
    "CustomResourceDefinition": ("/apis/apiextensions.k8s.io/v1", "customresourcedefinitions", False),
}


class KubeError(RuntimeError):
    pass


@dataclass
class Kube:
    url: str
    token: str
    ca: Path

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.token}"
        # Per request: with trust_env, requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override a session's verify.
        self.session.trust_env = False
        self.kinds: dict[str, tuple[str, str, bool]] = dict(CORE)

    def register_crd(self, crd: dict) -> None:
        """Learn the REST path of a CRD's kind (its storage version)."""
        spec = crd["spec"]
        version = next(v["name"] for v in spec["versions"] if v.get("storage"))
        self.kinds[spec["names"]["kind"] + "." + spec["group"]] = (
            f"/apis/{spec['group']}/{version}", spec["names"]["plural"], spec["scope"] == "Namespaced")

    def path(self, obj: dict, with_name: bool = True) -> str:
        kind = obj["kind"]
        group = obj["apiVersion"].split("/")[0] if "/" in obj["apiVersion"] else ""
        prefix, plural, namespaced = self.kinds.get(f"{kind}.{group}") or self.kinds[kind]
        meta = obj["metadata"]
        ns = f"/namespaces/{meta['namespace']}" if namespaced else ""
        return f"{self.url}{prefix}{ns}/{plural}" + (f"/{meta['name']}" if with_name else "")

    def request(self, method: str, url: str, **kw: object) -> requests.Response:
        return self.session.request(method, url, timeout=30, verify=str(self.ca), **kw)

    def create(self, obj: dict, exist_ok: bool = True) -> requests.Response:
        """POST `obj`; an existing object is left alone when `exist_ok`. Raises KubeError with the API's message."""
        r = self.request("POST", self.path(obj, with_name=False), json=obj)
        if r.status_code == 409 and exist_ok:
            return r
        if r.status_code >= 300:
            raise KubeError(f"create {obj['kind']} {obj['metadata']['name']}: HTTP {r.status_code}: "
                            f"{r.json().get('message', r.text)[:400]}")
        return r

    def get(self, obj: dict) -> dict | None:
        r = self.request("GET", self.path(obj))
        if r.status_code == 404:
            return None
        r.raise_for_status()
        return r.json()

    def list(self, kind_key: str, namespace: str | None = None) -> list[dict]:
        prefix, plural, _ = self.kinds[kind_key]
        ns = f"/namespaces/{namespace}" if namespace else ""
        r = self.request("GET", f"{self.url}{prefix}{ns}/{plural}")
        r.raise_for_status()
        return r.json()["items"]

    def patch(self, obj: dict, body: dict) -> dict:
        """A JSON merge patch (RFC 7386) of `obj` (kind, apiVersion, metadata.name/namespace) with `body`."""
        r = self.request("PATCH", self.path(obj), data=json.dumps(body),
                         headers={"Content-Type": "application/merge-patch+json"})
        if r.status_code >= 300:
            raise KubeError(f"patch {obj['kind']} {obj['metadata']['name']}: HTTP {r.status_code}: "
                            f"{r.json().get('message', r.text)[:400]}")
        return r.json()

    def delete(self, obj: dict) -> None:
        r = self.request("DELETE", self.path(obj))
        if r.status_code not in (200, 202, 404):
            raise KubeError(f"delete {obj['kind']} {obj['metadata']['name']}: HTTP {r.status_code}")

    def apply_crds(self, directory: Path) -> tuple[list[str], dict[str, str]]:
        """Create every CRD of `directory`: (applied names, {rejected name: the API server's reason})."""
        applied, rejected = [], {}
        for f in sorted(directory.glob("*.yaml")):
            for crd in yaml.safe_load_all(f.read_text()):
                if not crd:
                    continue
                try:
                    self.create(crd)
                except KubeError as exc:
                    rejected[crd["metadata"]["name"]] = str(exc).split(": ", 2)[-1][:300]
                    continue
                self.register_crd(crd)
                applied.append(crd["metadata"]["name"])
        deadline = time.monotonic() + 120
        pending = set(applied)
        while pending and time.monotonic() < deadline:
            for name in sorted(pending):
                got = self.get({"kind": "CustomResourceDefinition", "apiVersion": "apiextensions.k8s.io/v1",
                                "metadata": {"name": name}}) or {}
                conds = {c["type"]: c["status"] for c in got.get("status", {}).get("conditions", [])}
                if conds.get("Established") == "True":
                    pending.discard(name)
            time.sleep(0.5)
        if pending:
            raise KubeError(f"CRDs not established within 120s: {', '.join(sorted(pending))}")
        return applied, rejected
