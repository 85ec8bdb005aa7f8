"""The model's slot rules against a real PostgreSQL (max_connections 20, 3 reserved for
superusers, SCRAM): how many sessions an ordinary role gets, which refusal comes next,
with which SQLSTATE and text, and the mix of refusals in a burst of dials."""

from __future__ import annotations

import threading
import time
from collections import Counter
from contextlib import ExitStack

import numpy as np
import simpy

from simpool.model.database import Database
from simpool.model.errors import PG_TOO_MANY_CLIENTS, reserved_refusals
from simpool.model.events import call_later
from simpool.scenario import load_scenario
from tests.realpg import wire
from tests.realpg.server import APP_PASSWORD, APP_ROLE, SUPERUSER, SUPERUSER_PASSWORD


def _spec(server, **database):
    """The scenario's view of the test server (PostgreSQL 15)."""
    return load_scenario({"database": {"max_connections": server.max_connections, "version": 15,
                                       "superuser_reserved_connections": server.superuser_reserved_connections,
                                       **database}}).database


def _dial(server, role=APP_ROLE):
    password = SUPERUSER_PASSWORD if role == SUPERUSER else APP_PASSWORD
    return wire.connect("127.0.0.1", server.port, role, password)


def _refusal(server, role=APP_ROLE) -> wire.ServerRefused:
    try:
        _dial(server, role).close()
    except wire.ServerRefused as exc:
        return exc
    raise AssertionError("the server let the dial in")


def test_an_ordinary_role_gets_exactly_the_usable_slots(pg):
    """The app role opens usable_connections (20 − 3) sessions; the next is refused after
    authentication with SQLSTATE 53300 and PostgreSQL 15's reserved-slot text, exactly as
    the model words it; a superuser still gets in."""
    spec = _spec(pg)
    expected, _ = reserved_refusals(spec.version)
    with ExitStack() as stack:
        for _ in range(spec.usable_connections):
            stack.callback(_dial(pg).close)
        refused = _refusal(pg)
        assert (refused.sqlstate, refused.severity, refused.message) == (
            expected.sqlstate, "FATAL", expected.server_text)
        assert refused.after_auth, "the reserved-slot check comes after authentication"
        assert f"{refused.severity}: {refused.message} (SQLSTATE {refused.sqlstate})" == expected.message
        stack.callback(_dial(pg, SUPERUSER).close)


def test_no_free_pgproc_means_sorry_before_authentication(pg):
    """With all max_connections PGPROCs taken (the superusers take the reserved ones), the
    next dial is refused with "sorry, too many clients already" before authentication."""
    spec = _spec(pg)
    with ExitStack() as stack:
        for _ in range(spec.usable_connections):
            stack.callback(_dial(pg).close)
        for _ in range(spec.superuser_reserved_connections):
            stack.callback(_dial(pg, SUPERUSER).close)
        for role in (APP_ROLE, SUPERUSER):
            refused = _refusal(pg, role)
            assert (refused.sqlstate, refused.message) == (PG_TOO_MANY_CLIENTS.sqlstate,
                                                           PG_TOO_MANY_CLIENTS.server_text)
            assert not refused.after_auth


def _burst(server, dials: int, held: int) -> list[tuple[float, str, float | None]]:
    """``held`` app sessions open, then ``dials`` threads dial at once (a Go pool with
    MaxOpen unset dials one goroutine per request): each dial's start, outcome and, if it
    got in, its handshake time."""
    outcomes: list[tuple[float, str, object]] = [None] * dials  # type: ignore[list-item]
    barrier = threading.Barrier(dials)

    def dial(i: int) -> None:
        barrier.wait()
        start = time.perf_counter()
        # The dial reaches the server when its TCP connect completes (the thread may be
        # held up on the GIL between taking ``start`` and calling connect).
        try:
            session = _dial(server)
            outcomes[i] = (start + session.timings["tcp"], "ok", session)
        except wire.ServerRefused as exc:
            outcomes[i] = (start + exc.timings["tcp"], exc.message, None)

    with ExitStack() as stack:
        for _ in range(held):
            stack.callback(_dial(server).close)
        threads = [threading.Thread(target=dial, args=(i,)) for i in range(dials)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for _, _, session in outcomes:
            if session is not None:
                session.close()
    first = min(start for start, _, _ in outcomes)
    return [(start - first, outcome, session.timings["ready"] if session else None)
            for start, outcome, session in outcomes]


def _predict(spec, starts: list[float], handshakes: list[float], rng) -> list[str]:
    """The model's outcomes for dials at ``starts`` with handshakes resampled from
    ``handshakes`` (measured alone on the same server)."""
    env = simpy.Environment()
    draws = iter(rng.choice(handshakes, size=len(starts)))
    server = Database(env, spec, load_scenario({}).network, lambda: next(draws))
    outcomes: list[str] = []
    for start in starts:
        call_later(env, start, lambda _c: server.dial(
            float("inf"), lambda _t, _s, err: outcomes.append(err.server_text if err else "ok"), None), None)
    env.run()
    return outcomes


def _quiet(server) -> None:
    """Wait until the backends of earlier dials have exited (a refused or closed backend
    gives its PGPROC back only when its process ends)."""
    import psycopg

    with psycopg.connect(server.dsn(SUPERUSER), autocommit=True) as conn:
        for _ in range(200):
            (others,) = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = "
                                     "'client backend' AND pid <> pg_backend_pid()").fetchone()
            if others == 0:
                return
            time.sleep(0.02)


def test_a_burst_sees_both_refusals_in_the_models_proportions(pg):
    """Bursts of 28 dials with 8 app sessions held: at most 9 get in (17 usable − 8), the
    rest are refused, early ones after authentication ("reserved"), late ones at the
    startup packet ("sorry"). The model, given the same dial times and handshakes measured
    alone just before, predicts the share of "sorry" among the refusals within 0.3; the
    rule simpool had before #13 (a slot held from the start of the dial, no accept loop)
    over-predicts it by more than 0.1.

    Why 0.3: 8 bursts give about 150 refusals, so the measured share has a binomial
    standard error near 0.04 (±0.08 at 2σ). The rest is what the model leaves out: the
    CPU that ~30 backends, the postmaster and the client threads fight for on a shared
    2-core machine (load averages of 6–8 were common while this was written), which
    spreads the dials' arrival at the server by 100–250 ms instead of the clients' 5–20 ms;
    over 17 runs the measured share stayed within 0.29–0.49 while the model's moved between
    0.20 and 0.52 with the load behind the "alone" handshakes (largest gap 0.26, in a run
    beside the rest of the suite). The old rule predicts 0.69–0.84.
    """
    rng = np.random.default_rng(13)
    spec = _spec(pg, other_clients=8)
    before_13 = _spec(pg, other_clients=8, handshake_before_slot=0, refused_handshake=0.35, accept_rate=0)
    measured: list[str] = []
    predicted: list[str] = []
    predicted_before_13: list[str] = []
    for _ in range(8):
        _quiet(pg)
        alone = []  # measured just before each burst: the shared machine's load drifts
        for _ in range(10):
            session = _dial(pg)
            alone.append(session.timings["ready"])
            session.close()
        _quiet(pg)
        burst = _burst(pg, dials=28, held=8)
        assert Counter(outcome for _, outcome, _ in burst)["ok"] <= spec.usable_connections - 8
        measured += [outcome for _, outcome, _ in burst]
        starts = [start for start, _, _ in burst]
        for _ in range(10):
            predicted += _predict(spec, starts, alone, rng)
            predicted_before_13 += _predict(before_13, starts, alone, rng)

    def sorry_share(outcomes: list[str]) -> float:
        refused = [o for o in outcomes if o != "ok"]
        return refused.count(PG_TOO_MANY_CLIENTS.server_text) / len(refused)

    reserved_text = reserved_refusals(15)[0].server_text
    assert set(measured) == {"ok", PG_TOO_MANY_CLIENTS.server_text, reserved_text}
    assert Counter(measured)["ok"] >= 0.8 * 8 * (spec.usable_connections - 8)
    share, model, old = sorry_share(measured), sorry_share(predicted), sorry_share(predicted_before_13)
    assert abs(share - model) < 0.3 and share < old - 0.1, (share, model, old)
