"""This addon's plain pytest functions, for Odoo's own runner (see
``integration_governance/tests/plain_functions.py``); pytest skips it."""

from odoo.addons.integration_governance.tests.plain_functions import PlainFunctionsMixin
from odoo.tests import BaseCase, tagged


@tagged("post_install", "-at_install")
class TestPlainFunctions(PlainFunctionsMixin, BaseCase):
    __test__ = False
