"""The API's schema as a contract other people's generators read: every example
in it is valid against its own schema, JSON operations take JSON only, and no enum
trips a generator (duplicate names after a generator normalises them)."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4


@pytest.fixture(scope="module")
def api_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _examples(schema: dict):
    """(where, media schema, example value) for every example of every body."""
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            bodies = [("request", operation.get("requestBody") or {})]
            bodies += list(operation.get("responses", {}).items())
            for status, body in bodies:
                for media_type, media in (body.get("content") or {}).items():
                    for name, example in (media.get("examples") or {}).items():
                        where = f"{method.upper()} {path} {status} {media_type} {name}"
                        yield where, media["schema"], example["value"]


def test_every_example_is_valid_against_its_own_schema(api_schema):
    registry = Registry().with_resource(
        "urn:api", Resource(contents=api_schema, specification=DRAFT4)
    )
    checked, failures = 0, []
    for where, media_schema, value in _examples(api_schema):
        # Its #/components/... references point into the whole document.
        validator = OAS30Validator(_rebase_refs(media_schema), registry=registry)
        try:
            validator.validate(value)
        except ValidationError as error:
            failures.append(f"{where}: {error.message} at {list(error.absolute_path)}")
        checked += 1
    assert checked > 50  # the walk found the examples
    assert not failures, "\n".join(failures)


def _rebase_refs(node):
    if isinstance(node, dict):
        return {
            key: f"urn:api{value}"
            if key == "$ref" and value.startswith("#")
            else _rebase_refs(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rebase_refs(item) for item in node]
    return node


def test_a_double_wrapped_page_example_would_fail(api_schema):
    """The walk catches the mistake it exists for: a page inside a page."""
    operation = api_schema["paths"]["/api/v1/doctors/"]["get"]
    media = operation["responses"]["200"]["content"]["application/json"]
    example = next(iter(media["examples"].values()))["value"]
    registry = Registry().with_resource(
        "urn:api", Resource(contents=api_schema, specification=DRAFT4)
    )
    validator = OAS30Validator(_rebase_refs(media["schema"]), registry=registry)
    validator.validate(example)
    with pytest.raises(ValidationError):
        validator.validate({**example, "results": [example]})


def test_json_operations_take_json_only_and_the_avatar_multipart(api_schema):
    media_types = {}
    for path, item in api_schema["paths"].items():
        for method, operation in item.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            if content:
                media_types[f"{method.upper()} {path}"] = set(content)
    assert media_types.pop("POST /api/v1/me/avatar/") == {"multipart/form-data"}
    assert media_types
    assert all(types == {"application/json"} for types in media_types.values())


def test_no_enum_has_two_values_a_generator_would_name_alike(api_schema):
    """openapi-python-client names enum members by upper-casing and dropping
    what is not a letter or digit: GMT0 and GMT-0 (time zone aliases) collide."""
    for name, component in api_schema["components"]["schemas"].items():
        values = component.get("enum") or []
        keys = [re.sub(r"[^A-Z0-9]+", "_", str(v).upper()).strip("_") for v in values]
        assert len(keys) == len(set(keys)), name
    assert "TimezoneEnum" not in api_schema["components"]["schemas"]


def test_appointment_writes_document_the_idempotency_key(api_schema):
    paths = api_schema["paths"]
    writes = [
        paths["/api/v1/appointments/"]["post"],
        paths["/api/v1/slots/{id}/hold/"]["post"],
        *(
            paths[f"/api/v1/appointments/{{id}}/{action}/"]["post"]
            for action in ("confirm", "decline", "cancel", "complete", "reschedule")
        ),
    ]
    for operation in writes:
        headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert headers == ["Idempotency-Key"], operation["operationId"]
        assert {"409", "422"} <= set(operation["responses"]), operation["operationId"]
    reads = paths["/api/v1/appointments/"]["get"]
    headers = {p["name"] for p in reads["parameters"] if p["in"] == "header"}
    assert headers == {"If-None-Match", "If-Modified-Since"}
    assert "304" in reads["responses"]
