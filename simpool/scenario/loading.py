"""Loading scenarios: YAML files, dicts, ``--set`` overrides, and one-line errors."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ..exceptions import ScenarioError
from ._base import FileError
from .arrivals import (
    DiurnalArrivals,
    OnOffArrivals,
    PoissonArrivals,
    SpikeArrivals,
    TraceArrivals,
)
from .distributions import (
    ConstantDist,
    EmpiricalDist,
    ExponentialDist,
    LognormalDist,
    UniformDist,
)
from .sections import Scenario


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
        return parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise ScenarioError(f"YAML syntax error: {where}{problem}", source=str(path)) from None


class _Loader(yaml.SafeLoader):
    """YAML with YAML 1.2 booleans: only ``true``/``false``. PyYAML follows YAML 1.1, where
    ``on``, ``off``, ``yes`` and ``no`` are booleans too, which would turn the ``on:`` and
    ``off:`` keys of an onoff arrival process into ``True`` and ``False``."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def parse_yaml(text: str) -> Any:
    """A YAML document (a scenario file, or the value of a ``--set``) as plain data.

    Raises:
        yaml.YAMLError: on a syntax error.
    """
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


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
    fields = _fields(model)
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
        fields = _fields(model)
        if part not in fields:
            raise ScenarioError(_unknown_key_message(part, _field_names(model)), field=dotted)
        model = _submodel(fields[part].annotation)


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    """A model's fields by name and by alias (``for`` is ``for_``)."""
    return {**model.model_fields, **{f.alias: f for f in model.model_fields.values() if f.alias}}


def field_default(path: str) -> Any:
    """The built-in default of the scenario field at ``path``, as YAML-ready data (what
    ``default`` means in a sweep).

    Raises:
        ScenarioError: for an unknown field, or a path through a list of mixed kinds
            (arrivals), whose fields have no single default.
    """
    model: Any = Scenario
    parts = path.split(".")
    for i, part in enumerate(parts):
        if part.isdigit():
            continue
        fields = _fields(model)
        if part not in fields:
            raise ScenarioError(_unknown_key_message(part, _field_names(model)), field=path)
        info = fields[part]
        if i == len(parts) - 1:
            if info.is_required():
                break
            default = info.get_default(call_default_factory=True)
            return default.model_dump(mode="json", by_alias=True) if isinstance(default, BaseModel) else default
        model = _submodel(info.annotation)
        if model is None:
            break
    raise ScenarioError("this field has no single built-in default; give a value instead of 'default'", field=path)


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
        if isinstance(error.get("ctx", {}).get("error"), FileError):
            loc.append("file")  # the section validated fine; the file it names did not
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
        fields = _fields(model)
        if part not in fields:
            return None
        model = _submodel(fields[part].annotation) or model
    return model
