"""Proof against Go itself: the real ``database/sql`` pool (``harness/``, a Go program)
and simpool's model replay the same request traces, and their numbers are compared.

- :mod:`validation.traces` — the short traces, each a story the model must get right;
- :mod:`validation.gorun` — builds the Go harness and replays a trace through it;
- :mod:`validation.compare` — replays the same trace through simpool, with the durations
  measured in Go, and compares the two within tolerances from Go's own run-to-run spread;
- :mod:`validation.report` — runs everything, writes ``results.json`` and the README table.
"""
