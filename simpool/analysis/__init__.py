"""Findings as data: what a run or a sweep shows, computed once, for every renderer to read.

- :mod:`.diagnosis`: the run's findings (which rule, how serious, the sentence);
- :mod:`.sweep_findings`: a sweep's best point, first refusal and headroom.
"""

from .diagnosis import Finding as Finding
from .diagnosis import diagnose as diagnose
from .sweep_findings import SweepFindings as SweepFindings
from .sweep_findings import find as find_sweep_findings

__all__ = ["Finding", "SweepFindings", "diagnose", "find_sweep_findings"]
