"""This addon's plain pytest functions, for Odoo's own runner (see
``plain_functions.py``); pytest skips it."""

from odoo.tests import BaseCase, tagged

from .plain_functions import PlainFunctionsMixin


@tagged("post_install", "-at_install")
class TestPlainFunctions(PlainFunctionsMixin, BaseCase):
    __test__ = False
