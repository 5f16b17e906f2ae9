"""Webhook subscriptions, bulk operations and fulfillments written through GraphQL."""

import re

from . import bulk, bulk_imports
from .store import parse_gid
from .webhooks import EMITTED_TOPICS


class AdminMutations:
    """Webhook subscriptions, bulk operations and fulfillments written through GraphQL."""

    # ----------------------------------------------------------------- bulk
    def bulk_run_query(self, info, query, **_):
        op, errors = self.bulk_runner.start(self.shop, self.version, query)
        return {"bulkOperation": bulk.node(op) if op else None, "userErrors": errors}

    def bulk_run_mutation(self, info, mutation, stagedUploadPath, **_):
        op, errors = self.bulk_runner.start_mutation(
            self.shop, self.version, mutation, stagedUploadPath
        )
        return {"bulkOperation": bulk.node(op) if op else None, "userErrors": errors}

    def staged_uploads_create(self, info, input):
        targets, errors = bulk_imports.create_targets(
            self.shop, input, self.bulk_runner.public_url()
        )
        return {"stagedTargets": targets, "userErrors": errors}

    def bulk_cancel(self, info, id):
        parsed = parse_gid(id, "BulkOperation")
        op = bulk.operations(self.shop).get(parsed[1]) if parsed else None
        if op is None:
            return {
                "bulkOperation": None,
                "userErrors": [{"field": ["id"], "message": "Bulk operation does not exist"}],
            }
        errors = self.bulk_runner.cancel(self.shop, op)
        return {"bulkOperation": bulk.node(op), "userErrors": errors}

    # ------------------------------------------------------------ fulfillment
    def fulfillment_create(self, info, fulfillment, message=None, **_):
        created, errors = self.store.create_fulfillment(
            self.shop,
            fulfillment["lineItemsByFulfillmentOrder"],
            tracking=fulfillment.get("trackingInfo"),
            notify_customer=fulfillment.get("notifyCustomer"),
            message=message,
        )
        return {
            "__typename": "FulfillmentCreatePayload",
            "fulfillment": self.fulfillment_node(created) if created else None,
            "userErrors": [{"__typename": "UserError", **error} for error in errors],
        }

    # ------------------------------------------------------------ webhooks
    def _subscription_payload(self, subscription, errors):
        return {
            "webhookSubscription": self.subscription_node(subscription) if subscription else None,
            "userErrors": [{"__typename": "UserError", **error} for error in errors],
        }

    def _webhook_input_errors(self, topic, data, exclude_id=None):
        uri = data.get("uri") or data.get("callbackUrl")
        if not uri:
            return None, [
                {
                    "field": ["webhookSubscription", "callbackUrl"],
                    "message": "Address can't be blank",
                }
            ]
        if not re.match(r"^(https?|pubsub|arn):", uri):
            return None, [
                {"field": ["webhookSubscription", "callbackUrl"], "message": "Address is invalid"}
            ]
        for other in self.shop.subscriptions.values():
            if other["id"] != exclude_id and other["topic"] == topic and other["uri"] == uri:
                return None, [
                    {
                        "field": ["webhookSubscription", "callbackUrl"],
                        "message": "Address for this topic has already been taken",
                    }
                ]
        return uri, []

    def webhook_create(self, info, topic, webhookSubscription, **_):
        data = webhookSubscription
        if topic not in EMITTED_TOPICS:
            return self._subscription_payload(
                None,
                [
                    {
                        "field": ["topic"],
                        "message": f"Topic {topic} is not emulated by the Shopify sandbox "
                        "(it would never be delivered)",
                    }
                ],
            )
        uri, errors = self._webhook_input_errors(topic, data)
        if errors:
            return self._subscription_payload(None, errors)
        moment = self.store.now()
        subscription = {
            "id": self.store.next_id(),
            "topic": topic,
            "uri": uri,
            "include_fields": list(data.get("includeFields") or []),
            "format": data.get("format") or "JSON",
            "filter": data.get("filter"),
            "name": data.get("name"),
            "created_at": moment,
            "updated_at": moment,
        }
        self.shop.subscriptions[subscription["id"]] = subscription
        return self._subscription_payload(subscription, [])

    def _subscription(self, subscription_gid):
        parsed = parse_gid(subscription_gid, "WebhookSubscription")
        return self.shop.subscriptions.get(parsed[1]) if parsed else None

    def webhook_update(self, info, id, webhookSubscription):
        subscription = self._subscription(id)
        if subscription is None:
            return self._subscription_payload(
                None, [{"field": ["id"], "message": "Webhook subscription does not exist"}]
            )
        data = dict(webhookSubscription)
        if data.get("uri") or data.get("callbackUrl"):
            uri, errors = self._webhook_input_errors(
                subscription["topic"], data, exclude_id=subscription["id"]
            )
            if errors:
                return self._subscription_payload(None, errors)
            subscription["uri"] = uri
        if "includeFields" in data:
            subscription["include_fields"] = list(data["includeFields"] or [])
        for key, target in (("format", "format"), ("filter", "filter"), ("name", "name")):
            if key in data and data[key] is not None:
                subscription[target] = data[key]
        subscription["updated_at"] = self.store.now()
        return self._subscription_payload(subscription, [])

    def webhook_delete(self, info, id):
        subscription = self._subscription(id)
        if subscription is None:
            return {
                "deletedWebhookSubscriptionId": None,
                "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
            }
        del self.shop.subscriptions[subscription["id"]]
        return {"deletedWebhookSubscriptionId": id, "userErrors": []}
