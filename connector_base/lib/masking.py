"""Hide credentials in what is logged, whatever the channel.

Plain Python, no Odoo: the HTTP client masks what it hands to its log hook
and the outbound message log masks again before storing. A field, header or
query parameter whose *name* says it carries a credential (token, secret,
password, authorization, API key, ...) has its value replaced by ``***``,
in JSON at any depth, in form-encoded bodies, in URLs and, as a last resort
for text that does not parse (a truncated body, an error message), by
pattern. This comes on top of the contract's classification masking, which
knows which business fields are personal.
"""

import json
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"

# Matched anywhere in a name, case-insensitively: ``X-Shopify-Access-Token``,
# ``client_secret``, ``refreshToken``, ``x-api-key``, ``Proxy-Authorization``.
_SENSITIVE_NAME = re.compile(
    r"token|secret|passw(?:or)?d|pwd|authori[sz]ation|api[-_]?key|apikey|"
    r"private[-_]?key|credential|cookie|signature|session[-_]?id",
    re.IGNORECASE,
)
_NAME_CHARS = r"[A-Za-z0-9_.\-]*"
_KEYWORDS = (
    r"(?:token|secret|passw(?:or)?d|pwd|authori[sz]ation|api[-_]?key|apikey|"
    r"private[-_]?key|credential|cookie|signature|session[-_]?id)"
)
# "name": "value" (the closing quote may be cut off by truncation) and
# "name": 123 / true; the name keeps its quotes.
_JSON_PAIR = re.compile(
    r"(?P<head>(?P<q>[\"'])" + _NAME_CHARS + _KEYWORDS + _NAME_CHARS + r"(?P=q)\s*:\s*)"
    r"(?P<value>\"(?:[^\"\\]|\\.)*(?:\"|$)|'(?:[^'\\]|\\.)*(?:'|$)|[A-Za-z0-9_.+\-]+)",
    re.IGNORECASE,
)
# name=value and name: value in text (form bodies, URLs, error messages).
_TEXT_PAIR = re.compile(
    r"(?P<head>(?<![A-Za-z0-9_])" + _NAME_CHARS + _KEYWORDS + _NAME_CHARS + r"\s*[=:]\s*)"
    r"(?P<value>(?:(?:Bearer|Basic|Token|Digest)\s+)?[^\s&,;\"'}\]]+)",
    re.IGNORECASE,
)
_SCHEME_VALUE = re.compile(
    r"\b(?P<head>(?:Bearer|Basic|Digest)\s+)(?P<value>[A-Za-z0-9._~+/=\-]{8,})"
)


def is_sensitive(name) -> bool:
    """True when a field, header or parameter of this name carries a credential."""
    return isinstance(name, str) and bool(_SENSITIVE_NAME.search(name))


def mask_data(value):
    """A copy of a JSON-like value with every credential-named field hidden, at any depth."""
    if isinstance(value, dict):
        return {
            key: (MASK if is_sensitive(key) and _present(sub) else mask_data(sub))
            for key, sub in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [mask_data(sub) for sub in value]
    if isinstance(value, str) and ("Bearer" in value or "Basic" in value):
        return _SCHEME_VALUE.sub(lambda m: m.group("head") + MASK, value)
    return value


def mask_headers(headers):
    """A copy of a header mapping with credential headers hidden (None stays None)."""
    if headers is None:
        return None
    return {
        key: (MASK if is_sensitive(key) and _present(value) else value)
        for key, value in dict(headers).items()
    }


def mask_url(url):
    """The URL with credential query parameters and any user:password hidden."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return mask_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_sensitive(key) for key, _value in pairs):
            query = urlencode([(k, MASK if is_sensitive(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def mask_text(text):
    """A logged body or message with its credentials hidden.

    JSON is masked field by field; a form-encoded body parameter by
    parameter; anything else (a truncated body, an error message) by
    pattern: ``"name": "value"``, ``name=value`` and ``Bearer value``.
    """
    if text is None:
        return None
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", errors="replace")
    if not isinstance(text, str):
        return text
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            data = json.loads(stripped)
        except ValueError:  # pylint: disable=except-pass
            pass  # not JSON after all: masked as text below
        else:
            masked = mask_data(data)
            return text if masked == data else json.dumps(masked, ensure_ascii=False)
    elif _looks_form_encoded(stripped):
        pairs = parse_qsl(stripped, keep_blank_values=True)
        if any(is_sensitive(key) for key, _value in pairs):
            return urlencode([(k, MASK if is_sensitive(k) else v) for k, v in pairs], safe="*")
        return text
    masked = _JSON_PAIR.sub(_mask_json_match, text)
    masked = _TEXT_PAIR.sub(lambda m: m.group("head") + MASK, masked)
    return _SCHEME_VALUE.sub(lambda m: m.group("head") + MASK, masked)


def _mask_json_match(match):
    value = match.group("value")
    if value[:1] in ("'", '"'):
        return f"{match.group('head')}{value[0]}{MASK}{value[0]}"
    return match.group("head") + f'"{MASK}"'


def _present(value):
    return value not in (None, "", [], {})


def _looks_form_encoded(text):
    return (
        "=" in text
        and not any(c.isspace() for c in text)
        and all("=" in pair for pair in text.split("&") if pair)
    )
