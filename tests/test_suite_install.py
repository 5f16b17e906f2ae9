"""Suite-level checks: every addon installs as an admin would find it in Apps,
and every window action of the Integrations app renders its views."""

import ast
from pathlib import Path

from odoo.tests.common import TransactionCase

ROOT = Path(__file__).resolve().parent.parent
# Every addon of the suite: each folder at the root with a manifest.
ADDONS = sorted(manifest.parent.name for manifest in ROOT.glob("*/__manifest__.py"))


class TestSuiteInstall(TransactionCase):
    # Outside odoo.addons, Odoo's test case does not tag itself.
    test_tags = {"standard", "post_install"}
    test_module = "suite"

    def test_addons_installed_with_queue_job(self):
        modules = self.env["ir.module.module"].search([("name", "in", [*ADDONS, "queue_job"])])
        self.assertEqual(
            {m.name: m.state for m in modules},
            dict.fromkeys([*ADDONS, "queue_job"], "installed"),
        )

    def test_manifests_are_apps_menu_ready(self):
        for addon in ADDONS:
            manifest = ast.literal_eval((ROOT / addon / "__manifest__.py").read_text())
            self.assertRegex(manifest["version"], r"^19\.0\.\d+\.\d+\.\d+$", addon)
            self.assertEqual(manifest["license"], "LGPL-3", addon)
            for key in ("name", "summary", "category", "author"):
                self.assertTrue(manifest.get(key), f"{addon}: {key}")
            self.assertTrue((ROOT / addon / "static/description/icon.png").is_file(), addon)
            self.assertTrue((ROOT / addon / "readme/DESCRIPTION.md").is_file(), addon)
            self.assertTrue((ROOT / addon / "security/ir.model.access.csv").is_file(), addon)

    def test_apps_page_shows_the_generated_readme(self):
        """Apps shows static/description/index.html (made by make readme)."""
        modules = self.env["ir.module.module"].search([("name", "in", ADDONS)])
        self.assertEqual(len(modules), len(ADDONS))
        for module in modules:
            html = str(module.description_html)
            for title in ("Configuration", "Usage", "Known issues / Roadmap", "Credits"):
                self.assertIn(title, html, module.name)
        # Screenshots are served from the addon itself.
        governance = modules.filtered(lambda m: m.name == "integration_governance")
        self.assertIn(
            'src="/integration_governance/static/description/overview.png"',
            str(governance.description_html),
        )

    def test_every_integrations_action_renders(self):
        actions = self.env["ir.actions.act_window"].search([("res_model", "like", "integration.%")])
        self.assertGreater(len(actions), 10)
        for action in actions:
            model = self.env[action.res_model]
            modes = [m for m in action.view_mode.split(",") if m]
            views = model.get_views([(False, m) for m in modes])
            self.assertEqual(set(views["views"]), set(modes), action.name)

    def test_integrations_menu_for_users_only(self):
        root = self.env.ref("integration_governance.menu_integration_root")
        self.assertIn(self.env.ref("integration_governance.group_integration_user"), root.group_ids)
