"""Findings as data: what a run or a sweep shows, computed once, for every renderer to read.

- :mod:`.diagnosis`: the run's findings (which rule, how serious, the sentence);
- :mod:`.sweep_findings`: a sweep's best point, first refusal and headroom;
- :mod:`.whatif`: the measured what-if run behind a piece of advice;
- :mod:`.slo`: service-level objectives and a run's verdict on each.
"""

from .diagnosis import Finding as Finding
from .diagnosis import diagnose as diagnose
from .slo import SloTerm as SloTerm
from .slo import SloVerdict as SloVerdict
from .sweep_findings import SweepFindings as SweepFindings
from .sweep_findings import find as find_sweep_findings
from .whatif import Effect as Effect
from .whatif import WhatIf as WhatIf

__all__ = ["Effect", "Finding", "SloTerm", "SloVerdict", "SweepFindings", "WhatIf", "diagnose",
           "find_sweep_findings"]
