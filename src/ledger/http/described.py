"""Read routes described by their types, so ``/openapi.json`` cannot drift from what they answer.

A route declares its answer as a pydantic model and its query parameters once, in a
``ReadRoute``; the handler answers through ``ReadRoute.answer``, which validates the payload
against that model and serializes it, and the OpenAPI document is generated from the same
model. A field the handler forgets, or one the model does not declare, fails the answer in
the tests instead of drifting from the document.

Decimal figures are strings in JSON at a fixed number of places (``Places``): money 2,
unit costs 4, percentages 2, ratios (ROAS) 2, rates 6, mean scores 2; quantities keep the
places they have (``QtyText``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Final

from aiohttp import web
from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema
from pydantic.json_schema import models_json_schema

from ledger.http.reads import ReadScope

REF: Final = "#/components/schemas/{model}"
_DECIMAL_OUT: Final = r"^-?[0-9]+(\.[0-9]+)?$"


def _at_places(places: int) -> Callable[[Decimal], str]:
    exponent = Decimal(1).scaleb(-places)

    def text(value: Decimal) -> str:
        return format(value.quantize(exponent, rounding=ROUND_HALF_UP), "f")

    return text


def _shown(places: int, description: str) -> tuple[PlainSerializer, WithJsonSchema]:
    """Serialize a Decimal as a string with exactly ``places`` places, rounded half-up."""
    return (
        PlainSerializer(_at_places(places), return_type=str, when_used="json"),
        WithJsonSchema(
            {"type": "string", "pattern": rf"^-?[0-9]+\.[0-9]{{{places}}}$", "description": description},
            mode="serialization",
        ),
    )


Money2 = Annotated[Decimal, *_shown(2, "money, 2 places")]
UnitCost4 = Annotated[Decimal, *_shown(4, "a unit cost, 4 places")]
Pct2 = Annotated[Decimal, *_shown(2, "a percentage, 2 places")]
Rate6 = Annotated[Decimal, *_shown(6, "a rate, 6 places")]
Days2 = Annotated[Decimal, *_shown(2, "days, 2 places")]
Ratio2 = Annotated[Decimal, *_shown(2, "a ratio, 2 places")]
Score2 = Annotated[Decimal, *_shown(2, "a mean score, 2 places")]
QtyText = Annotated[
    Decimal,
    PlainSerializer(lambda value: format(value, "f"), return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "pattern": _DECIMAL_OUT, "description": "a quantity"}, mode="serialization"
    ),
]


class Answer(BaseModel):
    """Base of answer models: every field declared, nothing else allowed through."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def param(
    name: str, schema: dict[str, Any], description: str = "", *, where: str = "query"
) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema,
        "description": description,
    }


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class ReadRoute:
    """One ``GET`` route: where, what it answers, what it takes."""

    path: str
    summary: str
    answer_model: type[BaseModel]
    params: Sequence[dict[str, Any]] = field(default_factory=tuple)
    scope: str = "read"

    def answer(self, scope: ReadScope, payload: dict[str, Any]) -> web.Response:
        """``payload`` as this route's model says, as JSON (with the position header)."""
        return scope.json(self.answer_model.model_validate(payload).model_dump(mode="json"))

    def operation_id(self) -> str:
        return "read" + self.path.replace("/", "_").replace("{", "").replace("}", "").replace("-", "_")


def openapi(
    routes: Sequence[ReadRoute], common: Sequence[dict[str, Any]], problems: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``paths`` and the component schemas of ``routes``, generated from their models."""
    models = list({route.answer_model: None for route in routes})
    refs, top = models_json_schema([(m, "serialization") for m in models], ref_template=REF)
    components: dict[str, Any] = dict(top.get("$defs", {}))
    paths: dict[str, Any] = {}
    for route in routes:
        schema = refs[(route.answer_model, "serialization")]
        paths[route.path] = {
            "get": {
                "summary": route.summary,
                "operationId": route.operation_id(),
                "description": f"Needs the scope {route.scope}. X-Ledger-Position carries the position read.",
                "parameters": [*route.params, *common],
                "responses": {
                    "200": {
                        "description": route.summary,
                        "content": {"application/json": {"schema": schema}},
                    },
                    **problems,
                },
            }
        }
    return paths, components
