"""The OpenAPI document the service serves at /docs.json (and writes into a Bento, and
docs/api/ is generated from).

BentoML writes it from the service: the request and 200 response schemas from the types in
api_schema.py. The service is declared with `service_class=documented_service(...)`, and
that class completes the document where BentoML offers no finer hook, each for its reason:

- responses: BentoML lists 200, 400, 404 and 500 for every API, with an error body whose
  `detail` is a string (fixed in _bentoml_sdk/service/openapi.py). The service answers 400,
  413 and 415 (and /classify 503) with api_schema.ApiError, and any other status with the
  same body;
- methods: BentoML routes an API for POST only; admission.py also answers GET on read-only
  APIs, so those get a GET operation;
- /classify needs a body (BentoML never marks a request body required);
- /readyz answers 503 with a plain-text reason until the model is loaded;
- the description is the service's docstring, not BentoML's generic README, and BentoML's
  own contact address goes;
- schemas nothing refers to any more are dropped (BentoML's exception bodies, its task
  status, the request models it inlines).
"""

import inspect
from collections.abc import Collection, Mapping
from typing import Any

from bentoml import Service
from bentoml._internal.service.openapi.specification import (
    Info,
    OpenAPISpecification,
    PathItem,
    Tag,
)

from model_service.serving.api_schema import ApiError

REF = "#/components/schemas/{model}"

ERRORS = {
    "400": "the body is not valid JSON or breaks the schema; `error` names the field",
    "413": "the body is longer than any valid request could be; it was not read",
    "415": "the Content-Type is not application/json, or the body is compressed",
    "503": "the model is still loading, or the request waited too long in the queue; "
    "retry after the Retry-After seconds",
    "default": "any other failure (500, 504 on timeout, 429 when overloaded): the same body",
}


def error_response(status: str) -> dict[str, Any]:
    schema = {"$ref": REF.format(model="ApiError")}
    return {"description": ERRORS[status], "content": {"application/json": {"schema": schema}}}


def complete(
    doc: dict[str, Any],
    description: str,
    methods: Mapping[str, Collection[str]],
    may_be_unavailable: Collection[str],
) -> dict[str, Any]:
    """BentoML's document (as a dict), completed: `methods` maps each API route to the
    methods it takes, `may_be_unavailable` names the routes that answer 503 while the model
    loads."""
    doc["info"].pop("contact", None)
    doc["info"]["description"] = description
    error_schema = ApiError.model_json_schema(ref_template=REF)
    schemas = doc["components"]["schemas"]
    schemas.update(error_schema.pop("$defs", {}), ApiError=error_schema)

    for route, path in doc["paths"].items():
        if route not in methods:
            continue
        post = path["post"]
        statuses = ["400", "413", "415"] + (["503"] if route in may_be_unavailable else [])
        post["responses"] = {
            "200": post["responses"].get(200) or post["responses"]["200"],
            **{status: error_response(status) for status in [*statuses, "default"]},
        }
        if route in may_be_unavailable:  # it takes a body, which is never optional
            post["requestBody"]["required"] = True
        if "GET" in methods[route]:
            path["get"] = {
                **{key: value for key, value in post.items() if key != "requestBody"},
                "operationId": f"{post['operationId']}__get",
                "responses": {
                    "200": post["responses"]["200"],
                    "default": error_response("default"),
                },
            }

    doc["paths"]["/readyz"]["get"]["responses"]["503"] = {
        "description": "the model is not loaded yet",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }
    drop_unreferenced_schemas(doc)
    return doc


def references(node: Any) -> set[str]:
    """Names of the component schemas a part of the document refers to."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        found = {ref.rsplit("/", 1)[-1]} if isinstance(ref, str) else set()
        return found.union(*map(references, node.values()))
    if isinstance(node, list):
        return set().union(*map(references, node))
    return set()


def drop_unreferenced_schemas(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    keep = references(doc["paths"])
    while more := references([schemas[name] for name in keep]) - keep:
        keep |= more
    doc["components"]["schemas"] = {name: schemas[name] for name in sorted(keep)}


def as_spec(doc: dict[str, Any]) -> OpenAPISpecification:
    """The document as the object BentoML serves (`asdict()`) and writes into a Bento."""
    return OpenAPISpecification(
        openapi=doc["openapi"],
        info=Info(**doc["info"]),
        paths={route: PathItem(**operations) for route, operations in doc["paths"].items()},
        servers=doc["servers"],
        tags=[Tag(**tag) for tag in doc["tags"]],
        components=doc["components"],
    )


def documented_service(
    methods: Mapping[str, Collection[str]], may_be_unavailable: Collection[str]
) -> type[Service]:
    """A BentoML Service class whose OpenAPI document is completed as described above."""

    class DocumentedService(Service):
        @property
        def openapi_spec(self) -> OpenAPISpecification:
            doc = complete(
                super().openapi_spec.asdict(),
                inspect.cleandoc(self.inner.__doc__ or ""),
                methods,
                may_be_unavailable,
            )
            return as_spec(doc)

    return DocumentedService
