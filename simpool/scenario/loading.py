"""Loading scenarios: YAML files, dicts, ``--set`` overrides, and one-line errors."""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ..exceptions import ScenarioError
from ..units import quote
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
from .files import FileError, read_small_text
from .top_level import SERVICE_NAME, Scenario, check_services_or_fleet, check_traces
from .yaml_reading import parse_yaml, yaml_problem


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
        data = read_scenario_file(path)
        if base_dir is None:
            base_dir = path.parent
    if overrides:
        data = apply_overrides(data, overrides, source=label)
    return validate_scenario(data, base_dir=base_dir, source=label)


def validate_scenario(data: dict[str, Any], *, base_dir: str | Path | None = None,
                      source: str | None = None) -> Scenario:
    """Validate plain data as a :class:`Scenario`, raising :class:`ScenarioError`."""
    context = {"base_dir": Path(base_dir) if base_dir is not None else Path.cwd()}
    check_services_or_fleet(data, source=source)
    try:
        scenario = Scenario.model_validate(data, context=context)
    except ValidationError as exc:
        raise _scenario_error(exc, source, data) from None
    except RecursionError:  # a structure no YAML file makes (MAX_DEPTH), e.g. a dict built in Python
        raise ScenarioError("nested too deeply", source=source) from None
    check_traces(scenario, source=source)
    return scenario


def read_scenario_file(path: Path) -> dict[str, Any]:
    """The plain data of a scenario file (YAML, or JSON, which is YAML too): its sections.

    Raises:
        ScenarioError: the file cannot be read, is not YAML or not a mapping, naming the file.
    """
    if not path.exists() and not path.is_symlink():
        raise ScenarioError("no such file", source=str(path))
    try:
        text = read_small_text(path)
    except FileError as exc:
        raise ScenarioError(str(exc).replace(f"cannot read {str(path)!r}: ", "cannot read: "), source=str(path)) from None
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(yaml_problem(exc), source=str(path)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        kind = next(t.__name__ for t in type(data).__mro__ if t.__module__ == "builtins")
        raise ScenarioError(f"expected a mapping of sections, found {kind}", source=str(path))
    return data


def override_value(path: str, text: str) -> Any:
    """The value of ``--set PATH=TEXT``: the text read as YAML, as it would be in the file,
    except that a field holding text (a name, a file, a Go version) takes it as written:
    ``1.20`` stays ``"1.20"``, not the number 1.2.

    Raises:
        yaml.YAMLError: the text is not YAML.
    """
    value = parse_yaml(text) if text.strip() else ""
    if field_is_text(path) and value is not None and not isinstance(value, (str, dict, list)):
        return text.strip()
    return value


def field_is_text(path: str) -> bool:
    """Whether the scenario field at ``path`` holds text: a string or a choice of strings."""
    models: list[Any] = [Scenario]
    annotations: list[Any] = []
    parts = path.split(".")
    for i, part in enumerate(parts):
        if _is_item(parts, i):
            continue
        fields = [_fields(m)[part] for m in models if part in _fields(m)]
        if not fields:
            return False
        annotations = [f.annotation for f in fields]
        models = [m for a in annotations for m in _models_in(a)]
    return bool(annotations) and all(_is_text(a) for a in annotations)


def _is_text(annotation: Any) -> bool:
    if annotation is str:
        return True
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) is typing.Literal:
        return all(isinstance(a, str) for a in args)
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    return union and bool(args) and all(_is_text(a) for a in args)


def _models_in(annotation: Any) -> list[Any]:
    """Every pydantic model an annotation may hold (through Optional, unions and lists)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for a in typing.get_args(annotation) for m in _models_in(a)]


def _is_index(part: str) -> bool:
    """A list index in a dotted path: ASCII digits only (``²`` is a digit to str.isdigit)."""
    return part.isascii() and part.isdigit() and len(part) <= 6


def _is_item(parts: list[str], i: int) -> bool:
    """Whether ``parts[i]`` picks a list item: an index, or a service's name right after
    ``services`` (``services.api.pool.max_open``)."""
    return _is_index(parts[i]) or (i == 1 and parts[0] == "services")


def _service_index(node: list[Any], name: str, dotted: str, source: str | None) -> int:
    """The index of the service named ``name`` in the ``services`` list."""
    names = [item.get("name") if isinstance(item, dict) else None for item in node]
    if name in names:
        return names.index(name)
    known = ", ".join(str(n) for n in names if n is not None) or "none named"
    raise ScenarioError(f"no service named {quote(name)} (the services are {known})", field=dotted, source=source)


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any], *, source: str | None = None) -> dict[str, Any]:
    """A copy of ``data`` with dotted-path overrides set (``workload.arrivals.0.rate``).

    The path must name a field of the scenario (checked against the models, with a
    suggestion for near misses); list items are addressed by index. A section the data
    leaves out is first filled with its default, so ``database.query.mean=7ms`` changes
    one parameter of the default distribution.
    """
    result = _plain_copy(data)
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        _check_override_path(parts, dotted)
        node: Any = result
        model: Any = Scenario
        for i, part in enumerate(parts):
            if not isinstance(node, (dict, list)):
                raise ScenarioError(f"{'.'.join(parts[:i])!r} is a value, not a section", field=dotted, source=source)
            last = i == len(parts) - 1
            if i == 0 and part == "services" and not isinstance(node.get("services"), list):
                raise ScenarioError("the scenario has no services (its one fleet is fleet.… and workload.…)",
                                    field=dotted, source=source)
            if isinstance(node, list):
                named = i == 1 and parts[0] == "services" and not _is_index(part)
                index = _service_index(node, part, dotted, source) if named else _list_index(node, part, dotted)
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


def _plain_copy(value: Any) -> Any:
    """A deep copy of YAML-like data: mappings (string keys), lists, and scalars, which keep
    their type (so a number keeps the text it was written as); anything else as text."""
    if isinstance(value, dict):
        return {key if isinstance(key, str) else str(key): _plain_copy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_copy(item) for item in value]
    if value is None or isinstance(value, (str, int, float)):
        return value
    return str(value)


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
        return _as_data(default)
    if isinstance(default, list):
        return [_as_data(d) if isinstance(d, BaseModel) else d for d in default]
    return {}


def _as_data(model: BaseModel) -> Any:
    """A section as data that validates back to it, leaving out the defaults that depend on
    another field unless given (a flavour's, so that ``--set database.flavor=mysql`` brings
    MySQL's)."""
    as_data = getattr(model, "as_data", None)
    return as_data() if as_data is not None else model.model_dump(mode="json", by_alias=True)


def _list_index(node: list[Any], part: str, dotted: str) -> int:
    if not _is_index(part) or int(part) >= len(node):
        raise ScenarioError(f"no list item {quote(part)} (the list has {len(node)})", field=dotted)
    return int(part)


def _check_override_path(parts: list[str], dotted: str) -> None:
    model: Any = Scenario
    for i, part in enumerate(parts):
        if model is None:
            return
        if _is_item(parts, i):
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
        if _is_item(parts, i):
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


def _scenario_error(exc: ValidationError, source: str | None, data: Any = None) -> ScenarioError:
    """The first problem of a pydantic error, as one line naming its field path (a
    service by its name: ``services.batch.pool.max_open``)."""
    error = exc.errors(include_url=False)[0]
    raw_loc = [str(p) for p in error["loc"]]
    loc = [p for p in raw_loc if p not in _TAGGED_MODELS and not p.startswith("function-")]
    if len(loc) > 1 and loc[0] == "services" and _is_index(loc[1]):
        loc[1] = _service_name_at(data, int(loc[1])) or loc[1]
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
        if error["type"] in {"greater_than_equal", "greater_than", "less_than_equal", "less_than", "literal_error"}:
            message = f"{message} (not {quote(error.get('input'))})"
    return ScenarioError(message, field=".".join(loc) or None, source=source)


def _service_name_at(data: Any, index: int) -> str | None:
    """The name the ``index``-th service is given in ``data``, if a usable one."""
    services = data.get("services") if isinstance(data, dict) else None
    if isinstance(services, list) and index < len(services) and isinstance(services[index], dict):
        name = services[index].get("name")
        if isinstance(name, str) and SERVICE_NAME.fullmatch(name):
            return name
    return None


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
