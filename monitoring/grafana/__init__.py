"""Grafana: turning grafanalib output into the current dashboard model, and (later) delivery."""
