"""How a job waiting for a Shopify bulk operation names it.

queue_job keeps a postponed job's message as its ``result``; the message
ends with this mark, so the ``bulk_operations/finish`` webhook finds the job
waiting for that operation (and a report can leave the mark out).
"""

import re

MARK = re.compile(r" \[bulk (\d+) (\S+)\]$")


def mark(backend_id, operation_id):
    """The mark to end a waiting job's message with ("" without an operation)."""
    return f" [bulk {backend_id} {operation_id}]" if operation_id else ""


def operation_of(message):
    """The operation a job's message says it waits for, or None."""
    found = MARK.search(message or "")
    return found.group(2) if found else None


def without_mark(message):
    return MARK.sub("", message or "")
