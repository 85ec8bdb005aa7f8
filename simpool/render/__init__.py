"""Renderers: they draw what :mod:`simpool.result` and :mod:`simpool.analysis` hand them,
and decide nothing.

- :mod:`.figures`: the one figure style, pyplot-free figures, atomic PNG + SVG saving;
- :mod:`.run_plots`, :mod:`.sweep_plots`, :mod:`.heatmaps`: the figures;
- :mod:`.run_tables`, :mod:`.sweep_table`: the rich tables;
- :mod:`.run_files`, :mod:`.sweep_files`: the result files; :mod:`.files`: atomic writes.

Nothing is imported here, so that importing one renderer does not pay for matplotlib.
"""
