"""/openapi.json is valid OpenAPI 3.1 and describes every route the app serves."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from .conftest import Api


@pytest.mark.parametrize("backend", ["postgres"])  # the routes do not depend on the log
async def test_openapi_document_is_valid_and_covers_every_route(api: Api) -> None:
    response = await api.client.get("/openapi.json")
    assert response.status == 200
    document = await response.json()
    validate(document)
    assert document["openapi"].startswith("3.1")

    described = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    served = set()
    for route in api.client.app.router.routes():
        if route.method in ("HEAD", "OPTIONS"):
            continue
        path = route.resource.canonical if route.resource is not None else ""
        if path == "/v1/commands/{name}":
            served |= {(p, "POST") for p, _ in described if p.startswith("/v1/commands/")}
            continue
        served.add((path, route.method))
    assert served <= described, served - described
    for name in ("place-order", "record-inspection", "file-complaint"):
        body = document["paths"][f"/v1/commands/{name}"]["post"]["requestBody"]
        assert body["content"]["application/json"]["schema"]["$ref"].startswith("#/components/schemas/")
