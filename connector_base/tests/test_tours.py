from .common import PipelineCase


class TestExceptionTour(PipelineCase):
    """Take an exception, fix the mapping, replay it (Odoo's tour, in a browser)."""

    def test_take_an_exception_fix_the_mapping_and_replay_it(self):
        self.env["product.template"].create({"name": "Tour Mug", "type": "consu", "list_price": 9})
        lines = [{"sku": "TC-TOUR", "qty": 1, "price": 60.0}]
        self.post(self.order_payload(7301, lines=lines, total=64.5))
        self.run_jobs()
        exception = self.env["integration.exception"].search([("name", "ilike", "TC-TOUR")])
        self.assertEqual((exception.category, exception.state), ("mapping", "new"))
        self.start_tour("/odoo/integration-queue", "integration_exception_tour", login="admin")
        self.assertEqual(exception.state, "replayed")
        self.assertEqual(exception.user_id, self.env.ref("base.user_admin"))
        event = exception.source_record
        self.assertEqual(event.state, "done")
        self.assertEqual(
            self.env["product.product"].search([("default_code", "=", "TC-TOUR")]).name, "Tour Mug"
        )
