"""The Helm chart (build/helm/gitea-provider-monitoring/): the kustomize objects, with deploy-time choices as values.

One renderer feeds both outputs. `compiler.kubernetes_objects` renders every part (the kustomize base's rules and
PodMonitor, then each component) from `KubeInputs`; for the chart it renders them from inputs whose deploy-time
fields hold markers (`"@@values:exporter.image@@"`) and writes the objects as JSON under `files/`. The chart's one
template loads the objects of the enabled parts, puts each value where its marker is (as JSON, so a string, a
number or a mapping lands as itself), adds the labels of `labels.common` and `labels.<Kind>`, and applies
`alerts.<name>`: `enabled`, `severity` and extra labels, as the config's `overrides:` would. A choice that changes
an object's shape (the exporter's mode adds an environment variable) is rendered once per allowed value.

What is not a value stays in the Python config and is baked into the objects: thresholds, `for` windows, selectors
(the provider's namespace and jobs the rules select on), SLOs, ports. `make build CONFIG=...` builds a chart for a
config. `deploy_values()` declares each value once: its place in values.yaml, its JSON schema (values.schema.json)
and the renderer input it replaces; its default is what the config gives that input.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gitea_provider_monitoring import __version__
from gitea_provider_monitoring.model.errors import DefinitionError
from gitea_provider_monitoring.model.rules import SEVERITIES
from gitea_provider_monitoring.render import kubernetes as k8s
from gitea_provider_monitoring.render.output import GENERATED_HEADER, to_json, to_yaml

CHART_NAME = k8s.PART_OF
HELM_DIR = f"helm/{CHART_NAME}"
MARKER = "@@values:{}@@"
MARKER_RE = re.compile(r"@@values:([A-Za-z0-9_.]+)@@")

# Kubernetes name and label syntax (k8s.io/apimachinery validation), for the schema.
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
LABEL_KEY = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
PROMETHEUS_LABEL = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
URL = r"^https?://[^\s/]+"


@dataclass(frozen=True)
class DeployValue:
    """One deploy-time choice: where it sits in values.yaml, its schema, and the renderer input it replaces.

    `field` is an attribute path into `compiler.KubeInputs` (a last element naming a mapping key is allowed:
    ("alertmanager", "urls", "critical")). `variant`: the objects are rendered once per value of the schema's enum
    instead of holding a marker. `default` replaces reading the field (when the input's config value is not the
    chart's default).
    """

    path: str
    help: str
    schema: dict
    field: tuple[str, ...]
    variant: bool = False
    default: Callable[[Any], Any] | None = None


def _string(**extra: Any) -> dict:
    return {"type": "string", "minLength": 1, **extra}


_QUANTITIES = {"type": "object", "additionalProperties": False,
               "properties": {k: {"type": ["string", "number"]} for k in ("cpu", "memory", "ephemeral-storage")}}


def deploy_values(modes: tuple[str, ...]) -> tuple[DeployValue, ...]:
    """The declarations, with the exporter modes this config allows."""
    return (
        DeployValue("namespace", "Namespace of the PrometheusRule, PodMonitor, dashboards and GrafanaFolder; empty: the "
                    "release's (helm install --namespace). The AlertmanagerConfig and NetworkPolicy act in the "
                    "provider's namespace, which the rules select on: config provider.namespace.",
                    {"type": "string", "pattern": f"^$|{DNS_LABEL}"}, ("kube", "namespace"), default=lambda _: ""),
        DeployValue("exporter.image", "The gitea-api-exporter image (the release workflow publishes it).",
                    _string(), ("sidecar", "image")),
        DeployValue("exporter.mode", "probe: the exporter probes the Gitea API; proxy or both: it also forwards the "
                    "provider's Gitea calls (point the ProviderConfig's base URL at the proxy port) and measures them.",
                    {"type": "string", "enum": list(modes)}, ("sidecar", "mode"), variant=True),
        DeployValue("exporter.resources", "Requests and limits of the sidecar; the defaults come from the benchmark "
                    "(docs/exporter.md, 'Benchmark') for the config's probe interval.",
                    {"type": "object", "additionalProperties": False,
                     "properties": {"requests": _QUANTITIES, "limits": _QUANTITIES}},
                    ("sidecar", "resources"), default=lambda inputs: k8s.sidecar_resources(inputs.sidecar)),
        DeployValue("exporter.giteaUrl", "The Gitea the exporter probes (the ProviderConfig's base URL).",
                    _string(pattern=URL), ("sidecar", "gitea_url")),
        DeployValue("exporter.tokenSecret.name", "The Secret, in the provider's namespace, holding the Gitea token the "
                    "ProviderConfig uses (mounted read-only; optional, so a wrong name does not stop the provider).",
                    _string(pattern=DNS_SUBDOMAIN, maxLength=253), ("sidecar", "token_secret_name")),
        DeployValue("exporter.tokenSecret.key", "The key of that Secret holding the token.",
                    _string(pattern=r"^[-._a-zA-Z0-9]+$", maxLength=253), ("sidecar", "token_secret_key")),
        *(DeployValue(f"alertmanagerConfig.receivers.{sev}", f"Webhook URL of the {sev} receiver.",
                      _string(pattern=URL), ("alertmanager", "urls", sev)) for sev in SEVERITIES),
    )


PART_HELP = {
    "rules": "The PrometheusRule: recording rules and alerts (kube-prometheus-stack selects it by the release label).",
    "pod-monitor": "The PodMonitor scraping the provider and the exporter sidecar in the provider's namespace.",
    "grafana-sidecar": "Dashboards as ConfigMaps for the Grafana dashboard sidecar (label grafana_dashboard: \"1\").",
    "grafana-operator": "Dashboards as grafana-operator GrafanaDashboards in a GrafanaFolder.",
    "exporter": "The DeploymentRuntimeConfig adding the gitea-api-exporter sidecar to the provider's pod "
                "(cluster-scoped; reference it from the Provider).",
    "alertmanager-config": "An AlertmanagerConfig routing our alerts by severity, in the provider's namespace.",
    "network-policy": "A NetworkPolicy admitting only Prometheus to the exporter's metrics port (Kubernetes 1.25+).",
}


def part_key(part: str) -> str:
    """`grafana-sidecar` -> `grafanaSidecar`: a part's key in values.yaml."""
    head, *rest = part.split("-")
    return head + "".join(w.capitalize() for w in rest)


def _get(obj: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        obj = obj[name] if isinstance(obj, dict) else getattr(obj, name)
    return obj


def _replace(obj: Any, path: tuple[str, ...], value: Any) -> Any:
    """`obj` with the attribute (or mapping key) at `path` set to `value`, frozen dataclasses copied."""
    head, rest = path[0], path[1:]
    if isinstance(obj, dict):
        return {**obj, head: _replace(obj[head], rest, value) if rest else value}
    return dataclasses.replace(obj, **{head: _replace(getattr(obj, head), rest, value) if rest else value})


def _set_path(tree: dict, path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for name in parents:
        tree = tree.setdefault(name, {})
    tree[leaf] = value


@dataclass(frozen=True)
class ChartObject:
    part: str
    name: str  # the kustomize file name without .yaml
    by: str  # the values path choosing among variants, or ""
    variants: dict[str, dict]  # value of `by` -> object ({"": object} without variants)


def chart_objects(model: Any, inputs: Any, values: tuple[DeployValue, ...],
                  render: Callable[[Any, Any], dict[str, dict[str, dict]]]) -> list[ChartObject]:
    """Every object of every part, rendered from `inputs` with markers in place of the deploy-time values."""
    marked = dataclasses.replace(inputs, kube=dataclasses.replace(inputs.kube, labels={}),
                                 sidecar=dataclasses.replace(inputs.sidecar, labels={}))
    for v in values:
        if not v.variant:
            marked = _replace(marked, v.field, MARKER.format(v.path))
    variants = [v for v in values if v.variant]
    assert len(variants) <= 1, "one variant dimension is supported"
    variant = variants[0] if variants else None
    choices = variant.schema["enum"] if variant else [""]
    renders = {c: render(model, _replace(marked, variant.field, c) if variant else marked) for c in choices}
    first = renders[choices[0]]
    out = []
    for part, objects in first.items():
        for file in objects:
            forms = {c: renders[c][part][file] for c in choices}
            same = all(f == forms[choices[0]] for f in forms.values())
            out.append(ChartObject(part, file.removesuffix(".yaml"), "" if same or not variant else variant.path,
                                   {"": forms[choices[0]]} if same else forms))
    _check_markers(out, values)
    return out


def _check_markers(objects: list[ChartObject], values: tuple[DeployValue, ...]) -> None:
    """Each marker is a whole string value, and each declared value lands somewhere (else it controls nothing)."""
    seen: set[str] = set()

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{where}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]")
        elif isinstance(node, str) and "@@values:" in node:
            m = MARKER_RE.fullmatch(node)
            if not m:
                raise DefinitionError(where, "helm value", f"a value marker is part of a longer string: {node[:80]!r}",
                                      "pass the value whole to the renderer (monitoring/render/helm.py)")
            seen.add(m.group(1))

    for o in objects:
        for variant in o.variants.values():
            walk(variant, f"{o.part}/{o.name}")
    unused = [v.path for v in values if not v.variant and v.path not in seen]
    if unused:
        raise DefinitionError("monitoring/render/helm.py", "deploy_values()", f"{', '.join(unused)} reach no object",
                              "declare the renderer input the value replaces")


def _alerts(objects: list[ChartObject]) -> dict[str, dict]:
    """Alert name -> its default values (enabled, its severity, no extra labels), in the rule file's order."""
    out: dict[str, dict] = {}
    for o in objects:
        for obj in o.variants.values():
            if obj["kind"] != "PrometheusRule":
                continue
            for group in obj["spec"]["groups"]:
                for rule in group["rules"]:
                    if "alert" in rule:
                        if rule["alert"] in out:
                            raise DefinitionError(group["name"], rule["alert"], "two alerts share this name",
                                                  "the chart's alerts.<name> values need unique names")
                        out[rule["alert"]] = {"enabled": True, "severity": rule["labels"]["severity"], "labels": {}}
    return out


def default_values(objects: list[ChartObject], inputs: Any, values: tuple[DeployValue, ...],
                   parts: tuple[str, ...], base: tuple[str, ...],
                   kind_labels: dict[str, dict[str, str]]) -> dict:
    """values.yaml as data: the config's choices, which render exactly the kustomize base (plus components if on)."""
    tree: dict = {"namespace": ""}
    for part in parts:
        tree[part_key(part)] = {"enabled": part in base}
    for v in values:
        _set_path(tree, v.path, v.default(inputs) if v.default else _get(inputs, v.field))
    kinds = sorted({obj["kind"] for o in objects for obj in o.variants.values()})
    tree["labels"] = {"common": dict(kind_labels.get("*", {})), **{k: dict(kind_labels.get(k, {})) for k in kinds}}
    tree["alerts"] = _alerts(objects)
    return tree


def _labels_schema(help: str, names: str = LABEL_KEY, values: str = LABEL_VALUE, reserved: tuple[str, ...] = ()) -> dict:
    names_schema: dict = {"pattern": names}
    if reserved:
        names_schema["not"] = {"enum": list(reserved)}
    value_schema = {"type": "string", "pattern": values, "maxLength": 63} if values else {"type": "string"}
    return {"type": "object", "description": help, "propertyNames": names_schema, "additionalProperties": value_schema}


def _object(properties: dict, help: str = "") -> dict:
    out = {"type": "object", "additionalProperties": False, "properties": properties}
    return {"description": help, **out} if help else out


def values_schema(tree: dict, values: tuple[DeployValue, ...], parts: tuple[str, ...]) -> dict:
    """values.schema.json: every key declared, no other (a typo fails `helm install`), types and enums."""
    schema: dict = {"global": {"type": "object", "description": "Helm's values shared with parent charts."}}
    for part in parts:
        enabled = {"type": "boolean", "description": "Render this part."}
        text = PART_HELP.get(part, f"The {part} component (build/kubernetes/components/{part}/).")
        schema[part_key(part)] = _object({"enabled": enabled}, text)
    for v in values:
        *parents, leaf = v.path.split(".")
        node = schema
        for name in parents:
            node = node.setdefault(name, _object({}))["properties"]
        node[leaf] = {"description": v.help, **v.schema}
    schema["labels"] = _object({k: _labels_schema(f"Extra labels on every {k}." if k != "common"
                                                  else "Extra labels on every object.")
                                for k in tree["labels"]},
                               "Extra labels per kind of object (kube-prometheus-stack selects rules and PodMonitors by "
                               "`release`).")
    alert = _object({"enabled": {"type": "boolean", "description": "false: the alert is left out of the PrometheusRule."},
                     "severity": {"type": "string", "enum": list(SEVERITIES), "description": "Routes the alert."},
                     "labels": _labels_schema("Extra labels on the alert.", PROMETHEUS_LABEL, "",
                                              ("severity", "alertname"))})
    schema["alerts"] = _object({name: alert for name in tree["alerts"]},
                               "Per alert: enabled, severity, extra labels. Thresholds and `for` are in the config.")
    return {"$schema": "http://json-schema.org/draft-07/schema#", "title": f"{CHART_NAME} values",
            **_object(schema)}


# The chart's one template. It reads files/index.json (parts -> object files, and the value paths whose markers
# the objects hold); everything else it knows is in values.yaml.
TEMPLATE = r"""{{- /* Generated by gitea-provider-monitoring: renders files/ with the values (monitoring/render/helm.py). */ -}}
{{- $index := .Files.Get "files/index.json" | fromJson -}}
{{- $values := deepCopy .Values -}}
{{- $_ := set $values "namespace" (.Values.namespace | default .Release.Namespace) -}}
{{- range $part := $index.parts -}}
{{- if (index $values $part.key).enabled -}}
{{- range $object := $part.objects -}}
{{- $file := index $object.files "" | default "" -}}
{{- if $object.by -}}
{{- $choice := $values -}}
{{- range (splitList "." $object.by) -}}{{- $choice = index $choice . -}}{{- end -}}
{{- $file = index $object.files $choice -}}
{{- end -}}
{{- $text := $.Files.Get $file -}}
{{- range $path := $index.markers -}}
{{- $value := $values -}}
{{- range (splitList "." $path) -}}{{- $value = index $value . -}}{{- end -}}
{{- $text = replace (printf "\"@@values:%s@@\"" $path) (toJson $value) $text -}}
{{- end -}}
{{- $o := fromJson $text -}}
{{- $kindLabels := index $values.labels $o.kind | default dict -}}
{{- $_ := set $o.metadata "labels" (mustMergeOverwrite (dict) $o.metadata.labels $values.labels.common $kindLabels) -}}
{{- if eq $o.kind "PrometheusRule" -}}
{{- $groups := list -}}
{{- range $group := $o.spec.groups -}}
{{- $rules := list -}}
{{- range $rule := $group.rules -}}
{{- if hasKey $rule "alert" -}}
{{- $alert := index $values.alerts $rule.alert -}}
{{- if $alert.enabled -}}
{{- $severity := dict "severity" $alert.severity -}}
{{- $_ := set $rule "labels" (mustMergeOverwrite (dict) $rule.labels ($alert.labels | default dict) $severity) -}}
{{- $rules = append $rules $rule -}}
{{- end -}}
{{- else -}}
{{- $rules = append $rules $rule -}}
{{- end -}}
{{- end -}}
{{- if $rules -}}
{{- $_ := set $group "rules" $rules -}}
{{- $groups = append $groups $group -}}
{{- end -}}
{{- end -}}
{{- $_ := set $o.spec "groups" $groups }}
{{- end }}
---
{{ toYaml $o }}
{{ end -}}
{{- end -}}
{{- end -}}
"""


def _comment(text: str, indent: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > 110 - indent:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    if line:
        lines.append(line)
    return [" " * indent + "# " + s for s in lines]


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _emit(node: dict, schema: dict, indent: int = 0, comments: bool = True) -> list[str]:
    """YAML with each key's schema description above it (values.yaml documents itself; once per alert, not per
    field of each alert, and not above `enabled`, which its part's comment explains)."""
    out: list[str] = []
    props = schema.get("properties", {})
    for key, value in node.items():
        sub = props.get(key, {})
        if comments and sub.get("description") and key != "enabled":
            out += _comment(sub["description"], indent)
        name = key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", key) else _scalar(key)
        if isinstance(value, dict) and value:
            out.append(f"{' ' * indent}{name}:")
            out += _emit(value, sub, indent + 2, comments and key != "alerts")
        else:
            out.append(f"{' ' * indent}{name}: {_scalar(value)}")
    return out


def values_yaml(tree: dict, schema: dict, facts: dict[str, str]) -> str:
    """values.yaml: the header says what is not a value (the config's), then every value with its description."""
    head = [
        "# Deploy-time choices only. Thresholds, `for` windows, selectors, SLOs and ports come from the Python config",
        "# this chart was built from, and are written into the objects: change them with `make build CONFIG=your.yaml`",
        "# (docs/helm.md). values.schema.json refuses unknown keys and wrong types. This build's config:",
        *(f"#   {k}: {v}" for k, v in facts.items()),
        "",
    ]
    return GENERATED_HEADER + "\n".join(head + _emit(tree, schema)) + "\n"


def chart_yaml(version: str = __version__) -> dict:
    return {
        "apiVersion": "v2",
        "name": CHART_NAME,
        "description": "Prometheus rules, Grafana dashboards, the gitea-api-exporter sidecar and alert routing for "
                       "the Crossplane Gitea provider (rendered by gitea-provider-monitoring).",
        "type": "application",
        "version": version,
        "appVersion": version,
        "keywords": ["crossplane", "gitea", "prometheus", "grafana", "monitoring"],
        "home": "https://github.com/gitea-provider-monitoring/gitea-provider-monitoring",
    }


@dataclass(frozen=True)
class Chart:
    objects: list[ChartObject]
    values: dict  # values.yaml as data
    schema: dict  # values.schema.json
    facts: dict[str, str]  # the config's choices that are not values, for values.yaml's header
    parts: tuple[str, ...]
    declared: tuple[DeployValue, ...]


def values_table(c: Chart) -> str:
    """docs/helm.md's list of values: key, default, what it controls (from the schema's descriptions)."""
    rows = ["| Value | Default | What it controls |", "|---|---|---|"]

    def walk(node: dict, schema: dict, prefix: str) -> None:
        for key, value in node.items():
            sub = schema.get("properties", {}).get(key, {})
            path = f"{prefix}{key}"
            if key == "alerts":
                severities = ", ".join(SEVERITIES)
                rows.append("| `alerts.<Alert>.enabled` | `true` | false leaves the alert out of the PrometheusRule "
                            "(one entry per alert: docs/alerts-and-dashboards.md) |")
                rows.append(f"| `alerts.<Alert>.severity` | the alert's | {severities}: routes the alert |")
                rows.append("| `alerts.<Alert>.labels` | `{}` | extra labels on the alert (not severity, alertname) |")
            elif key == "labels":
                kinds = ", ".join(k for k in value if k != "common")
                rows.append("| `labels.common` | `{}` | extra labels on every object |")
                rows.append(f"| `labels.<Kind>` | the config's | extra labels on every object of that kind ({kinds}) |")
            elif isinstance(value, dict) and value and key != "resources":
                if sub.get("description") and "enabled" in value:
                    rows.append(f"| `{path}.enabled` | `{_scalar(value['enabled'])}` | {sub['description']} |")
                walk({k: v for k, v in value.items() if k != "enabled"}, sub, f"{path}.")
            else:
                shown = "the benchmark's" if key == "resources" else f"`{_scalar(value)}`"
                rows.append(f"| `{path}` | {shown} | {sub.get('description', '')} |")

    walk(c.values, c.schema, "")
    return "\n".join(rows) + "\n"


def chart_files(c: Chart) -> dict[str, str]:
    """Relative path under build/ -> text, for the whole chart."""
    objects, tree, schema, facts, parts, values = c.objects, c.values, c.schema, c.facts, c.parts, c.declared
    files: dict[str, str] = {}
    index: dict = {"markers": sorted(v.path for v in values if not v.variant), "parts": []}
    for part in parts:
        entries = []
        for o in (o for o in objects if o.part == part):
            named = {choice: f"files/{part}/{o.name}{'.' + choice if choice else ''}.json" for choice in o.variants}
            for choice, obj in o.variants.items():
                files[f"{HELM_DIR}/{named[choice]}"] = to_json(obj)
            entries.append({"by": o.by, "files": named})
        index["parts"].append({"key": part_key(part), "objects": entries})
    files[f"{HELM_DIR}/files/index.json"] = to_json(index)
    files[f"{HELM_DIR}/Chart.yaml"] = to_yaml(chart_yaml())
    files[f"{HELM_DIR}/values.yaml"] = values_yaml(tree, schema, facts)
    files[f"{HELM_DIR}/values.schema.json"] = to_json(schema)
    files[f"{HELM_DIR}/templates/objects.yaml"] = TEMPLATE
    files[f"{HELM_DIR}/templates/NOTES.txt"] = (
        "gitea-provider-monitoring {{ .Chart.Version }}: see docs/helm.md. With the exporter on, reference the\n"
        "DeploymentRuntimeConfig from your Provider (spec.runtimeConfigRef.name).\n")
    return files
