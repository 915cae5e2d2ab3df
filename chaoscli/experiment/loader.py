"""Finds an experiment by name or path, applies --var and --set, and validates it: the one
validation ``validate`` and ``run`` share (YAML read by ``yaml_guard``, fields by pydantic,
fields against each other and the stack by ``checks``).

Errors name the file, the line where YAML puts the field, and the field, in one line. An AWS
FIS experiment template (a JSON file, or any document with ``actions`` and no ``method``) is
read as an experiment on a shop (``chaoscli.fis``), so ``run``, ``validate`` and the fixes'
re-runs take one alike.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from chaoscli.errors import SpecError
from chaoscli.experiment.checks import Refusal, check
from chaoscli.experiment.spec import Experiment
from chaoscli.experiment.yaml_guard import MAX_BYTES, compose_and_construct, parse_value
from chaoscli.fis import shop as fis_shop
from chaoscli.fis.template import looks_like_template
from chaoscli.fis.timing import TemplateError

VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Loaded:
    """A validated experiment, where it came from, and the document as run."""

    experiment: Experiment
    source: str
    document: dict[str, Any]
    sets: tuple[str, ...] = ()  # the --set and --var it was loaded with, to load it again
    vars: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # for an FIS template: how it was read, what is not modelled


def experiments_dir() -> Path:
    """The experiments shipped inside the package (``experiments/`` in the repository)."""
    return Path(str(resources.files("chaoscli") / "experiments"))


def available() -> dict[str, Path]:
    """Shipped experiments by name."""
    return {p.stem: p for p in sorted(experiments_dir().glob("*.yaml"))}


def resolve(name_or_path: str) -> Path:
    """A path as given if it exists, else a shipped experiment of that name, or a shipped
    file by its path under ``experiments/`` (``fis/az-power-interruption.json``)."""
    path = Path(name_or_path)
    shipped = experiments_dir() / name_or_path
    if not path.exists() and not path.is_absolute() and shipped.is_file():
        return shipped
    if path.suffix in (".yaml", ".yml", ".json") or path.exists():
        if path.is_dir():
            raise SpecError(name_or_path, "", "is a folder, not an experiment file")
        if not path.is_file():
            raise SpecError(name_or_path, "", "no such file")
        return path
    found = available().get(name_or_path)
    if found is None:
        names = ", ".join(available()) or "none"
        raise SpecError(name_or_path, "", f"unknown experiment (shipped: {names})")
    return found


def _lines(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    """Record the line of every key and list item, for error messages."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            p = (*path, key.value)
            out[p] = key.start_mark.line + 1
            _lines(value, p, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            p = (*path, i)
            out[p] = value.start_mark.line + 1
            _lines(value, p, out)


def _substitute(value: Any, params: dict[str, Any], where: str, source: str) -> Any:
    """Replace ${name} by the parameter's value; a whole-string reference keeps its type."""
    if isinstance(value, dict):
        return {
            k: _substitute(v, params, f"{where}.{k}" if where else k, source)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_substitute(v, params, f"{where}[{i}]", source) for i, v in enumerate(value)]
    if isinstance(value, str):
        for name in VAR.findall(value):
            if name not in params:
                raise SpecError(source, where, f"${{{name}}} is not a declared parameter")
        whole = VAR.fullmatch(value)
        if whole:
            return params[whole.group(1)]
        return VAR.sub(lambda m: str(params[m.group(1)]), value)
    return value


def _set(doc: dict[str, Any], dotted: str, value: Any) -> None:
    """Set one dotted field; a missing, null or scalar container on the way becomes a mapping,
    whether it sits under a key or in a list item (validation then judges the result)."""
    parts = dotted.split(".")
    cur: Any = doc
    for part in parts[:-1]:
        key: Any = part
        if isinstance(cur, list):
            if not part.isdigit() or int(part) >= len(cur):
                raise SpecError("--set", dotted, f"no list item {part}")
            key = int(part)
        nxt = cur[key] if isinstance(cur, list) else cur.get(key)
        if not isinstance(nxt, dict | list):
            nxt = {}
            cur[key] = nxt
        cur = nxt
    last = parts[-1]
    if isinstance(cur, list):
        if not last.isdigit() or int(last) >= len(cur):
            raise SpecError("--set", dotted, f"no list item {last}")
        cur[int(last)] = value
    else:
        cur[last] = value


def load(
    name_or_path: str, sets: list[str] | None = None, vars_: list[str] | None = None
) -> Loaded:
    """Load, substitute parameters, apply overrides, validate; raises SpecError."""
    try:
        return _load(name_or_path, sets, vars_)
    except RecursionError:  # a YAML alias that contains itself, e.g. ``a: &x [*x]``
        raise SpecError(
            name_or_path, "", "invalid YAML: a recursive alias or nesting too deep"
        ) from None


def _load(
    name_or_path: str, sets: list[str] | None, vars_: list[str] | None, shop: bool = False
) -> Loaded:
    """``load`` without the guard against recursive documents; ``shop``: the experiment an
    FIS template's shop comes from, which may not be a template itself."""
    path = resolve(name_or_path)
    source = str(path)
    try:
        text = _read(path)
        node, raw = (None, _json(text)) if path.suffix == ".json" else compose_and_construct(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(source, "", f"cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SpecError(source, "", f"invalid JSON: {exc.msg}", line=exc.lineno) from None
    except _Twice as exc:
        raise SpecError(source, "", str(exc)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise SpecError(
            source, "", f"invalid YAML: {problem}", line=mark.line + 1 if mark else None
        ) from None
    if not isinstance(raw, dict):
        raise SpecError(source, "", "an experiment file must be a mapping of fields")
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _lines(node, (), lines)
    if looks_like_template(raw):
        if shop:
            raise SpecError(source, "", "is an FIS template, not an experiment to take a shop from")
        return _from_template(raw, source, lines, sets, vars_)
    return _finish(raw, source, lines, sets, vars_)


def _from_template(
    raw: dict[str, Any],
    source: str,
    lines: dict[tuple[Any, ...], int],
    sets: list[str] | None,
    vars_: list[str] | None,
) -> Loaded:
    """An FIS template as an experiment on its shop, validated as a file would be."""
    notes: list[str] = []
    try:
        template = fis_shop.parse(raw)
        origin = fis_shop.origin(template)
        base: Loaded | None = None
        name = "chaoscli's default shop"
        if origin is not None:
            try:
                base, name = _shop(origin, source), origin.name
            except SpecError as exc:
                notes.append(f"the tagged shop cannot be read ({exc}): the default shop instead")
        if base is None:
            base = _load(str(fis_shop.DEFAULT_SHOP), [], [], shop=True)
        doc, said = fis_shop.experiment(template, base.document, name, source)
    except TemplateError as exc:
        field = ".".join(str(p) for p in exc.loc)
        raise SpecError(source, field, exc.message, _line_for(lines, exc.loc)) from None
    loaded = _finish(doc, source, {}, sets, vars_)
    return replace(loaded, notes=(*notes, *said))


def _shop(origin: fis_shop.Origin, source: str) -> Loaded:
    """The experiment a template names as its shop: by name or path, or beside the template."""
    beside = Path(source).parent / origin.name
    name = str(beside) if not Path(origin.name).exists() and beside.is_file() else origin.name
    return _load(name, list(origin.sets), list(origin.vars), shop=True)


def _finish(
    raw: dict[str, Any],
    source: str,
    lines: dict[tuple[Any, ...], int],
    sets: list[str] | None,
    vars_: list[str] | None,
) -> Loaded:
    """Parameters, --var and --set applied to a read document, then validated."""
    params = raw.get("parameters") or {}
    if not isinstance(params, dict):
        raise SpecError(
            source, "parameters", "must be a mapping of name: default", lines.get(("parameters",))
        )
    params = dict(params)
    for item in vars_ or []:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise SpecError("--var", item, "expected name=value")
        if name not in params:
            declared = ", ".join(params) or "none"
            raise SpecError("--var", name, f"not a parameter of {source} (declared: {declared})")
        params[name] = parse_value(text)
    doc = _substitute(copy.deepcopy(raw), params, "", source)
    doc["parameters"] = params
    overridden: set[str] = set()
    for item in sets or []:
        dotted, sep, text = item.partition("=")
        if not sep or not dotted:
            raise SpecError("--set", item, "expected dotted.path=value")
        _set(doc, dotted, parse_value(text))
        overridden.add(dotted)
    try:
        exp = Experiment.model_validate(doc)
        check(exp)
    except ValidationError as exc:
        errors = exc.errors()
        # a value no member of a union takes: say it is not finite, if that is why
        err = next((e for e in errors if e["type"] == "finite_number"), errors[0])
        loc = _without_union_tag(tuple(err["loc"]))
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        if err["type"] == "missing" and loc == ("method",):
            message = "required: list the fault steps, or write `method: []` for a baseline run"
        spot = _Spot(source, raw, lines, overridden, vars_ or [])
        raise spot.error(loc, message) from None
    except Refusal as refusal:
        spot = _Spot(source, raw, lines, overridden, vars_ or [])
        raise spot.error(refusal.loc, refusal.message) from None
    by_zone = exp.topology.instances_by_zone
    if by_zone is not None and "topology.instances_per_az" in overridden:
        raise SpecError(
            "--set",
            "topology.instances_per_az",
            f"changes nothing: topology.instances_by_zone ({list(by_zone)}) gives each zone's "
            "count; set that instead",
        )
    return Loaded(exp, source, exp.model_dump(mode="json"), tuple(sets or ()), tuple(vars_ or ()))


def confirm(loaded: Loaded) -> None:
    """Check an experiment again as ``load`` does after pydantic, for one made another way."""
    try:
        check(loaded.experiment)
    except Refusal as refusal:
        field = ".".join(str(p) for p in refusal.loc)
        raise SpecError(loaded.source, field, refusal.message) from None


class _Twice(ValueError):
    """A JSON object with a key given twice (json keeps the last without a word)."""


def _json(text: str) -> Any:
    """A JSON file's document (an FIS template is one); a key given twice is refused."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in items]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise _Twice(f"invalid JSON: key {twice[0]!r} given twice in one object")
        return dict(items)

    return json.loads(text, object_pairs_hook=pairs)


def _read(path: Path) -> str:
    """The file's text, refused unread when it is larger than an experiment file can be."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise SpecError(
            str(path),
            "",
            f"{size:,} bytes; an experiment file may have at most {MAX_BYTES:,} bytes",
        )
    with path.open(encoding="utf-8") as handle:
        text = handle.read(MAX_BYTES + 1)  # a file that grew since: read no more than this
    if len(text) > MAX_BYTES:
        raise SpecError(str(path), "", f"an experiment file may have at most {MAX_BYTES:,} bytes")
    return text


@dataclass(frozen=True)
class _Spot:
    """Where an error lies: the file and line, or the --set or --var that put it there."""

    source: str
    raw: dict[str, Any]
    lines: dict[tuple[Any, ...], int]
    overridden: set[str]
    vars_: list[str]

    def error(self, loc: tuple[Any, ...], message: str) -> SpecError:
        """The one-line error for ``message`` about the field at ``loc``."""
        field = ".".join(str(p) for p in loc) or "(top level)"
        origin = self.source
        # the error lies in an override, or in a section an override created
        if any(
            f"{field}.".startswith(f"{o}.") or o.startswith(f"{field}.") for o in self.overridden
        ):
            origin = "--set"
        ref = _raw_at(self.raw, loc)
        match = VAR.fullmatch(ref) if isinstance(ref, str) else None
        if match and match.group(1) in {v.partition("=")[0] for v in self.vars_}:
            origin, field = "--var", match.group(1)
        line = _line_for(self.lines, loc) if origin == self.source else None
        return SpecError(origin, field, message, line)


def _without_union_tag(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """``loc`` without the member name pydantic appends for a union (``parameters.x.float``);
    no field of the spec has such a name."""
    if len(loc) > 1 and loc[-1] in ("str", "int", "float", "bool", "none"):
        return loc[:-1]
    return loc


def _raw_at(doc: Any, loc: tuple[Any, ...]) -> Any:
    """The value at ``loc`` in the document as written, or None."""
    for part in loc:
        try:
            doc = doc[part]
        except (KeyError, IndexError, TypeError):
            return None
    return doc


def _line_for(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest part of ``loc`` that the file spells out."""
    for n in range(len(loc), 0, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None
