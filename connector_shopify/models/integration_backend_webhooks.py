"""Shopify's webhook subscriptions: one per topic the connector takes, to
this backend's URL, with the fields its active contract reads."""

from odoo import models

from .. import const
from ..lib import queries


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    def _shopify_wanted_webhooks(self):
        """{topic enum: includeFields} the connector needs, all to this backend's URL.

        The fields are the property paths of the topic's active contract: a new
        contract version changes the subscription at the next webhook check.
        """
        Contract = self.env["integration.contract"]
        wanted = {}
        for topic, rest_topic in queries.WEBHOOK_TOPICS.items():
            if topic == "INVENTORY_LEVELS_UPDATE" and not self.shopify_follow_levels:
                continue
            version = self.env["integration.contract.version"].browse(
                Contract._active_version_id(const.TOPICS[rest_topic]["contract"])
            )
            wanted[topic] = (
                queries.include_fields(version._schema())
                if version
                else queries.TOPIC_FIELDS[topic]
            )
        return wanted

    def action_shopify_check_webhooks(self):
        self.ensure_one()
        self._check_integration_manager()
        report = self._shopify_check_webhooks()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if not report["errors"] else "warning",
                "sticky": bool(report["errors"]),
                "message": self.env._(
                    "Webhooks: %(ok)s in order, %(created)s created, %(updated)s repaired, "
                    "%(deleted)s removed. %(errors)s",
                    ok=report["ok"],
                    created=report["created"],
                    updated=report["updated"],
                    deleted=report["deleted"],
                    errors="; ".join(report["errors"]),
                ),
            },
        }

    def _shopify_check_webhooks(self):
        """Subscribe the missing topics, repair misrouted ones, drop our extras."""
        self.ensure_one()
        url = self.sudo().webhook_url
        report = {"ok": 0, "created": 0, "updated": 0, "deleted": 0, "errors": []}
        existing = list(
            self._shopify().paginate(
                queries.WEBHOOKS,
                {},
                operation="Webhooks",
                path=["webhookSubscriptions"],
                page_size=100,
            )
        )
        wanted = self._shopify_wanted_webhooks()
        by_topic = {}
        for subscription in existing:
            by_topic.setdefault(subscription["topic"], []).append(subscription)
        token_path = url.split("/integration/webhook/")[0] + "/integration/webhook/"
        for topic, include_fields in wanted.items():
            subscriptions = by_topic.pop(topic, [])
            ours = [s for s in subscriptions if s["uri"] == url]
            stale = [
                s for s in subscriptions if s["uri"] != url and s["uri"].startswith(token_path)
            ]
            try:
                if ours:
                    if sorted(ours[0]["includeFields"] or []) != sorted(include_fields):
                        self._shopify_call(
                            queries.WEBHOOK_UPDATE,
                            {
                                "id": ours[0]["id"],
                                "input": {"uri": url, "includeFields": include_fields},
                            },
                            operation="WebhookUpdate",
                            mutation_field="webhookSubscriptionUpdate",
                        )
                        report["updated"] += 1
                    else:
                        report["ok"] += 1
                elif stale:
                    self._shopify_call(
                        queries.WEBHOOK_UPDATE,
                        {
                            "id": stale.pop(0)["id"],
                            "input": {"uri": url, "includeFields": include_fields},
                        },
                        operation="WebhookUpdate",
                        mutation_field="webhookSubscriptionUpdate",
                    )
                    report["updated"] += 1
                else:
                    self._shopify_call(
                        queries.WEBHOOK_CREATE,
                        {
                            "topic": topic,
                            "input": {
                                "uri": url,
                                "format": "JSON",
                                "includeFields": include_fields,
                            },
                        },
                        operation="WebhookCreate",
                        mutation_field="webhookSubscriptionCreate",
                    )
                    report["created"] += 1
                for subscription in stale + ours[1:]:
                    self._shopify_delete_webhook(subscription["id"])
                    report["deleted"] += 1
            except const.ShopifyUserError as error:
                report["errors"].append(str(error))
        for subscriptions in by_topic.values():
            for subscription in subscriptions:
                if subscription["uri"] == url:
                    self._shopify_delete_webhook(subscription["id"])
                    report["deleted"] += 1
        return report

    def _shopify_delete_webhook(self, subscription_id):
        self._shopify_call(
            queries.WEBHOOK_DELETE,
            {"id": subscription_id},
            operation="WebhookDelete",
            mutation_field="webhookSubscriptionDelete",
        )
