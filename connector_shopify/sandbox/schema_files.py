"""Shopify's published Admin GraphQL schemas, one per API version.

Shopify ships the introspection result of every supported Admin API version
in the npm package ``@shopify/dev-mcp``; validating against those files makes
the sandbox reject exactly what a real store would reject for that version.
They are fetched on demand (never committed) and built lazily, once each.
"""

import gzip
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import threading
from pathlib import Path

import graphql

PACKAGE = "@shopify/dev-mcp"
PACKAGE_VERSION = "1.16.0"
MEMBER_PATTERN = re.compile(r"^package/dist/data/admin_([0-9a-z-]+)\.json\.gz$")
DEFAULT_SCHEMA_DIR = (
    Path(__file__).resolve().parents[2] / ".run" / "shopify-admin-schema" / PACKAGE_VERSION
)

_schemas = {}
_schema_lock = threading.Lock()


def version_key(version):
    """A sortable form of an API version (``unstable`` is the newest)."""
    return "9999-99" if version == "unstable" else version


class SchemaUnavailable(RuntimeError):
    """The schema files are neither present nor fetchable."""


def schema_dir():
    """Where the schema files are (or will be) kept."""
    return Path(os.environ.get("SHOPIFY_SCHEMA_DIR") or DEFAULT_SCHEMA_DIR)


def _present_versions(directory):
    return sorted(
        path.name[len("admin_") : -len(".json.gz")] for path in directory.glob("admin_*.json.gz")
    )


def ensure_schema_dir():
    """Return the schema directory, fetching the npm package into it if empty."""
    directory = schema_dir()
    if _present_versions(directory):
        return directory
    npm = shutil.which("npm")
    if not npm:
        raise SchemaUnavailable(
            f"Shopify Admin schemas missing from {directory} and npm is not installed: "
            f"install npm, or unpack {PACKAGE}@{PACKAGE_VERSION}'s package/dist/data/"
            "admin_*.json.gz there, or point SHOPIFY_SCHEMA_DIR at such a directory"
        )
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [npm, "pack", f"{PACKAGE}@{PACKAGE_VERSION}", "--silent"],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=300,
        )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if done.returncode or not tarballs:
            raise SchemaUnavailable(
                f"npm pack {PACKAGE}@{PACKAGE_VERSION} failed: {done.stderr.strip()[-500:]}"
            )
        with tarfile.open(tarballs[0]) as archive:
            for member in archive.getmembers():
                match = MEMBER_PATTERN.match(member.name)
                if not match or not member.isfile():
                    continue
                # Write next to the target then rename, so a reader never sees half a file.
                target = directory / f"admin_{match.group(1)}.json.gz"
                partial = target.with_suffix(".partial")
                with archive.extractfile(member) as source, open(partial, "wb") as out:
                    shutil.copyfileobj(source, out)
                partial.replace(target)
    if not _present_versions(directory):
        raise SchemaUnavailable(f"{PACKAGE}@{PACKAGE_VERSION} holds no admin_*.json.gz")
    return directory


def supported_versions():
    """API versions with a published schema, oldest first (``unstable`` last)."""
    versions = _present_versions(ensure_schema_dir())
    return sorted(versions, key=lambda v: (v == "unstable", v))


def load_schema(version):
    """Build (once) and return the GraphQLSchema of an API version."""
    with _schema_lock:
        schema = _schemas.get(version)
        if schema is not None:
            return schema
        path = ensure_schema_dir() / f"admin_{version}.json.gz"
        if not path.is_file():
            raise KeyError(version)
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            introspection = json.load(handle)
        schema = graphql.build_client_schema(introspection.get("data", introspection))
        # Shopify deprecates some required arguments and input fields, which
        # graphql-core's strict schema validation refuses; the schema is what
        # Shopify serves, so it is taken as is rather than edited.
        schema._validation_errors = []
        _schemas[version] = schema
        return schema


class _LazyVersions:
    """``SUPPORTED_VERSIONS`` without fetching anything at import time."""

    def _versions(self):
        return supported_versions()

    def __iter__(self):
        return iter(self._versions())

    def __contains__(self, version):
        return version in self._versions()

    def __len__(self):
        return len(self._versions())

    def __repr__(self):
        return repr(self._versions())


SUPPORTED_VERSIONS = _LazyVersions()
