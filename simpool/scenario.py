"""Scenario files: one pydantic model per YAML section, every field with a default.

``Scenario()`` (an empty file) is the built-in default story: three Go services with Go's
default pool settings behind one PostgreSQL, hit by a traffic spike. Durations are Go
strings (``250ms``, ``1h30m``) parsed to seconds; rates are ``N/s``, ``N/min``, ``N/h``
parsed to events per second. Unknown keys are errors, so typos cannot pass silently.

The model (``simpool.model``) only reads these specs; it never parses text.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    PrivateAttr,
    Tag,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from .exceptions import ScenarioError
from .units import format_duration, format_rate, parse_duration, parse_rate

Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""Seconds, written as a Go duration string."""

Rate = Annotated[
    float,
    BeforeValidator(parse_rate),
    PlainSerializer(format_rate, return_type=str, when_used="json"),
]
"""Events per second, written as ``N/s``, ``N/min`` or ``N/h``."""


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_default=True)


def _resolve(path: str, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir") if info is not None else None
    candidate = Path(path).expanduser()
    if not candidate.is_absolute() and base is not None:
        candidate = Path(base) / candidate
    return candidate


def _read_text(path: str, info: ValidationInfo) -> str:
    resolved = _resolve(path, info)
    try:
        return resolved.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read {str(resolved)!r}: {exc.strerror or exc}") from None


# ---------------------------------------------------------------------------- distributions


class ConstantDist(_Spec):
    """Always the same value."""

    dist: Literal["constant"] = "constant"
    value: Duration = Field(0.0, description="The value.")

    @property
    def mean(self) -> float:
        return self.value


class ExponentialDist(_Spec):
    """Exponential with the given mean (memoryless; the textbook M in M/M/c)."""

    dist: Literal["exponential"] = "exponential"
    mean: Duration = Field(..., gt=0, description="Mean value.")


class LognormalDist(_Spec):
    """Lognormal given by its median and 99th percentile (long right tail)."""

    dist: Literal["lognormal"] = "lognormal"
    median: Duration = Field(..., gt=0, description="Median (50th percentile).")
    p99: Duration = Field(..., gt=0, description="99th percentile; must exceed the median.")

    @model_validator(mode="after")
    def _p99_above_median(self) -> LognormalDist:
        if self.p99 <= self.median:
            raise ValueError(
                f"p99 ({format_duration(self.p99)}) must be greater than the median "
                f"({format_duration(self.median)})"
            )
        return self

    @property
    def sigma(self) -> float:
        return (math.log(self.p99) - math.log(self.median)) / 2.3263478740408408

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)


class UniformDist(_Spec):
    """Uniform between low and high."""

    dist: Literal["uniform"] = "uniform"
    low: Duration = Field(..., description="Lower bound.")
    high: Duration = Field(..., description="Upper bound; at least low.")

    @model_validator(mode="after")
    def _ordered(self) -> UniformDist:
        if self.high < self.low:
            raise ValueError(
                f"high ({format_duration(self.high)}) must be >= low ({format_duration(self.low)})"
            )
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2


class EmpiricalDist(_Spec):
    """Resampled from measured values: a CSV (first column, or a column ``ms``) or a JSON
    list, in milliseconds, or Go duration strings. A relative path is resolved from the
    scenario file."""

    dist: Literal["empirical"] = "empirical"
    file: str = Field(..., description="CSV or JSON file of samples (milliseconds).")
    _samples: tuple[float, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _load(self, info: ValidationInfo) -> EmpiricalDist:
        text = _read_text(self.file, info)
        self._samples = tuple(_parse_samples(text, self.file))
        return self

    @property
    def samples(self) -> tuple[float, ...]:
        """The samples in seconds."""
        return self._samples

    @property
    def mean(self) -> float:
        return sum(self._samples) / len(self._samples)


def _sample_value(raw: Any, where: str) -> float:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = float(raw) / 1e3
    else:
        text = str(raw).strip()
        try:
            value = float(text) / 1e3
        except ValueError:
            try:
                value = parse_duration(text)
            except ValueError:
                raise ValueError(f"{where}: {raw!r} is neither milliseconds nor a duration") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{where}: sample {raw!r} must be a finite value >= 0")
    return value


def _parse_samples(text: str, name: str) -> list[float]:
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{name}: invalid JSON ({exc.msg}, line {exc.lineno})") from None
        values = [_sample_value(v, f"{name} item {i}") for i, v in enumerate(data)]
    else:
        reader = csv.reader(io.StringIO(text))
        rows = [(reader.line_num, r) for r in reader if r and r[0].strip()]
        column = 0
        if rows and not _is_sample(rows[0][1][0]):
            header = [h.strip() for h in rows[0][1]]
            column = header.index("ms") if "ms" in header else 0
            rows = rows[1:]
        values = [_sample_value(r[column] if column < len(r) else "", f"{name} line {line}")
                  for line, r in rows]
    if not values:
        raise ValueError(f"{name}: no samples found")
    return values


def _is_sample(text: str) -> bool:
    """A cell that reads as a sample (milliseconds or a duration), not a header."""
    try:
        float(text)
        return True
    except ValueError:
        pass
    try:
        parse_duration(text.strip())
        return True
    except ValueError:
        return False


def _dist_shorthand(value: Any) -> Any:
    """``3ms`` (or ``0``) is short for ``{dist: constant, value: 3ms}``."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return {"dist": "constant", "value": value}
    return value


def _dist_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("dist", "constant")
    return getattr(value, "dist", None)


Distribution = Annotated[
    Union[
        Annotated[ConstantDist, Tag("constant")],
        Annotated[ExponentialDist, Tag("exponential")],
        Annotated[LognormalDist, Tag("lognormal")],
        Annotated[UniformDist, Tag("uniform")],
        Annotated[EmpiricalDist, Tag("empirical")],
    ],
    Discriminator(
        _dist_tag,
        custom_error_type="invalid_distribution",
        custom_error_message="expected dist: constant, exponential, lognormal, uniform or empirical",
    ),
    BeforeValidator(_dist_shorthand),
]


# ---------------------------------------------------------------------------- database


class ContentionSpec(_Spec):
    """Universal Scalability Law: each query runs ``1 + sigma·(N−1) + kappa·N·(N−1)`` times
    slower when N queries are inside the database, so throughput falls past the knee."""

    sigma: float = Field(0.0, ge=0, le=1, description="Contention (serialisation) coefficient.")
    kappa: float = Field(0.0, ge=0, le=1, description="Coherency (crosstalk) coefficient.")


FLAVOR_DEFAULTS = {
    "postgres": {"max_connections": 100, "superuser_reserved_connections": 3, "idle_timeout": 0.0},
    "mysql": {"max_connections": 151, "superuser_reserved_connections": 0, "idle_timeout": 28800.0},
}


class DatabaseSpec(_Spec):
    """The kitchen: a server with a connection cap, a handshake cost and finite cores."""

    flavor: Literal["postgres", "mysql"] = Field(
        "postgres", description="Server flavour: slot arithmetic and error texts."
    )
    max_connections: int | None = Field(
        None, ge=1, description="Server cap (PostgreSQL default 100, MySQL 151)."
    )
    superuser_reserved_connections: int | None = Field(
        None, ge=0, description="PostgreSQL slots kept for superusers (default 3; MySQL: 0)."
    )
    reserved_connections: int = Field(
        0, ge=0, description="PostgreSQL 16+ slots for pg_use_reserved_connections roles."
    )
    other_clients: int = Field(
        0, ge=0, description="Sessions held all run long by others (monitoring, migrations, admin)."
    )
    handshake: Distribution = Field(
        default_factory=lambda: LognormalDist(median="5ms", p99="25ms"),
        description="Time to set up a connection (TCP, TLS, startup, authentication).",
    )
    refused_handshake: float = Field(
        0.35, ge=0, le=1,
        description="Fraction of a handshake that a dial refused for lack of slots still pays.",
    )
    cores: int = Field(16, ge=0, description="Queries run at once; more queue inside (0 = unlimited).")
    query: Distribution = Field(
        default_factory=lambda: ExponentialDist(mean="5ms"),
        description="Service time of one query on an idle server.",
    )
    contention: ContentionSpec = Field(default_factory=ContentionSpec)
    idle_timeout: Duration | None = Field(
        None, description="Server kills sessions idle this long (PostgreSQL 0 = off; MySQL wait_timeout 8h)."
    )

    @model_validator(mode="after")
    def _flavor_defaults(self) -> DatabaseSpec:
        defaults = FLAVOR_DEFAULTS[self.flavor]
        if self.max_connections is None:
            self.max_connections = defaults["max_connections"]
        if self.superuser_reserved_connections is None:
            self.superuser_reserved_connections = defaults["superuser_reserved_connections"]
        if self.idle_timeout is None:
            self.idle_timeout = defaults["idle_timeout"]
        if self.flavor == "mysql" and (self.superuser_reserved_connections or self.reserved_connections):
            raise ValueError("reserved connections are a PostgreSQL setting; MySQL keeps one extra admin slot")
        reserved = self.superuser_reserved_connections + self.reserved_connections
        if reserved >= self.max_connections:
            raise ValueError(
                f"reserved slots ({reserved}) leave no connection for the application "
                f"(max_connections {self.max_connections})"
            )
        if self.other_clients >= self.usable_connections:
            raise ValueError(
                f"other_clients ({self.other_clients}) take every usable slot "
                f"({self.usable_connections} of max_connections {self.max_connections})"
            )
        return self

    @property
    def usable_connections(self) -> int:
        """Sessions an ordinary role can hold: PostgreSQL ``max − superuser_reserved − reserved``."""
        return self.max_connections - self.superuser_reserved_connections - self.reserved_connections


# ---------------------------------------------------------------------------- pool and fleet


class PoolSpec(_Spec):
    """Go's ``*sql.DB`` settings, one pool per instance (``SetMaxOpenConns`` and friends)."""

    max_open: int = Field(0, ge=0, description="SetMaxOpenConns; 0 = unlimited (Go's default).")
    max_idle: int | None = Field(
        None, ge=0, description="SetMaxIdleConns; absent = Go's default 2, 0 = keep no idle conns."
    )
    conn_max_lifetime: Duration = Field(0.0, description="SetConnMaxLifetime; 0 = forever.")
    conn_max_idle_time: Duration = Field(0.0, description="SetConnMaxIdleTime; 0 = forever.")
    go_version: Literal["1.23", "1.18", "1.17"] = Field(
        "1.23",
        description="Behaviour profile: 1.23+ (uniform random waiter), 1.18 (1.18-1.22, map-biased "
        "waiter), 1.17 (oldest idle first, fixed-interval cleaner).",
    )
    waiter_order: Literal["random", "fifo"] = Field(
        "random", description="What-if: 'random' as the Go version does, or a FIFO queue."
    )

    @property
    def effective_max_idle(self) -> int:
        """The idle cap Go ends up with (``maxIdleConnsLocked`` after both setters)."""
        idle = 2 if self.max_idle is None else self.max_idle
        if self.max_open > 0:
            idle = min(idle, self.max_open)
        return idle


class AutoscaleSpec(_Spec):
    """Horizontal autoscaling on arrival rate per instance."""

    min: int = Field(1, ge=1, description="Fewest instances.")
    max: int = Field(10, ge=1, description="Most instances.")
    target: Rate = Field(..., gt=0, description="Arrival rate one instance should take, e.g. 300/s.")
    interval: Duration = Field("15s", gt=0, description="How often the autoscaler looks.")
    delay: Duration = Field("30s", description="Time for a new instance to start serving.")

    @model_validator(mode="after")
    def _bounds(self) -> AutoscaleSpec:
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) must be >= min ({self.min})")
        return self


class DeploySpec(_Spec):
    """A rolling deploy: instances are replaced in batches, old and new overlapping."""

    at: Duration = Field(..., description="When the deploy starts.")
    batch: int = Field(1, ge=1, description="Instances replaced at a time (max surge).")
    overlap: Duration = Field(
        "30s", description="How long a batch of new instances runs beside the old ones before they go."
    )


class FleetSpec(_Spec):
    """The app instances, each with its own pool, sharing one database."""

    instances: int = Field(3, ge=1, description="Instances (the starting count when autoscaling).")
    pool: PoolSpec = Field(default_factory=PoolSpec)
    autoscale: AutoscaleSpec | None = Field(None, description="Scale on load (off when absent).")
    deploy: DeploySpec | None = Field(None, description="A rolling deploy (none when absent).")

    @model_validator(mode="after")
    def _autoscale_bounds(self) -> FleetSpec:
        a = self.autoscale
        if a is not None and not a.min <= self.instances <= a.max:
            raise ValueError(f"instances ({self.instances}) must lie within autoscale min..max ({a.min}..{a.max})")
        return self


# ---------------------------------------------------------------------------- traffic


class PoissonArrivals(_Spec):
    """Poisson arrivals at a constant rate, optionally only within [start, end)."""

    kind: Literal["poisson"] = "poisson"
    rate: Rate = Field(..., description="Arrival rate, e.g. 600/s.")
    start: Duration = Field(0.0, description="First instant with arrivals.")
    end: Duration | None = Field(None, description="End of the arrivals (none = the whole run).")


class SpikeArrivals(_Spec):
    """Extra Poisson traffic at ``rate`` from ``at`` for ``for`` (added to the rest)."""

    kind: Literal["spike"] = "spike"
    at: Duration = Field(..., description="Start of the spike.")
    for_: Duration = Field(..., alias="for", gt=0, description="Length of the spike.")
    rate: Rate = Field(..., description="Extra arrival rate during the spike.")


class OnOffArrivals(_Spec):
    """Bursts: Poisson at ``rate`` for ``on``, then silence for ``off``, repeating."""

    kind: Literal["onoff"] = "onoff"
    rate: Rate = Field(..., description="Arrival rate while on.")
    on: Duration = Field(..., gt=0, description="Length of a burst.")
    off: Duration = Field(..., gt=0, description="Gap between bursts.")
    start: Duration = Field(0.0, description="Start of the first burst.")


class DiurnalArrivals(_Spec):
    """A daily wave: ``rate·(1 + amplitude·cos(2π(t − peak_at)/period))`` (non-homogeneous Poisson)."""

    kind: Literal["diurnal"] = "diurnal"
    rate: Rate = Field(..., description="Mean arrival rate over a period.")
    amplitude: float = Field(0.5, ge=0, le=1, description="Relative swing around the mean.")
    period: Duration = Field("24h", gt=0, description="Length of one cycle.")
    peak_at: Duration = Field(0.0, description="Time of the first peak.")


class TraceArrivals(_Spec):
    """Replay of recorded requests: a CSV or JSON list with ``t_ms`` and optional
    ``instance``, ``service_ms`` (per query) and ``timeout_ms`` columns."""

    kind: Literal["trace"] = "trace"
    file: str = Field(..., description="CSV or JSON file; relative to the scenario file.")
    _rows: tuple[tuple[float, Any, float | None, float | None], ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _load(self, info: ValidationInfo) -> TraceArrivals:
        self._rows = tuple(_parse_trace(_read_text(self.file, info), self.file))
        return self

    @property
    def rows(self) -> tuple[tuple[float, Any, float | None, float | None], ...]:
        """(t seconds, instance or None, service seconds or None, timeout seconds or None), by time."""
        return self._rows


def _optional_ms(value: Any, where: str, column: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {column} {value!r} is not a number") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{where}: {column} must be a finite number >= 0 (not {value!r})")
    return number / 1e3


def _parse_trace(text: str, name: str) -> list[tuple[float, Any, float | None, float | None]]:
    if text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{name}: invalid JSON ({exc.msg}, line {exc.lineno})") from None
        records = [r if isinstance(r, dict) else {"t_ms": r} for r in data]
        first_line = 0
    else:
        reader = csv.DictReader(io.StringIO(text))
        if reader.fieldnames is None or "t_ms" not in [f.strip() for f in reader.fieldnames]:
            raise ValueError(f"{name}: the CSV needs a header with a t_ms column")
        records = [{k.strip(): v for k, v in r.items() if k is not None} for r in reader]
        first_line = 2
    rows = []
    for i, record in enumerate(records):
        where = f"{name} line {i + first_line}" if first_line else f"{name} item {i}"
        unknown = set(record) - {"t_ms", "instance", "service_ms", "timeout_ms"}
        if unknown:
            raise ValueError(f"{where}: unknown column {sorted(unknown)[0]!r}")
        t = _optional_ms(record.get("t_ms"), where, "t_ms")
        if t is None:
            raise ValueError(f"{where}: t_ms is missing")
        instance = record.get("instance")
        if isinstance(instance, str):
            instance = instance.strip() or None
            if instance is not None and instance.isdigit():
                instance = int(instance)
        rows.append(
            (t, instance, _optional_ms(record.get("service_ms"), where, "service_ms"),
             _optional_ms(record.get("timeout_ms"), where, "timeout_ms"))
        )
    if not rows:
        raise ValueError(f"{name}: no requests found")
    rows.sort(key=lambda r: r[0])
    return rows


ArrivalSpec = Annotated[
    Union[PoissonArrivals, SpikeArrivals, OnOffArrivals, DiurnalArrivals, TraceArrivals],
    Field(discriminator="kind"),
]


class RequestSpec(_Spec):
    """What one request does with the database."""

    queries: int = Field(1, ge=1, description="Queries per request.")
    transaction: bool = Field(False, description="Run all queries in one transaction on one connection.")
    timeout: Duration = Field(
        "2s", description="Context deadline: bounds the wait, the dial and the queries (0 = none)."
    )
    think: Distribution = Field(
        default_factory=ConstantDist, description="App time between queries (a transaction keeps its conn)."
    )


def _default_arrivals() -> list[Any]:
    return [PoissonArrivals(rate="600/s"), SpikeArrivals(**{"at": "1m", "for": "1m", "rate": "2400/s"})]


class WorkloadSpec(_Spec):
    """Traffic: arrival processes that add up, and the request each arrival makes."""

    arrivals: list[ArrivalSpec] = Field(default_factory=_default_arrivals, min_length=1)
    request: RequestSpec = Field(default_factory=RequestSpec)


class PitfallsSpec(_Spec):
    """Production mistakes, each off by default."""

    pool_per_request: bool = Field(False, description="sql.Open per request (then db.Close): a dial each time.")
    leaked_rows: float = Field(
        0.0, ge=0, le=1,
        description="Fraction of requests that never close their *sql.Rows (held until the ctx ends, or forever).",
    )
    no_deadline: bool = Field(False, description="Handlers use context.Background(): no deadline anywhere.")


class NetworkSpec(_Spec):
    """A middlebox (NAT, firewall, load balancer) between the app and the database."""

    idle_drop: Duration = Field(0.0, description="Silently drop flows idle this long (0 = never).")
    keepalive: Duration = Field(
        "15s", description="Client TCP keepalive interval (Go's default 15s; 0 = off). Probes keep flows alive."
    )
    orphan_timeout: Duration = Field(
        "2h11m15s",
        description="How long the server keeps a session whose client vanished (server TCP keepalive: 2h + 9 × 75s).",
    )


class Scenario(_Spec):
    """A whole simulation: the database, the fleet, the traffic, the pitfalls and the clock."""

    name: str = Field("default", description="Short name, used for output folders.")
    description: str = Field("", description="The story this scenario tells.")
    duration: Duration = Field("3m", gt=0, description="Simulated time with arrivals.")
    warmup: Duration = Field("30s", description="Initial time excluded from statistics.")
    seed: int = Field(1, ge=0, description="Seed of every random stream.")
    sample_every: Duration = Field(0.0, description="Time-series step (0 = duration / 600).")
    database: DatabaseSpec = Field(default_factory=DatabaseSpec)
    fleet: FleetSpec = Field(default_factory=FleetSpec)
    workload: WorkloadSpec = Field(default_factory=WorkloadSpec)
    pitfalls: PitfallsSpec = Field(default_factory=PitfallsSpec)
    network: NetworkSpec = Field(default_factory=NetworkSpec)

    @model_validator(mode="after")
    def _clock(self) -> Scenario:
        if self.warmup >= self.duration:
            raise ValueError(
                f"warmup ({format_duration(self.warmup)}) must be shorter than duration "
                f"({format_duration(self.duration)})"
            )
        return self

    @property
    def step(self) -> float:
        """The time-series step in seconds."""
        return self.sample_every or self.duration / 600

    def effective(self) -> dict[str, Any]:
        """The scenario with every default filled in, as YAML-ready plain data."""
        return self.model_dump(mode="json", by_alias=True)


# ---------------------------------------------------------------------------- loading


def load_scenario(
    source: str | Path | dict[str, Any] | None = None,
    *,
    overrides: dict[str, Any] | None = None,
    base_dir: str | Path | None = None,
) -> Scenario:
    """Load and validate a scenario.

    Args:
        source: a path to a YAML (or JSON) file, a dict, or None for the built-in default.
        overrides: dotted paths to values (``{"fleet.pool.max_open": 30}``) applied before
            validation, as ``--set`` does.
        base_dir: folder that relative file paths (traces, samples) are resolved from;
            defaults to the scenario file's folder, or the working directory.

    Raises:
        ScenarioError: one line naming the source, the field path and the problem.
    """
    label: str | None = None
    if source is None:
        data: Any = {}
    elif isinstance(source, dict):
        data = source
    else:
        path = Path(source)
        label = str(path)
        data = _read_yaml(path)
        if base_dir is None:
            base_dir = path.parent
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(f"expected a mapping of sections, found {type(data).__name__}", source=label)
    if overrides:
        data = apply_overrides(data, overrides, source=label)
    return validate_scenario(data, base_dir=base_dir, source=label)


def validate_scenario(data: dict[str, Any], *, base_dir: str | Path | None = None,
                      source: str | None = None) -> Scenario:
    """Validate plain data as a :class:`Scenario`, raising :class:`ScenarioError`."""
    context = {"base_dir": Path(base_dir) if base_dir is not None else Path.cwd()}
    try:
        return Scenario.model_validate(data, context=context)
    except ValidationError as exc:
        raise _scenario_error(exc, source) from None


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError("no such file", source=str(path)) from None
    except IsADirectoryError:
        raise ScenarioError("is a folder, not a scenario file", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read: {exc}", source=str(path)) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise ScenarioError(f"YAML syntax error: {where}{problem}", source=str(path)) from None


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any], *, source: str | None = None) -> dict[str, Any]:
    """A copy of ``data`` with dotted-path overrides set (``workload.arrivals.0.rate``).

    The path must name a field of the scenario (checked against the models, with a
    suggestion for near misses); list items are addressed by index. A section the data
    leaves out is first filled with its default, so ``database.query.mean=7ms`` changes
    one parameter of the default distribution.
    """
    result = json.loads(json.dumps(data, default=str))
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        _check_override_path(parts, dotted)
        node: Any = result
        model: Any = Scenario
        for i, part in enumerate(parts):
            if not isinstance(node, (dict, list)):
                raise ScenarioError(f"{'.'.join(parts[:i])!r} is a value, not a section", field=dotted, source=source)
            last = i == len(parts) - 1
            if isinstance(node, list):
                index = _list_index(node, part, dotted)
                if last:
                    node[index] = value
                    break
                node = node[index]
            else:
                if last:
                    node[part] = value
                    break
                if node.get(part) is None:
                    node[part] = _default_section(model, part)
                model = _field_model(model, part)
                node = node[part]
            if isinstance(node, dict):
                model = _TAGGED_MODELS.get(node.get("kind") or node.get("dist"), model)
    return result


def _field_model(model: Any, part: str) -> Any:
    if model is None:
        return None
    fields = {**model.model_fields, **{f.alias: f for f in model.model_fields.values() if f.alias}}
    return _submodel(fields[part].annotation) if part in fields else None


def _default_section(model: Any, part: str) -> Any:
    """The default of a section (or list of sections) as plain data; {} if there is none."""
    if model is None or part not in model.model_fields:
        return {}
    default = model.model_fields[part].get_default(call_default_factory=True)
    if isinstance(default, BaseModel):
        return default.model_dump(mode="json", by_alias=True)
    if isinstance(default, list):
        return [d.model_dump(mode="json", by_alias=True) if isinstance(d, BaseModel) else d for d in default]
    return {}


def _list_index(node: list[Any], part: str, dotted: str) -> int:
    if not part.isdigit() or int(part) >= len(node):
        raise ScenarioError(f"no list item {part!r} (the list has {len(node)})", field=dotted)
    return int(part)


def _check_override_path(parts: list[str], dotted: str) -> None:
    model: Any = Scenario
    for part in parts:
        if model is None:
            return
        if part.isdigit():
            continue
        fields = {**model.model_fields, **{f.alias: f for f in model.model_fields.values() if f.alias}}
        if part not in fields:
            raise ScenarioError(_unknown_key_message(part, _field_names(model)), field=dotted)
        model = _submodel(fields[part].annotation)


def _submodel(annotation: Any) -> Any:
    """The single pydantic model behind an annotation (Optional and list included), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
    models = [m for m in (_submodel(a) for a in args) if m is not None]
    return models[0] if len(models) == 1 else None


def _unknown_key_message(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f"; expected one of: {', '.join(sorted(allowed))}"
    return f"unknown field {key!r}{hint}"


def _scenario_error(exc: ValidationError, source: str | None) -> ScenarioError:
    """The first problem of a pydantic error, as one line naming its field path."""
    error = exc.errors(include_url=False)[0]
    raw_loc = [str(p) for p in error["loc"]]
    loc = [p for p in raw_loc if p not in _TAGGED_MODELS and not p.startswith("function-")]
    if error["type"] == "extra_forbidden":
        parent = _model_at(raw_loc[:-1])
        allowed = _field_names(parent) if parent is not None else []
        message = _unknown_key_message(loc[-1], allowed)
    else:
        message = error["msg"]
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        if error["type"] in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
            message = f"{message} (not {error.get('input')!r})"
    return ScenarioError(message, field=".".join(loc) or None, source=source)


_TAGGED_MODELS: dict[str, type[BaseModel]] = {
    "constant": ConstantDist, "exponential": ExponentialDist, "lognormal": LognormalDist,
    "uniform": UniformDist, "empirical": EmpiricalDist,
    "poisson": PoissonArrivals, "spike": SpikeArrivals, "onoff": OnOffArrivals,
    "diurnal": DiurnalArrivals, "trace": TraceArrivals,
}


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_at(loc: list[str]) -> Any:
    """The model that holds the field at ``loc`` (pydantic's location, union tags included)."""
    model: Any = Scenario
    for part in loc:
        if part in _TAGGED_MODELS:
            model = _TAGGED_MODELS[part]
            continue
        if part.isdigit() or part.startswith("function-"):
            continue
        fields = {**model.model_fields, **{f.alias: f for f in model.model_fields.values() if f.alias}}
        if part not in fields:
            return None
        model = _submodel(fields[part].annotation) or model
    return model
