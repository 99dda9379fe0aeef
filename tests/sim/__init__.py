"""Local simulators of servers we cannot run here (Gitea, Grafana), validated against ../shared/specs/.

The tests, the end-to-end harness and the benchmarks all use them.
"""
