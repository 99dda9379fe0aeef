"""Renderers: the model and the definitions compiled into build/ (rules, dashboards, manifests, tests, docs)."""
