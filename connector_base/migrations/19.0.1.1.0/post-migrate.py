"""Stock dirty marks move from connector_shopify's column to the pipeline's."""


def migrate(cr, version):
    cr.execute(
        "SELECT 1 FROM information_schema.columns "
        "WHERE table_name = 'integration_binding' AND column_name = 'shopify_stock_dirty'"
    )
    if cr.fetchone():
        cr.execute(
            "UPDATE integration_binding SET stock_dirty = TRUE "
            "WHERE shopify_stock_dirty AND stock_dirty IS NOT TRUE"
        )
