"""OpenAPI for both providers: generated from their routes, complete (every route, every
status with the §8 error body, security on the control API), served at /openapi.json with a
self-contained page at /docs."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import schemathesis
from starlette.responses import Response
from starlette.routing import Route

from harness.protocol import ERRORS, ProtocolError
from harness.serve import ServedProviders
from mock_providers import openapi
from mock_providers.vneid import VNeIDProvider
from mock_providers.vneid import api_docs as vneid_docs
from mock_providers.vneid.records import ClientRecord
from mock_providers.vssid import VssIDProvider
from mock_providers.vssid import api_docs as vssid_docs


@pytest.fixture(params=["vneid", "vssid"])
def spec_of(request: pytest.FixtureRequest, served: ServedProviders) -> tuple[Any, str]:
    provider = served.vneid if request.param == "vneid" else served.vssid
    url = served.vneid_url if request.param == "vneid" else served.vssid_url
    return provider, url


def _spec(url: str) -> dict[str, Any]:
    r = httpx.get(f"{url}/openapi.json", timeout=10)
    assert r.status_code == 200
    spec: dict[str, Any] = r.json()
    return spec


def test_every_route_is_documented_and_nothing_else(spec_of: tuple[Any, str]) -> None:
    provider, url = spec_of
    spec = _spec(url)
    routes = {
        (m, r.path_format)
        for r in provider.app.routes
        if isinstance(r, Route)
        for m in (r.methods or ())
        if m != "HEAD"
    }
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert documented == routes
    assert spec["openapi"] == "3.1.0"
    assert spec["servers"] == [{"url": url}]


def test_the_document_is_valid_openapi(spec_of: tuple[Any, str]) -> None:
    """Schemathesis loads it and builds every operation without a schema error."""
    _, url = spec_of
    schema = schemathesis.openapi.from_dict(_spec(url))
    results = list(schema.get_all_operations())
    assert results
    assert all(result.ok() for result in results)


def test_every_operation_lists_its_errors_with_the_section_8_body(spec_of: tuple[Any, str]) -> None:
    _, url = spec_of
    spec = _spec(url)
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error", "error_description", "clause", "message"]
    assert set(error["properties"]["error"]["enum"]) == set(ERRORS)
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            where = f"{method.upper()} {path}"
            responses = op["responses"]
            assert {"400", "414", "431"} <= set(responses), where
            assert any(s.startswith("2") or s.startswith("3") for s in responses), where
            for status, reply in responses.items():
                if int(status) >= 400:
                    schema = reply["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, where
            if "requestBody" in op:
                assert {"408", "413"} <= set(responses), where
            if path.startswith("/_harness/"):
                assert op["security"] == [{}, {"adminToken": []}], where
                assert "403" in responses, where
            assert re.fullmatch(r"[PVATRS]-\d+", op["x-clause"]), where


def test_app_api_operations_declare_the_version_header(served: ServedProviders) -> None:
    for url, header in (
        (served.vneid_url, "X-VNeID-App-Version"),
        (served.vssid_url, "X-VssID-App-Version"),
    ):
        for path, ops in _spec(url)["paths"].items():
            if not path.startswith("/api/"):
                continue
            for op in ops.values():
                params = {p["name"]: p for p in op["parameters"]}
                assert params[header]["required"] is True
                assert "426" in op["responses"]


def test_a_route_without_a_description_is_refused() -> None:
    async def extra(request: Any) -> Response:
        return Response()

    routes = [*VNeIDProvider().app.routes, Route("/undocumented", extra)]
    with pytest.raises(LookupError, match="GET /undocumented has no OpenAPI description"):
        vneid_docs.build(routes, "http://x.test")
    with pytest.raises(LookupError, match="descriptions without a route"):
        vssid_docs.build(VssIDProvider().app.routes[:3], "http://x.test")


def test_docs_page_is_self_contained(spec_of: tuple[Any, str]) -> None:
    _, url = spec_of
    r = httpx.get(f"{url}/docs", timeout=10)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"] == openapi.DOCS_CSP
    page = r.text
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing fetched
    for path in _spec(url)["paths"]:
        assert f"<code>{path}</code>" in page


@pytest.mark.parametrize(
    "value", ["vssid", "a b~", "\u202evssid", "\uff56ssid", "vss\u00e9id", "tab\there"]
)
def test_the_client_schema_documents_what_registration_takes(value: str) -> None:
    """The documented client id and secret patterns take exactly what registration takes
    (printable ASCII, RFC 6749 Appendix A): a schema-driven client such as Schemathesis
    would otherwise send ids the provider refuses as valid input."""
    props = vneid_docs.CLIENT["properties"]
    for name in ("client_id", "client_secret"):
        documented = re.search(props[name]["pattern"], value) is not None
        fields = {"client_id": "c", "client_secret": "s", name: value}
        try:
            ClientRecord(
                fields["client_id"],
                ("https://rp.example/cb",),
                "client_secret_basic",
                fields["client_secret"],
            )
            taken = True
        except ProtocolError:
            taken = False
        assert documented == taken, (name, value)
