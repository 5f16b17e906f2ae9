from odoo.addons.connector_base.lib.vault import KeyRing
from odoo.exceptions import AccessError, UserError
from odoo.tests.common import TransactionCase, new_test_user, tagged
from odoo.tools import config


@tagged("post_install", "-at_install")
class TestVault(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls.env["integration.backend"].create(
            {"name": "Vault test", "code": "vault_test", "channel_type": "test_channel"}
        )
        cls.Credential = cls.env["integration.credential"]
        cls.credential = cls.Credential._store_secret(cls.backend, "access_token", "shpat_secret_1")
        cls.user = new_test_user(
            cls.env,
            "vault_user",
            groups="integration_governance.group_integration_manager,base.group_allow_export",
        )

    def test_encrypted_at_rest_and_decrypted_by_server_code(self):
        self.env.cr.execute(
            "SELECT ciphertext FROM integration_credential WHERE id = %s", [self.credential.id]
        )
        stored = self.env.cr.fetchone()[0]
        self.assertNotIn("shpat_secret_1", stored)
        self.assertTrue(stored.startswith("gAAAA"), "a Fernet token")
        self.assertEqual(self.backend._get_secret("access_token"), "shpat_secret_1")

    def test_write_only_in_the_ui(self):
        credential = self.credential.with_user(self.user)
        self.assertFalse(credential.value)
        self.assertTrue(credential.is_set)
        credential.value = "shpat_secret_2"
        self.assertEqual(self.backend._get_secret("access_token"), "shpat_secret_2")

    def test_non_admin_cannot_read_secrets(self):
        credential = self.credential.with_user(self.user)
        with self.assertRaises(AccessError):
            credential.read(["ciphertext"])
        rows = self.Credential.with_user(self.user).search_read(
            [("id", "=", self.credential.id)], ["key", "value", "is_set"]
        )
        self.assertEqual(rows[0]["value"], False)
        self.assertNotIn("shpat", str(rows))
        with self.assertRaises(AccessError):
            self.Credential.with_user(self.user).search_read(
                [("id", "=", self.credential.id)], ["ciphertext"]
            )
        exported = credential.export_data(["key", "value"])["datas"]
        self.assertEqual(exported, [["access_token", ""]], "the write-only value exports empty")

    def test_missing_or_wrong_key_is_a_clear_error(self):
        saved = config.get("integration_vault_keys")
        try:
            config["integration_vault_keys"] = KeyRing.generate_key()
            with self.assertRaisesRegex(UserError, "cannot be decrypted"):
                self.backend._get_secret("access_token")
        finally:
            config["integration_vault_keys"] = saved

    def test_rotation_re_encrypts_with_the_newest_key(self):
        saved = config.get("integration_vault_keys")
        new_key = KeyRing.generate_key()
        try:
            config["integration_vault_keys"] = f"{new_key},{saved}"
            self.backend.action_rotate_secrets()
            config["integration_vault_keys"] = new_key  # old key gone
            self.assertEqual(self.backend._get_secret("access_token"), "shpat_secret_1")
        finally:
            config["integration_vault_keys"] = saved
