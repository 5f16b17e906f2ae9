#!/usr/bin/env python3
"""Write the contract of every GraphQL response the connector reads.

For each document of ``connector_shopify/lib/queries.py`` (``ALL``), derive
the closed JSON Schema of its response's ``data`` from the document and
Shopify's published Admin API schema, and write it to
``connector_shopify/schemas/graphql/<Operation>.json``. The files are
committed; a test fails when one differs from what this tool writes now.

Run from the repository root, with graphql-core installed (no Odoo needed)::

    python3 connector_shopify/tools/generate_response_contracts.py [--check]

The Shopify schema files are fetched with npm on first use (see
``connector_shopify/sandbox/schema_files.py``).
"""

import argparse
import importlib.util
import json
import sys
from pathlib import Path

ADDON = Path(__file__).resolve().parent.parent
OUTPUT = ADDON / "schemas" / "graphql"
API_VERSION = "2026-10"
# The other versions the connector speaks (graphql_client.API_VERSIONS): enum
# values they have and 2026-10 dropped may still come back, so they are accepted.
OLDER_VERSIONS = ["2025-10", "2026-01", "2026-04", "2026-07"]


def _load(name, relative):
    """Import one of the addon's plain-Python modules without importing Odoo."""
    spec = importlib.util.spec_from_file_location(f"_shopify_{name}", ADDON / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def render(contract):
    """The exact text of a contract file."""
    return json.dumps(contract, indent=2, ensure_ascii=False) + "\n"


def generate(load_schema=None):
    """{file name: text} of every operation's contract; ``load_schema(version)``
    gives Shopify's schema of a version (the sandbox's loader by default)."""
    queries = _load("queries", "lib/queries.py")
    response_schema = _load("response_schema", "lib/response_schema.py")
    if load_schema is None:
        load_schema = _load("schema_files", "sandbox/schema_files.py").load_schema
    schema = load_schema(API_VERSION)
    older = {version: load_schema(version) for version in OLDER_VERSIONS}
    return {
        f"{operation}.json": render(
            response_schema.contract_schema(schema, document, operation, API_VERSION, older)
        )
        for operation, document in queries.ALL.items()
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="only report files that differ; exit 1 if any"
    )
    args = parser.parse_args(argv)
    files = generate()
    stale = []
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = OUTPUT / name
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    extra = sorted(p.name for p in OUTPUT.glob("*.json") if p.name not in files)
    for name in extra:
        print(f"not generated from any document: {OUTPUT / name}", file=sys.stderr)
    verb = "differ" if args.check else "written"
    print(f"{len(files)} contracts, {len(stale)} {verb}: {', '.join(stale) or '-'}")
    return 1 if args.check and (stale or extra) else 0


if __name__ == "__main__":
    sys.exit(main())
