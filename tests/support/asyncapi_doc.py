"""Validating a record against a message of the AsyncAPI document, references and all."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7


def validator(body: dict[str, Any], schema: dict[str, Any]) -> Draft7Validator:
    """A validator of ``schema`` whose references resolve inside the document ``body``."""
    registry: Registry[Any] = Registry().with_resource("urn:doc", Resource(body, DRAFT7))
    return Draft7Validator(_rebased(schema), registry=registry)


def _rebased(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: f"urn:doc{v}" if k == "$ref" else _rebased(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_rebased(item) for item in node]
    return node
