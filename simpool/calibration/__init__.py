"""Calibrating a scenario's ``database`` section against a real server.

:mod:`.postgres` reads a PostgreSQL server's limits and sessions and times connection
set-ups and a probe query (psycopg 3, an optional dependency: ``pip install
'simpool[calibrate]'``); :mod:`.fit` turns the samples into distributions; :mod:`.output`
writes the ``database:`` block as a new scenario or merges it into an existing file
without losing its comments or layout (ruamel.yaml round-trip).
"""

from .errors import CalibrationError as CalibrationError
from .fit import Fit as Fit
from .fit import fit_samples as fit_samples
from .postgres import Calibration as Calibration
from .postgres import ServerFacts as ServerFacts
from .postgres import SessionGroup as SessionGroup
from .postgres import calibrate_postgres as calibrate_postgres
