"""Delivery: dashboards pushed to Grafana over its HTTP API, compared by content so a push changes only what differs."""
