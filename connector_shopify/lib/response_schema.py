"""The JSON Schema of a GraphQL response, derived from the document and the schema.

A GraphQL answer has exactly the shape of its document's selection set, typed
by the API's schema: which keys come back (aliases included), which may be
null, which are lists, what each scalar serialises to. Walking the selection
with Shopify's published schema gives, mechanically, a closed JSON Schema
(Draft 2020-12, ``additionalProperties: false`` on every object) of the
``data`` object, so a response that is not what the connector asked for is
caught before it is read.

Plain Python over graphql-core: no Odoo import, so the generator tool and the
tests use it as is.
"""

import re

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    InlineFragmentNode,
    OperationDefinitionNode,
    is_abstract_type,
    parse,
)

DRAFT = "https://json-schema.org/draft/2020-12/schema"
ID_BASE = "https://integration-suite.example/schemas/shopify/graphql"
CONTRACT_VERSION = "1.0.0"

# Built-in and Shopify scalars as they travel in JSON. Shopify's custom scalars
# (DateTime, Decimal, Money, UnsignedInt64, BigInt, ...) are all serialised as
# strings, except JSON which may be anything; an unknown one is taken as text.
SCALARS = {
    "Int": {"type": "integer"},
    "Float": {"type": "number"},
    "Boolean": {"type": "boolean"},
    "JSON": True,
}
STRING = {"type": "string"}

# Fields that identify a person, wherever they are selected.
PERSONAL_FIELDS = frozenset(
    {"email", "phone", "firstName", "lastName", "address1", "address2", "city", "zip"}
)
# Fields that identify a person only on an address.
PERSONAL_ON_ADDRESS = frozenset({"name"})
ADDRESS_TYPES = frozenset({"MailingAddress", "CustomerAddress"})
FINANCIAL_FIELDS = {("MoneyV2", "amount"), ("MoneyBag", "amount")}
DESCRIPTION_LIMIT = 160

_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def short_description(text):
    """First sentence of a schema description, links reduced to their text."""
    if not text:
        return None
    text = " ".join(_LINK.sub(r"\1", text).split())
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0]
    if len(sentence) > DESCRIPTION_LIMIT:
        sentence = sentence[: DESCRIPTION_LIMIT - 1].rstrip() + "…"
    return sentence


def classification(parent_name, field_name):
    """``x-classification`` of a selected field, or None."""
    if (parent_name, field_name) in FINANCIAL_FIELDS:
        return "financial"
    if field_name in PERSONAL_FIELDS:
        return "personal"
    if field_name in PERSONAL_ON_ADDRESS and parent_name in ADDRESS_TYPES:
        return "personal"
    return None


def operation_of(document, operation_name=None):
    """The operation definition to describe (the only one, or the named one)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        if len(operations) != 1:
            raise ValueError("the document has several operations: name one")
        return operations[0]
    for operation in operations:
        if operation.name and operation.name.value == operation_name:
            return operation
    raise ValueError(f"no operation {operation_name!r} in the document")


def response_schema(schema, document, operation_name=None, older=()):
    """Closed JSON Schema of the ``data`` of a response to ``document``.

    ``schema``: a graphql-core ``GraphQLSchema``; ``document``: GraphQL text
    or a parsed ``DocumentNode``; ``older``: schemas of other API versions the
    caller also speaks, whose extra values of the same enums (values since
    removed) are accepted too.
    """
    if not isinstance(document, DocumentNode):
        document = parse(document)
    operation = operation_of(document, operation_name)
    root = {
        "query": schema.query_type,
        "mutation": schema.mutation_type,
        "subscription": schema.subscription_type,
    }[operation.operation.value]
    if root is None:
        raise ValueError(f"the schema has no {operation.operation.value} type")
    walker = _Walker(schema, document, older)
    data = walker.object_schema(root, [operation.selection_set])
    if walker.definitions:
        data["$defs"] = dict(sorted(walker.definitions.items()))
    return data


class _Walker:
    def __init__(self, schema, document, older=()):
        self.schema = schema
        self.older = tuple(older)
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        # Enums are defined once and referenced: some (currencies, countries)
        # have hundreds of values and come back in many places.
        self.definitions = {}

    # ------------------------------------------------------------ selection
    def collect(self, parent, selection_set, conditional, found):
        """{response key: [(field node, field definition or None, context type,
        conditional)]}, fragments flattened; ``conditional`` marks fields that
        only come back for some runtime types (or under @skip/@include)."""
        for selection in selection_set.selections:
            maybe = conditional or _has_condition(selection)
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                name = selection.name.value
                definition = None if name == "__typename" else parent.fields[name]
                found.setdefault(key, []).append((selection, definition, parent, maybe))
                continue
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = selection.selection_set
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                condition = fragment.type_condition
                inner = fragment.selection_set
            else:  # pragma: no cover - graphql-core knows no other selection
                raise TypeError(selection)
            target = self.schema.get_type(condition.name.value) if condition else parent
            if target is parent or (
                is_abstract_type(target) and self._possible(parent) <= self._possible(target)
            ):
                # Always applies: fields are read on the enclosing type.
                self.collect(parent, inner, maybe, found)
            elif self._possible(parent) & self._possible(target):
                # Applies to some runtime types only: every field is optional.
                self.collect(target, inner, True, found)
            # Otherwise the fragment can never apply and adds nothing.
        return found

    def _possible(self, named):
        if is_abstract_type(named):
            return frozenset(t.name for t in self.schema.get_possible_types(named))
        return frozenset({named.name})

    # --------------------------------------------------------------- types
    def object_schema(self, parent, selection_sets):
        found = {}
        for selection_set in selection_sets:
            self.collect(parent, selection_set, False, found)
        properties, required = {}, []
        for key, entries in found.items():
            properties[key] = self.field_schema(entries)
            if any(
                not maybe and (definition is None or isinstance(definition.type, GraphQLNonNull))
                for _, definition, _, maybe in entries
            ):
                required.append(key)
        return {
            "type": "object",
            "additionalProperties": False,
            "required": required,
            "properties": properties,
        }

    def field_schema(self, entries):
        node, definition, context, _ = entries[0]
        if definition is None:  # __typename
            names = set()
            for _, _, entry_context, _ in entries:
                names |= self._possible(entry_context)
            return {
                "type": "string",
                "description": "The name of the object's type.",
                "enum": sorted(names),
            }
        sub_sets = [n.selection_set for n, *_ in entries if n.selection_set]
        result = self.type_schema(definition.type, sub_sets)
        if result is True:
            return result
        annotations = {"type": result["type"]} if "type" in result else {}
        description = short_description(definition.description)
        if description:
            annotations["description"] = description
        label = classification(context.name, node.name.value)
        if label:
            annotations["x-classification"] = label
        return {**annotations, **result}

    def type_schema(self, gql_type, selection_sets):
        if isinstance(gql_type, GraphQLNonNull):
            return self._bare(gql_type.of_type, selection_sets)
        return _nullable(self._bare(gql_type, selection_sets))

    def _bare(self, gql_type, selection_sets):
        """Schema of a value of ``gql_type`` that is not null."""
        if isinstance(gql_type, GraphQLList):
            return {"type": "array", "items": self.type_schema(gql_type.of_type, selection_sets)}
        if isinstance(gql_type, GraphQLEnumType):
            if gql_type.name not in self.definitions:
                values = list(gql_type.values)
                for other in self.older:
                    same = other.get_type(gql_type.name)
                    if isinstance(same, GraphQLEnumType):
                        values += [v for v in same.values if v not in values]
                definition = {"type": "string", "enum": values}
                description = short_description(gql_type.description)
                if description:
                    definition = {"description": description, **definition}
                self.definitions[gql_type.name] = definition
            return {"$ref": f"#/$defs/{gql_type.name}"}
        if isinstance(gql_type, GraphQLScalarType):
            found = SCALARS.get(gql_type.name, STRING)
            return dict(found) if isinstance(found, dict) else found
        # Object, interface or union: its selection decides the shape.
        return self.object_schema(gql_type, selection_sets)


def _nullable(schema):
    if schema is True:
        return True
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    schema = dict(schema)
    schema["type"] = [schema["type"], "null"]
    return schema


def _has_condition(selection):
    return any(d.name.value in ("skip", "include") for d in selection.directives or ())


def snake_case(name):
    """``InventoryLevels`` -> ``inventory_levels``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def contract_code(operation):
    """The governance contract of an operation's response."""
    return f"shopify.graphql.{snake_case(operation)}"


def contract_schema(schema, document, operation, api_version, older=None):
    """The shipped contract file of an operation: the response schema of its
    ``data`` with the identification a contract carries.

    ``older``: {API version: schema} of the other versions the connector
    speaks; their enum values that ``api_version`` dropped are accepted too.
    """
    older = older or {}
    data = response_schema(schema, document, operation, older=older.values())
    also = (
        f" (enum values of {', '.join(older)} accepted too: the connector speaks those versions)"
        if older
        else ""
    )
    header = {
        "$schema": DRAFT,
        "$id": f"{ID_BASE}/{operation}/{CONTRACT_VERSION}",
        "title": f"Shopify GraphQL {operation} response data",
        "description": (
            f"The 'data' of Shopify's answer to the connector's {operation} document "
            "(connector_shopify/lib/queries.py). Generated from that document and "
            f"Shopify's published Admin API {api_version} schema{also} by "
            "connector_shopify/tools/generate_response_contracts.py: do not edit by hand, "
            "change the document and run the tool again."
        ),
    }
    return {**header, **data}
