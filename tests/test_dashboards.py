"""Dashboards: Grafana 12's schema, modern panels, units and descriptions, a clean grid, shared thresholds."""

from __future__ import annotations

import json
from pathlib import Path

import grafanalib.core as G
import jsonschema
import pytest

from gitea_provider_monitoring.lint.runner import OWN_SCHEMA
from gitea_provider_monitoring.model import panels as p
from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.model.dashboard import panel_queries, substitute_variables
from gitea_provider_monitoring.model.grafana_model import SCHEMA_VERSION, to_current_model
from gitea_provider_monitoring.model.promql import metric_names
from tests.sim.openapi import spec_file

MODERN = {"timeseries", "stat", "gauge", "bargauge", "table", "heatmap", "state-timeline", "text", "row"}


def _dashboards(built: Path) -> dict[str, dict]:
    return {f.stem: json.loads(f.read_text()) for f in sorted((built / "grafana" / "dashboards").glob("*.json"))}


def _leaf_panels(d: dict) -> list[dict]:
    out = []
    for panel in d["panels"]:
        if panel["type"] == "row":
            out += panel["panels"]
        else:
            out.append(panel)
    return out


@pytest.fixture(scope="module")
def schema_validator() -> jsonschema.Draft7Validator:
    """Grafana's official schema when ../shared/specs is there, else our own description of the model."""
    path = spec_file("grafana-dashboard.schema.json") or OWN_SCHEMA
    schema = json.loads(path.read_text())
    return jsonschema.Draft7Validator(schema)


def test_five_dashboards(built: Path) -> None:
    assert set(_dashboards(built)) == {"provider-overview", "resource-management", "troubleshooting",
                                       "capacity-planning", "gitea-api"}


def test_every_dashboard_validates_against_grafana_schema(built: Path, schema_validator) -> None:
    for name, d in _dashboards(built).items():
        errors = list(schema_validator.iter_errors(d))
        assert not errors, f"{name}: " + "; ".join(f"{list(e.absolute_path)}: {e.message[:120]}" for e in errors[:3])


def test_schema_rejects_grafanalib_raw_output(schema_validator) -> None:
    """The converter is needed: grafanalib's own output fails the schema."""
    raw = G.Dashboard(title="t", uid="t", panels=[])
    import json as _json

    from grafanalib._gen import DashboardEncoder
    data = _json.loads(_json.dumps(raw.to_json_data(), cls=DashboardEncoder))
    assert list(schema_validator.iter_errors(data))
    assert not list(schema_validator.iter_errors(to_current_model(raw)))


def test_converter_removes_legacy_keys() -> None:
    raw = G.Dashboard(title="t", uid="t", sharedCrosshair=True, panels=[
        G.Heatmap(title="h", targets=[G.Target(expr="up")], gridPos=G.GridPos(h=1, w=1, x=0, y=0))])
    out = to_current_model(raw)
    assert out["schemaVersion"] == SCHEMA_VERSION == 42
    for key in ("rows", "style", "hideControls", "sharedCrosshair"):
        assert key not in out
    assert out["graphTooltip"] == 1
    (panel,) = out["panels"]
    assert "cards" not in panel and "xAxis" not in panel
    assert panel["targets"][0]["refId"] == "A" and "step" not in panel["targets"][0]


def test_panels_are_modern_with_unit_and_description(built: Path) -> None:
    for name, d in _dashboards(built).items():
        for panel in d["panels"]:
            assert panel["type"] in MODERN, f"{name}: {panel['title']}: {panel['type']}"
        for panel in _leaf_panels(d):
            where = f"{name}: {panel.get('title')}"
            assert panel["type"] in MODERN, where
            assert panel.get("description"), where
            if panel["type"] != "text":
                assert panel["fieldConfig"]["defaults"].get("unit"), where


def test_grid_has_no_overlaps(built: Path) -> None:
    for name, d in _dashboards(built).items():
        cells: dict[tuple[int, int], str] = {}
        for panel in d["panels"] + [c for r in d["panels"] if r["type"] == "row" for c in r["panels"]]:
            g = panel["gridPos"]
            assert 0 <= g["x"] and g["x"] + g["w"] <= 24, f"{name}: {panel['title']} leaves the grid"
            if any(panel is c for r in d["panels"] if r["type"] == "row" and r["collapsed"] for c in r["panels"]):
                continue  # collapsed rows hold their panels; Grafana lays them out when expanded
            for x in range(g["x"], g["x"] + g["w"]):
                for y in range(g["y"], g["y"] + g["h"]):
                    assert (x, y) not in cells, f"{name}: {panel['title']} overlaps {cells[(x, y)]}"
                    cells[(x, y)] = panel["title"]


def test_ids_unique_and_uids_stable(built: Path) -> None:
    uids = set()
    for name, d in _dashboards(built).items():
        ids = [p_["id"] for p_ in d["panels"]] + [c["id"] for r in d["panels"] if r["type"] == "row" for c in r["panels"]]
        assert len(ids) == len(set(ids)), name
        assert d["uid"].startswith("gitea-provider-") and d["uid"] not in uids
        uids.add(d["uid"])
        assert set(d["tags"]) >= {"gitea-provider", "crossplane"}


def test_variables_and_links(built: Path) -> None:
    for name, d in _dashboards(built).items():
        names = [v["name"] for v in d["templating"]["list"]]
        assert names[:4] == ["datasource", "cluster", "namespace", "pod"], name
        assert d["templating"]["list"][1]["hide"] == 2  # single cluster by default
        (link,) = d["links"]
        assert link["keepTime"] and link["includeVars"]
        for panel in _leaf_panels(d):
            for target in panel.get("targets", []):
                assert target["datasource"]["uid"] == "${datasource}"
    assert "controller" in [v["name"] for v in _dashboards(built)["resource-management"]["templating"]["list"]]


def test_alert_thresholds_come_from_the_config(tmp_path: Path) -> None:
    """Change a threshold in the config: the panel that shows that alert draws the new value."""
    from gitea_provider_monitoring.model.config import load_config
    from gitea_provider_monitoring.render.compiler import build

    cfg = tmp_path / "c.yaml"
    cfg.write_text("thresholds:\n  reconcile_failure_ratio: 0.4\n")
    build(load_config(cfg), tmp_path / "out")
    d = json.loads((tmp_path / "out" / "grafana" / "dashboards" / "provider-overview.json").read_text())
    panel = next(x for x in _leaf_panels(d) if x["title"] == "Failure ratio (error + requeue)")
    assert panel["fieldConfig"]["defaults"]["thresholds"]["steps"][-1]["value"] == 0.4


def test_queries_use_only_catalog_metrics_or_recording_rules(built: Path) -> None:
    from gitea_provider_monitoring.model import catalog
    from gitea_provider_monitoring.render.compiler import load_model

    records = {r.record for rf in load_model(Config()).rule_files for r in rf.records()}
    for name, d in _dashboards(built).items():
        queries = panel_queries(d)
        assert len(queries) > 5, name
        for title, expr in queries:
            for metric in metric_names(substitute_variables(expr)):
                assert catalog.lookup(metric) or metric in records, f"{name}: {title}: {metric}"


def test_optional_panels_say_so() -> None:
    assert "No data is expected" in p.OPTIONAL_HINT
