"""Findings as data: what a run or a sweep shows, computed once, for every renderer to read.

- :mod:`.diagnosis`: the run's findings (which rule, how serious, the sentence), advice
  only where a what-if helped; the rules in :mod:`.rules` and :mod:`.saturation`;
- :mod:`.counterfactual`: the what-if runs on the same traffic; :mod:`.whatif` their records;
- :mod:`.slo`: service-level objectives and a run's verdict on each;
- :mod:`.sweep_findings`: a sweep's best point, first refusal and headroom;
  :mod:`.sweep_causes`: why no point is free of failures.
"""

from .diagnosis import Diagnosis as Diagnosis
from .diagnosis import Finding as Finding
from .diagnosis import diagnose as diagnose
from .diagnosis import diagnose_run as diagnose_run
from .slo import SloTerm as SloTerm
from .slo import SloVerdict as SloVerdict
from .slo import gate as gate
from .slo import parse_terms as parse_terms
from .sweep_findings import SweepFindings as SweepFindings
from .sweep_findings import find as find_sweep_findings
from .whatif import Effect as Effect
from .whatif import WhatIf as WhatIf

__all__ = ["Diagnosis", "Effect", "Finding", "SloTerm", "SloVerdict", "SweepFindings", "WhatIf", "diagnose",
           "diagnose_run", "find_sweep_findings", "gate", "parse_terms"]
