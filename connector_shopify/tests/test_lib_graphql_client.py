"""The GraphQL client raises the taxonomy it is given, Shopify's errors included."""

from types import SimpleNamespace

import pytest

from odoo.addons.connector_base.lib import retry
from odoo.addons.connector_shopify.lib import graphql_client


class FakeResponse:
    def __init__(self, body):
        self.body = body

    def json(self):
        if isinstance(self.body, Exception):
            raise self.body
        return self.body


class FakeHttp:
    def __init__(self, *bodies):
        self.bodies = list(bodies)
        self.calls = []

    def request(self, method, path, **kwargs):
        self.calls.append((method, path, kwargs))
        return FakeResponse(self.bodies.pop(0))


def client(*bodies, errors=retry, **kwargs):
    return graphql_client.ShopifyGraphQL(FakeHttp(*bodies), "2026-10", errors=errors, **kwargs)


def test_errors_is_required_and_keyword_only():
    with pytest.raises(TypeError):
        graphql_client.ShopifyGraphQL(FakeHttp())
    with pytest.raises(TypeError):
        graphql_client.ShopifyGraphQL(FakeHttp(), "2026-10", None, None, retry)


def test_a_taxonomy_without_the_classes_is_refused():
    with pytest.raises(TypeError, match="AuthenticationError"):
        client(errors=SimpleNamespace(TransientError=Exception, ThrottledError=Exception))


def test_shopify_errors_are_made_once_per_taxonomy():
    errors = graphql_client.shopify_errors(retry)
    assert graphql_client.shopify_errors(retry) is errors
    assert client().shopify_errors is errors
    for cls in (errors.ShopifyUserError, errors.ShopifyContractError, errors.ShopifyGraphQLError):
        assert issubclass(cls, retry.PermanentError)
        assert cls.__qualname__ == cls.__name__
    assert errors.ShopifyContractError("Orders", [], "c").kind == "contract"


def test_answers_map_onto_the_injected_taxonomy():
    def error(code):
        return {"errors": [{"message": code, "extensions": {"code": code}}]}

    cases = [
        (ValueError("not json"), retry.TransientError),
        (error("THROTTLED"), retry.ThrottledError),
        (error("INTERNAL_SERVER_ERROR"), retry.TransientError),
        (error("ACCESS_DENIED"), retry.AuthenticationError),
        ({"data": None}, retry.TransientError),
        (error("MAX_COST_EXCEEDED"), graphql_client.shopify_errors(retry).ShopifyGraphQLError),
    ]
    for body, expected in cases:
        with pytest.raises(expected):
            client(body).execute("query Q { shop { id } }", operation="Q")


def test_user_errors_and_cost_with_another_taxonomy():
    class Permanent(Exception):
        pass

    taxonomy = SimpleNamespace(
        TransientError=type("Transient", (Exception,), {}),
        ThrottledError=type("Throttled", (Exception,), {}),
        AuthenticationError=type("Authentication", (Permanent,), {}),
        PermanentError=Permanent,
    )
    costs = []
    body = {
        "data": {"orderUpdate": {"userErrors": [{"field": ["id"], "message": "bad"}]}},
        "extensions": {"cost": {"requestedQueryCost": 10, "actualQueryCost": 10}},
    }
    api = client(body, errors=taxonomy, on_cost=lambda cost, op: costs.append((cost, op)))
    with pytest.raises(Permanent) as caught:
        api.mutate("mutation M { x }", {}, operation="M", field="orderUpdate")
    assert isinstance(caught.value, graphql_client.shopify_errors(taxonomy).ShopifyUserError)
    assert not isinstance(caught.value, retry.PermanentError)
    assert str(caught.value) == "M: id: bad"
    assert costs[0][0]["requested"] == 10 and costs[0][1] == "M"
