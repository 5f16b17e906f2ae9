"""Refunds, returns and order transactions as GraphQL nodes."""

from decimal import Decimal

from .relay import connection
from .store import gid, iso_z


class PaymentNodes:
    """Refunds, returns and order transactions as GraphQL nodes."""

    def order_transactions(self, order):
        """The order's payment transactions, then its refunds' in the order they happened."""
        shop = self.shop
        refunds = [t for i in order["refund_ids"] for t in shop.refunds[i]["transactions"]]
        return list(order["transactions"]) + refunds

    def transactions_by_id(self):
        return {
            transaction["id"]: transaction
            for order in self.shop.orders.values()
            for transaction in self.order_transactions(order)
        }

    def transaction_node(self, transaction):
        shop = self.shop
        order = shop.orders[transaction["order_id"]]
        currency = transaction["currency"]
        payment = next(iter(order["transactions"]), None)
        is_payment = transaction["kind"] in ("sale", "capture")
        refunded = sum(
            (t["amount"] for t in self.order_transactions(order) if t["kind"] == "refund"),
            Decimal(0),
        )
        refundable = transaction["amount"] - refunded if is_payment else Decimal(0)
        return {
            "__typename": "OrderTransaction",
            "_currency": currency,
            "id": gid("OrderTransaction", transaction["id"]),
            "kind": transaction["kind"].upper(),
            "status": transaction["status"].upper(),
            "gateway": transaction["gateway"],
            "formattedGateway": transaction["gateway"].replace("_", " ").title(),
            "createdAt": iso_z(transaction["created_at"]),
            "processedAt": iso_z(transaction["created_at"]),
            "test": False,
            "amountSet": self.bag(transaction["amount"], currency),
            "maximumRefundableV2": {
                "amount": str(max(refundable, Decimal(0))),
                "currencyCode": currency,
            },
            "maximumRefundable": str(max(refundable, Decimal(0))),
            "order": lambda info: self.order_node(order),
            "parentTransaction": lambda info: (
                self.transaction_node(payment)
                if transaction["kind"] == "refund" and payment
                else None
            ),
        }

    def refund_node(self, refund):
        shop = self.shop
        order = shop.orders[refund["order_id"]]
        currency = order["currency"]
        total = sum((t["amount"] for t in refund["transactions"]), Decimal(0))
        return {
            "__typename": "Refund",
            "_currency": currency,
            "id": gid("Refund", refund["id"]),
            "legacyResourceId": str(refund["id"]),
            "note": refund["note"],
            "createdAt": iso_z(refund["created_at"]),
            "updatedAt": iso_z(refund["created_at"]),
            "processedAt": iso_z(refund["created_at"]),
            "totalRefundedSet": self.bag(total, currency),
            "order": lambda info: self.order_node(order),
            "transactions": lambda info, **args: connection(
                refund["transactions"], args, self.transaction_node
            ),
        }

    def return_node(self, record):
        shop = self.shop
        order = shop.orders[record["order_id"]]
        return {
            "__typename": "Return",
            "id": gid("Return", record["id"]),
            "name": record["name"],
            "status": record["status"],
            "createdAt": iso_z(record["created_at"]),
            "requestApprovedAt": iso_z(record["approved_at"]),
            "closedAt": iso_z(record["closed_at"]),
            "totalQuantity": sum(line["quantity"] for line in record["lines"]),
            "order": lambda info: self.order_node(order),
            # The sandbox's refunds are not tied to a return (refund_order knows no return).
            "refunds": lambda info, **args: connection([], args, self.refund_node),
            "transactions": lambda info, **args: connection([], args, self.transaction_node),
        }
