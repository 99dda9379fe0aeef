"""`gitea-monitoring test`: a build proved with promtool (generated and hand-written cases) and the lint."""
