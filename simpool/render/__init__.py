"""Renderers: they draw what :mod:`simpool.result` and :mod:`simpool.analysis` hand them,
and decide nothing.

- :mod:`.figures`: the one figure style and palette, headers and footnotes, pyplot-free
  figures that show themselves in Jupyter, PNG + SVG output;
- :mod:`.describe`: a configuration in words (every figure's subtitle, the reports);
- :mod:`.run_plots` (with :mod:`.bins`), :mod:`.sweep_plots`, :mod:`.heatmaps`: the figures;
- :mod:`.run_tables`, :mod:`.sweep_table`: the rich tables;
- :mod:`.report` (on :mod:`.document`): ``report.md`` and ``report.html``;
- :mod:`.run_files`, :mod:`.sweep_files`: the result files; :mod:`.files`: atomic writes.

Nothing is imported here, so that importing one renderer does not pay for matplotlib.
"""
