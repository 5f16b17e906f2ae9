"""Rate-limit maths: a generic leaky bucket, whatever the channel.

A pure function so the bucket state can live in PostgreSQL and be shared by
all workers; the caller stores the returned level with `now + wait` as its
new timestamp. Reading a channel's own signals into bucket figures (Shopify's
call-limit header, its GraphQL cost) belongs to that channel
(connector_shopify/lib/cost_signals.py).
"""


def leaky_bucket_wait(
    level: float,
    updated_at: float,
    now: float,
    capacity: float,
    leak_per_second: float,
    cost: float = 1.0,
) -> tuple[float, float]:
    """(seconds to wait before this call, new level after it is admitted)

    The new level is the bucket content at the moment of admission, i.e. at
    `now + wait`; store that instant as the new `updated_at`.
    """
    if leak_per_second <= 0:
        raise ValueError("leak_per_second must be positive")
    if cost > capacity:
        raise ValueError("a call costing more than the bucket capacity can never be admitted")
    elapsed = max(0.0, now - updated_at)  # tolerate clock skew between workers
    current = max(0.0, level - elapsed * leak_per_second)
    overflow = current + cost - capacity
    if overflow <= 0:
        return 0.0, current + cost
    return overflow / leak_per_second, float(capacity)
