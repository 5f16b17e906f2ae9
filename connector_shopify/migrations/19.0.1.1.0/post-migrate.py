"""Stock reconciliation is connector_base's now (its own scheduled action):
the Shopify one, kept by ``noupdate``, goes."""


def migrate(cr, version):
    cr.execute(
        "SELECT res_id FROM ir_model_data WHERE module = 'connector_shopify' "
        "AND name = 'cron_reconcile_stock' AND model = 'ir.cron'"
    )
    row = cr.fetchone()
    if row:
        cr.execute("DELETE FROM ir_cron WHERE id = %s", [row[0]])
        cr.execute(
            "DELETE FROM ir_model_data WHERE module = 'connector_shopify' "
            "AND name = 'cron_reconcile_stock'"
        )
