#!/usr/bin/env python3
"""Log into a running suite (make run) and screenshot Odoo pages.

Uses Debian's chromium through PyPI playwright (no browser download):
    python3 tools/screenshots.py integration_governance.action_integration_overview ...
Pages are written to .run/screenshots/<name>.png. Paths starting with '/' are
taken as they are (e.g. /odoo/action-...?view_type=pivot).
"""

import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = os.environ.get("SUITE_URL", "http://127.0.0.1:8069")
OUT = Path(__file__).resolve().parent.parent / ".run" / "screenshots"


def main(targets):
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(f"{BASE}/web/login")
        page.fill("input[name=login]", os.environ.get("SUITE_LOGIN", "admin"))
        page.fill("input[name=password]", os.environ.get("SUITE_PASSWORD", "admin"))
        page.click("button[type=submit]")
        page.wait_for_url("**/odoo**")
        for target in targets:
            url = target if target.startswith("/") else f"/odoo/action-{target}"
            page.goto(BASE + url)
            # The bus keeps a connection open: wait for the view, not for idle.
            page.wait_for_selector(
                ".o_action_manager .o_view_controller, .o_form_view", timeout=30000
            )
            page.wait_for_timeout(1500)
            name = target.strip("/").replace("/", "_").replace("?", "_").replace("=", "-")
            path = OUT / f"{name[-80:]}.png"
            page.screenshot(path=str(path), full_page=True)
            print(path)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
