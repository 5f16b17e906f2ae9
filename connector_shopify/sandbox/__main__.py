"""``python3 -m sandbox --port 8899 [--demo] [--trickle SECONDS]``."""

# A command line tool: it prints where it listens, for a person.
# pylint: disable=print-used

import argparse
import contextlib
import itertools
import signal
import threading
import time

from .demo import DEMO_SHOP, seed_demo, start_trickle
from .server import ShopifySandbox


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8899)
    parser.add_argument("--demo", action="store_true", help="create the demo shop")
    parser.add_argument(
        "--trickle",
        type=float,
        metavar="SECONDS",
        help="with --demo: a random order every SECONDS once orders/create is subscribed",
    )
    parser.add_argument(
        "--unique-ids",
        action="store_true",
        help="start ids and order numbers from the clock, so they never repeat across runs",
    )
    args = parser.parse_args(argv)
    sandbox = ShopifySandbox(host=args.host, port=args.port)
    if args.unique_ids:
        now = int(time.time())
        sandbox.store._ids = itertools.count(now * 1000)
        sandbox.store.first_order_number = 1000 + now % 9_000_000
    sandbox.start()
    print(f"Shopify sandbox listening on {sandbox.url}", flush=True)
    print(f"  control API: {sandbox.url}/_sandbox/shops", flush=True)
    if args.demo:
        info = seed_demo(sandbox)
        print(f"  demo shop:     {DEMO_SHOP}", flush=True)
        print(f"  shop URL:      {sandbox.shop_url(DEMO_SHOP)}", flush=True)
        print(f"  client id:     {info['client_id']}", flush=True)
        print(f"  client secret: {info['client_secret']}", flush=True)
        print(f"  access token:  {info['access_tokens'][0]}", flush=True)
        if args.trickle:
            start_trickle(sandbox, args.trickle)
            print(f"  trickle:       an order every {args.trickle}s once subscribed", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    sandbox.stop()


if __name__ == "__main__":
    main()
