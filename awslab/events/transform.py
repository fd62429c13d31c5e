"""What a rule's target receives: ``Input``, ``InputPath`` or ``InputTransformer``, checked and rendered.

``validate_target_input(target)`` applies PutTargets' checks to one target; ``render_target_input``
produces the text delivered for one matched event. Rules come from the user guide page
"Transforming target input" (placeholders, predefined variables, common issues), the PutTargets and
InputTransformer API reference, and AWS-recorded deliveries (LocalStack
``tests/aws/services/events/test_events_inputs.snapshot.json``):

* No input setting: the whole event, as compact JSON. ``Input``: that text, unchanged.
  ``InputPath``: the JSON at that path of the event (dot or bracket notation).
* ``InputTransformer``: each ``<name>`` in ``InputTemplate`` is replaced by the value of
  ``InputPathsMap[name]`` or of a predefined variable (``aws.events.rule-arn``, ``aws.events.rule-name``,
  ``aws.events.event.ingestion-time``, ``aws.events.event`` (the event without ``detail``, with
  ``detail-type`` spelled ``detailType``) and ``aws.events.event.json`` (the whole event)).
  Outside a JSON string a value is written as JSON (strings quoted, objects as JSON); inside one it
  is written raw and unescaped: strings lose their quotes, ``["ACTIVE","INACTIVE"]`` becomes
  ``[ACTIVE,INACTIVE]`` and ``{"acc_id":"x"}`` becomes ``{acc_id:x}``. A path that finds nothing
  gives ``""`` outside a string and nothing inside one. A JSON result is delivered minified.
* PutTargets refuses more than one of Input/InputPath/InputTransformer and a template placeholder
  that is neither mapped nor predefined; it does not check the JSON paths themselves.

Chosen where AWS is silent: placeholders are ``<`` + any run of characters other than ``<``/``>``
+ ``>``; an ``InputPath`` that finds nothing delivers nothing (``render_target_input`` returns None).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Mapping

from ..errors import AWSError

__all__ = [
    "PREDEFINED", "MAX_PATHS", "MAX_TEMPLATE_LENGTH", "MAX_INPUT_LENGTH", "MAX_INPUT_PATH_LENGTH",
    "validate_target_input", "render_target_input", "render_template", "placeholders",
    "extract_path", "event_without_detail",
]

PREDEFINED = frozenset(["aws.events.rule-arn", "aws.events.rule-name", "aws.events.event.ingestion-time",
                        "aws.events.event", "aws.events.event.json"])
MAX_PATHS = 100
MAX_TEMPLATE_LENGTH = 8192
MAX_INPUT_LENGTH = 8192
MAX_INPUT_PATH_LENGTH = 256
MAX_PATH_KEY_LENGTH = 256
_PATH_KEY = re.compile(r"[A-Za-z0-9_\-]+")
_PLACEHOLDER = re.compile(r"<([^<>]*)>")
_MISSING = object()


def _constraint(value: Any, where: str, rule: str) -> AWSError:
    shown = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return AWSError("ValidationException",
                    f"1 validation error detected: Value '{shown}' at '{where}' failed to satisfy "
                    f"constraint: {rule}")


def placeholders(template: str) -> list[str]:
    """The placeholder names of ``template``, in order of appearance."""
    return _PLACEHOLDER.findall(template)


def validate_target_input(target: Mapping[str, Any], index: int = 1) -> None:
    """PutTargets' checks on one target's input settings; ``index`` is its 1-based place in ``Targets``.

    Raises ``AWSError`` ``ValidationException`` with AWS's message.
    """
    target_id = target.get("Id", "")
    given = [key for key in ("Input", "InputPath", "InputTransformer") if target.get(key) is not None]
    if len(given) > 1:
        raise AWSError("ValidationException",
                       f"Only one of Input, InputPath, or InputTransformer must be provided for target {target_id}.")
    where = f"targets.{index}.member"
    if target.get("Input") is not None and len(target["Input"]) > MAX_INPUT_LENGTH:
        raise _constraint(target["Input"], f"{where}.input",
                          f"Member must have length less than or equal to {MAX_INPUT_LENGTH}")
    if target.get("InputPath") is not None and len(target["InputPath"]) > MAX_INPUT_PATH_LENGTH:
        raise _constraint(target["InputPath"], f"{where}.inputPath",
                          f"Member must have length less than or equal to {MAX_INPUT_PATH_LENGTH}")
    transformer = target.get("InputTransformer")
    if transformer is None:
        return
    paths = transformer.get("InputPathsMap") or {}
    template = transformer.get("InputTemplate", "")
    if len(paths) > MAX_PATHS:
        raise _constraint(paths, f"{where}.inputTransformer.inputPathsMap",
                          f"Member must have length less than or equal to {MAX_PATHS}")
    for key, path in paths.items():
        if not _PATH_KEY.fullmatch(key) or len(key) > MAX_PATH_KEY_LENGTH:
            raise _constraint(paths, f"{where}.inputTransformer.inputPathsMap",
                              "Map keys must satisfy constraint: [Member must have length less than or equal "
                              f"to {MAX_PATH_KEY_LENGTH}, Member must have length greater than or equal to 1, "
                              r"Member must satisfy regular expression pattern: [A-Za-z0-9\_\-]+]")
        if len(path) > MAX_INPUT_PATH_LENGTH:
            raise _constraint(paths, f"{where}.inputTransformer.inputPathsMap",
                              "Map value must satisfy constraint: [Member must have length less than or "
                              f"equal to {MAX_INPUT_PATH_LENGTH}]")
    if not 1 <= len(template) <= MAX_TEMPLATE_LENGTH:
        rule = ("Member must have length greater than or equal to 1" if not template else
                f"Member must have length less than or equal to {MAX_TEMPLATE_LENGTH}")
        raise _constraint(template, f"{where}.inputTransformer.inputTemplate", rule)
    for name in placeholders(template):
        if name not in paths and name not in PREDEFINED:
            raise AWSError("ValidationException",
                           f"InputTemplate for target {target_id} contains invalid placeholder {name}.")


# ---------------------------------------------------------------------------------------------
# JSON paths

_STEP = re.compile(r"""\.(\*|[^.\[\]]+)|\[(\*|-?\d+)\]|\['([^']*)'\]|\["([^"]*)"\]""")


def extract_path(document: Any, path: str) -> Any:
    """The value at a JSONPath (``$``, ``.key``, ``['key']``, ``[n]``, ``*``), or ``_MISSING``.

    A path with ``*`` yields the list of everything it reaches, as Jayway JsonPath does.
    """
    if not isinstance(path, str) or not path.startswith("$"):
        return _MISSING
    position = 1
    current = [document]
    spread = False
    while position < len(path):
        step = _STEP.match(path, position)
        if step is None:
            return _MISSING
        position = step.end()
        key = next(group for group in step.groups() if group is not None)
        following = []
        for node in current:
            if key == "*":
                spread = True
                following.extend(node.values() if isinstance(node, dict) else node if isinstance(node, list) else [])
            elif step.group(2) is not None:
                if isinstance(node, list) and -len(node) <= int(key) < len(node):
                    following.append(node[int(key)])
            elif isinstance(node, dict) and key in node:
                following.append(node[key])
        current = following
        if not current and not spread:
            return _MISSING
    if spread:
        return current
    return current[0] if current else _MISSING


def event_without_detail(event: Mapping[str, Any]) -> dict[str, Any]:
    """``<aws.events.event>``: the envelope without ``detail``, in the order AWS delivers it."""
    order = ["id", "account", "detail-type", "time", "source", "region", "resources", "version"]
    keys = [key for key in order if key in event] + [k for k in event if k not in order and k != "detail"]
    return {("detailType" if key == "detail-type" else key): event[key] for key in keys}


# ---------------------------------------------------------------------------------------------
# Rendering

def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _raw(value: Any) -> str:
    """A value written inside a JSON string: no quotes, no escaping, no spaces."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (bool, int, float)):
        return _json(value)
    if isinstance(value, list):
        return "[" + ",".join(_raw(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{key}:{_raw(item)}" for key, item in value.items()) + "}"
    return str(value)


def _minify(text: str) -> str:
    """Drop the white space outside strings of a valid JSON text, keeping every literal as written."""
    try:
        json.loads(text)
    except ValueError:
        return text
    out: list[str] = []
    in_string = False
    i = 0
    while i < len(text):
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif ch not in " \t\r\n":
            out.append(ch)
        i += 1
    return "".join(out)


def render_template(template: str, values: Mapping[str, Any]) -> str:
    """Fill ``template``'s placeholders from ``values`` (a missing name or ``_MISSING`` is empty)."""
    out: list[str] = []
    in_string = False
    i = 0
    while i < len(template):
        ch = template[i]
        if ch == "<":
            match = _PLACEHOLDER.match(template, i)
            if match is not None:
                value = values.get(match.group(1), _MISSING)
                if value is _MISSING:
                    out.append("" if in_string else '""')
                else:
                    out.append(_raw(value) if in_string else _json(value))
                i = match.end()
                continue
        if in_string and ch == "\\" and i + 1 < len(template):
            out.append(template[i:i + 2])
            i += 2
            continue
        if ch == '"':
            in_string = not in_string
        out.append(ch)
        i += 1
    return _minify("".join(out))


def _timestamp(instant: datetime | str) -> str:
    if isinstance(instant, str):
        return instant
    instant = instant.replace(tzinfo=timezone.utc) if instant.tzinfo is None else instant.astimezone(timezone.utc)
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def render_target_input(target: Mapping[str, Any], event: Mapping[str, Any], *, rule_arn: str,
                        rule_name: str, ingestion_time: datetime | str) -> str | None:
    """The text a target receives for ``event``; None when its ``InputPath`` finds nothing."""
    if target.get("Input") is not None:
        return target["Input"]
    if target.get("InputPath") is not None:
        value = extract_path(event, target["InputPath"])
        return None if value is _MISSING else _json(value)
    transformer = target.get("InputTransformer")
    if transformer is None:
        return _json(event)
    values: dict[str, Any] = {name: extract_path(event, path)
                              for name, path in (transformer.get("InputPathsMap") or {}).items()}
    values.update({
        "aws.events.rule-arn": rule_arn,
        "aws.events.rule-name": rule_name,
        "aws.events.event.ingestion-time": _timestamp(ingestion_time),
        "aws.events.event": event_without_detail(event),
        "aws.events.event.json": dict(event),
    })
    return render_template(transformer["InputTemplate"], values)
