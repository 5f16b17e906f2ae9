"""Credentials never reach a log: the pure masking functions and the HTTP
client's log records."""

import json

import pytest
import requests

from odoo.addons.connector_base.lib import masking
from odoo.addons.connector_base.lib.http_client import HttpClient

SECRET = "s3cr3t-value-42"


@pytest.mark.parametrize(
    "name",
    [
        "token",
        "access_token",
        "refresh_token",
        "client_secret",
        "password",
        "passwd",
        "Authorization",
        "Proxy-Authorization",
        "api_key",
        "x-api-key",
        "apiKey",
        "X-Shopify-Access-Token",
        "webhook_secret",
        "privateKey",
    ],
)
def test_credential_names(name):
    assert masking.is_sensitive(name)
    assert SECRET not in masking.mask_text(json.dumps({name: SECRET}))
    assert masking.mask_headers({name: SECRET}) == {name: "***"}


@pytest.mark.parametrize("name", ["id", "email", "grant_type", "quantity", "sku", "cursor"])
def test_business_names_are_kept(name):
    assert not masking.is_sensitive(name)
    assert masking.mask_data({name: "v"}) == {name: "v"}


def test_json_at_any_depth_and_lists():
    body = {
        "data": {"app": {"installation": [{"accessScopes": [], "accessToken": SECRET}]}},
        "auth": {"password": SECRET, "user": "ann"},
        "grant_type": "client_credentials",
        "expires_in": 86399,
    }
    masked = json.loads(masking.mask_text(json.dumps(body)))
    assert SECRET not in json.dumps(masked)
    assert masked["data"]["app"]["installation"][0]["accessToken"] == "***"
    assert masked["auth"] == {"password": "***", "user": "ann"}
    assert masked["grant_type"] == "client_credentials"
    assert masked["expires_in"] == 86399
    # The input is not changed in place.
    assert body["auth"]["password"] == SECRET


def test_unchanged_text_is_returned_as_is():
    text = '{"a":1,"b":[true,null]}'
    assert masking.mask_text(text) is text
    assert masking.mask_text(None) is None
    assert masking.mask_text("") == ""


def test_truncated_json_is_masked_by_pattern():
    text = json.dumps({"access_token": SECRET, "scope": "write_inventory"})[:30]
    assert SECRET[:5] in text
    masked = masking.mask_text(text)
    assert SECRET[:5] not in masked
    assert masked.startswith('{"access_token": "***"')
    cut = '{"x": 1, "refresh_token": 12345, "password": "abc'
    assert masking.mask_text(cut) == '{"x": 1, "refresh_token": "***", "password": "***"'


def test_form_encoded_body():
    body = f"grant_type=client_credentials&client_id=app&client_secret={SECRET}"
    masked = masking.mask_text(body)
    assert SECRET not in masked
    assert "client_id=app" in masked
    assert "grant_type=client_credentials" in masked


def test_text_headers_and_bearer_values():
    text = (
        f"HTTP 401: X-Shopify-Access-Token: {SECRET} Authorization: Bearer {SECRET} "
        f"then api_key={SECRET}; and 'Basic {SECRET}'"
    )
    assert SECRET not in masking.mask_text(text)
    assert masking.mask_data({"note": f"Bearer {SECRET}"}) == {"note": "Bearer ***"}


def test_urls():
    url = f"https://user:{SECRET}@shop.example/admin?access_token={SECRET}&page=2"
    masked = masking.mask_url(url)
    assert SECRET not in masked
    assert "page=2" in masked
    assert masking.mask_url("https://shop.example/a?b=1") == "https://shop.example/a?b=1"


class _FakeSession(requests.Session):
    """Answers every request with one canned response, no network."""

    def __init__(self, status, body):
        super().__init__()
        self.answer = (status, body)

    def request(self, method, url, **kwargs):
        response = requests.Response()
        response.status_code, body = self.answer
        response._content = body.encode()
        response.url = url
        response.headers["Content-Type"] = "application/json"
        return response


def test_http_client_records_carry_no_credential():
    """The Shopify client-credentials grant: the request carries the client
    secret, the answer the access token; neither reaches the log record."""
    records = []
    answer = json.dumps({"access_token": SECRET, "scope": "read_orders", "expires_in": 86399})
    client = HttpClient(
        "https://shop.example",
        session=_FakeSession(200, answer),
        after_call=records.append,
    )
    response = client.post(
        f"/admin/oauth/access_token?api_key={SECRET}",
        json={"client_id": "app", "client_secret": SECRET, "grant_type": "client_credentials"},
    )
    assert response.json()["access_token"] == SECRET  # the caller still gets it
    (record,) = records
    for text in (record.request_body, record.response_body, record.url):
        assert SECRET not in text
    assert json.loads(record.request_body)["client_id"] == "app"
    assert json.loads(record.response_body)["scope"] == "read_orders"


def test_http_client_error_and_form_body_carry_no_credential():
    records = []
    client = HttpClient(
        "https://shop.example",
        session=_FakeSession(400, json.dumps({"error": "bad", "client_secret": SECRET})),
        after_call=records.append,
    )
    with pytest.raises(Exception) as caught:
        client.post("/token", data={"client_secret": SECRET, "grant_type": "password"})
    assert SECRET not in str(caught.value)
    (record,) = records
    for text in (record.request_body, record.response_body, record.error):
        assert SECRET not in text
