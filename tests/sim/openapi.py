"""Validate requests and responses against a Swagger 2.0 document (Gitea's and Grafana's APIs).

A simulator calls `check_request` on every request it receives and `check_response` on every body it
sends; any mismatch is recorded as a violation and fails the test that used the simulator. The specs
are optional (`spec_file` returns None without them): simulators behave the same either way, and only
validate when the spec is there. Objects
are checked strictly: a property the spec does not declare is a violation too, so a simulator cannot
invent fields that the real server never sends.
"""

from __future__ import annotations

import copy
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

WORK_SPECS = Path(__file__).resolve().parents[3] / "shared" / "specs"


def specs_dir() -> Path | None:
    """$SPECS_DIR, else ../shared/specs next to the repository; None when neither exists."""
    candidate = Path(os.environ.get("SPECS_DIR") or WORK_SPECS)
    return candidate if candidate.is_dir() else None


def spec_file(name: str) -> Path | None:
    """An official spec file when the specs are present, else None: simulators then run without checking.

    Behaviour never depends on the specs; with them, every request and response is also validated.
    """
    folder = specs_dir()
    return folder / name if folder is not None and (folder / name).is_file() else None


def _strict(node: Any) -> Any:
    """Copy of a schema where every object with declared properties refuses undeclared ones."""
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items()}
        if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


@dataclass
class Operation:
    template: str  # e.g. /repos/{owner}/{repo}
    method: str
    spec: dict
    parameters: list[dict] = field(default_factory=list)


class SwaggerSpec:
    """Path matching plus request and response checks for one Swagger 2.0 document."""

    def __init__(self, path: Path, strict: bool = True) -> None:
        self.path = path
        self.doc = json.loads(path.read_text())
        self.base_path = self.doc.get("basePath", "").rstrip("/")
        definitions = self.doc.get("definitions", {})
        self.definitions = _strict(definitions) if strict else copy.deepcopy(definitions)
        self._routes: list[tuple[re.Pattern, str, int]] = []
        self._validators: dict[str, jsonschema.Draft4Validator] = {}
        for template in self.doc["paths"]:
            regex = re.sub(r"\{[^/}]+\}", "[^/]+", re.escape(template).replace(r"\{", "{").replace(r"\}", "}"))
            # Literal segments win over parameters: /repos/search before /repos/{owner}/{repo}.
            self._routes.append((re.compile(f"^{regex}$"), template, template.count("{")))
        self._routes.sort(key=lambda r: (r[2], -len(r[1])))

    def operation(self, method: str, path: str) -> Operation | None:
        """The operation a request path (with basePath) maps to, or None."""
        if not path.startswith(self.base_path + "/"):
            return None
        rest = path[len(self.base_path):]
        for regex, template, _ in self._routes:
            if regex.match(rest):
                item = self.doc["paths"][template]
                spec = item.get(method.lower())
                if spec is None:
                    return None
                params = [self._deref(p) for p in item.get("parameters", []) + spec.get("parameters", [])]
                return Operation(template, method.upper(), spec, params)
        return None

    def _deref(self, node: dict) -> dict:
        while "$ref" in node:
            parts = node["$ref"].lstrip("#/").split("/")
            target: Any = self.doc
            for part in parts:
                target = target[part]
            node = target
        return node

    def check_request(self, method: str, path: str, query: dict[str, list[str]], body: bytes | None = None) -> list[str]:
        op = self.operation(method, path)
        if op is None:
            return [f"{method} {path}: no such operation in {self.path.name}"]
        problems = []
        known = {p["name"]: p for p in op.parameters if p.get("in") == "query"}
        for name, values in query.items():
            param = known.get(name)
            if param is None:
                problems.append(f"{method} {op.template}: query parameter {name!r} is not in the spec")
                continue
            for value in values:
                if param.get("type") == "integer" and not re.fullmatch(r"-?\d+", value):
                    problems.append(f"{method} {op.template}: {name}={value!r} is not an integer")
                if param.get("type") == "boolean" and value not in ("true", "false"):
                    problems.append(f"{method} {op.template}: {name}={value!r} is not a boolean")
        for param in op.parameters:
            if param.get("in") == "body":
                if param.get("required") and not body:
                    problems.append(f"{method} {op.template}: body is required")
                elif body:
                    problems += self._validate(body, param.get("schema", {}), f"{method} {op.template} request body")
        return problems

    def response_schema(self, op: Operation, status: int) -> dict | None:
        """The body schema for a status; None when the spec says there is no body."""
        responses = op.spec.get("responses", {})
        response = responses.get(str(status)) or responses.get("default")
        if response is None:
            return None
        return self._deref(response).get("schema")

    def documented(self, op: Operation, status: int) -> bool:
        responses = op.spec.get("responses", {})
        return str(status) in responses or "default" in responses

    def check_response(self, method: str, path: str, status: int, body: bytes,
                       fallback_error: dict | None = None) -> list[str]:
        """Problems with a response body. Undocumented error statuses use `fallback_error` as schema."""
        op = self.operation(method, path)
        if op is None:
            return [f"{method} {path}: response for an operation the spec does not have"]
        if self.documented(op, status):
            schema = self.response_schema(op, status)
        elif status >= 400 and fallback_error is not None:
            schema = fallback_error
        else:
            return [f"{method} {op.template}: status {status} is not documented"]
        if schema is None and status >= 400 and fallback_error is not None and body:
            # Gitea's swagger writes the fields of `forbidden` and `notFound` as headers, but Gitea sends them as a
            # JSON body (services/context/api.go APIError, APIErrorNotFound): check that body as an error.
            schema = fallback_error
        if schema is None:
            return [] if not body else [f"{method} {op.template}: {status} has a body the spec does not describe"]
        if schema.get("type") == "file":
            return []  # raw bytes (e.g. /raw/{filepath}): nothing to validate as JSON
        return self._validate(body, schema, f"{method} {op.template} {status}")

    def _validator(self, schema_key: str) -> jsonschema.Draft4Validator:
        """One compiled validator per schema: building one per response would dominate the latency."""
        if schema_key not in self._validators:
            root = {"definitions": self.definitions, **_strict(json.loads(schema_key))}
            self._validators[schema_key] = jsonschema.Draft4Validator(root)
        return self._validators[schema_key]

    def _validate(self, body: bytes, schema: dict, where: str) -> list[str]:
        try:
            instance = json.loads(body)
        except ValueError:
            return [f"{where}: body is not JSON"]
        validator = self._validator(json.dumps(schema, sort_keys=True))
        return [f"{where}: {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
                for e in validator.iter_errors(instance)]
