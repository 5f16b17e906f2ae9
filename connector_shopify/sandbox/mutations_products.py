"""productSet: upsert a product and its variants with list-field semantics."""

from .store import money, parse_gid


class ProductMutations:
    """productSet: upsert a product and its variants with list-field semantics."""

    # ------------------------------------------------------------ products
    def product_set(self, info, input, identifier=None, synchronous=True, **_):
        store, shop = self.store, self.shop
        errors = []

        def payload(product):
            return {
                "__typename": "ProductSetPayload",
                "product": self.product_node(product) if product else None,
                "productSetOperation": None,
                "userErrors": [{"__typename": "ProductSetUserError", **error} for error in errors],
            }

        if synchronous is False:
            errors.append(
                {
                    "code": "INVALID_INPUT",
                    "field": ["synchronous"],
                    "message": "The sandbox only runs productSet synchronously.",
                }
            )
            return payload(None)
        product = None
        identifier = identifier or {}
        product_gid = identifier.get("id") or input.get("id")
        if product_gid:
            parsed = parse_gid(product_gid, "Product")
            product = shop.products.get(parsed[1]) if parsed else None
            if product is None:
                field = ["identifier", "id"] if identifier.get("id") else ["input", "id"]
                errors.append(
                    {
                        "code": "PRODUCT_DOES_NOT_EXIST",
                        "field": field,
                        "message": "Product does not exist",
                    }
                )
                return payload(None)
        elif identifier.get("handle"):
            product = next(
                (p for p in shop.products.values() if p["handle"] == identifier["handle"]), None
            )
        variants = input.get("variants")
        option_names = [option.get("name") for option in input.get("productOptions") or []]
        if variants and not option_names and product is None:
            errors.append(
                {
                    "code": "PRODUCT_OPTIONS_INPUT_MISSING",
                    "field": ["input", "productOptions"],
                    "message": "Product options input is missing.",
                }
            )
        for index, variant in enumerate(variants or []):
            for value in variant.get("optionValues") or []:
                if option_names and value.get("optionName") not in option_names:
                    errors.append(
                        {
                            "code": "OPTION_DOES_NOT_EXIST",
                            "field": ["input", "variants", str(index), "optionValues"],
                            "message": f"Option does not exist: {value.get('optionName')}",
                        }
                    )
            if variant.get("id"):
                parsed = parse_gid(variant["id"], "ProductVariant")
                existing = shop.variants.get(parsed[1]) if parsed else None
                if existing is None or (product and existing["product_id"] != product["id"]):
                    errors.append(
                        {
                            "code": "PRODUCT_VARIANT_DOES_NOT_EXIST",
                            "field": ["input", "variants", str(index), "id"],
                            "message": "Product variant does not exist",
                        }
                    )
        if product is None and not input.get("title"):
            errors.append(
                {
                    "code": "INVALID_INPUT",
                    "field": ["input", "title"],
                    "message": "Title can't be blank",
                }
            )
        if errors:
            return payload(None)
        created = product is None
        if product is None:
            product = store._new_product(
                shop, input["title"], input.get("handle") or identifier.get("handle")
            )
        for key, target in (
            ("title", "title"),
            ("handle", "handle"),
            ("vendor", "vendor"),
            ("productType", "product_type"),
            ("status", "status"),
            ("descriptionHtml", "description_html"),
        ):
            if input.get(key) is not None:
                product[target] = input[key]
        if input.get("tags") is not None:
            product["tags"] = list(input["tags"])
        product["updated_at"] = store.now()
        if variants is not None:
            self._set_variants(product, variants)
        store.emit(
            shop,
            "PRODUCTS_CREATE" if created else "PRODUCTS_UPDATE",
            store.rest_product(shop, product),
        )
        return payload(product)

    def _set_variants(self, product, variants):
        """productSet list semantics: listed variants are upserted, the others deleted."""
        store, shop = self.store, self.shop
        kept = []
        for spec in variants:
            options = [
                {"name": value.get("optionName") or "Title", "value": value.get("name") or ""}
                for value in spec.get("optionValues") or []
            ]
            title = " / ".join(option["value"] for option in options) or "Default Title"
            existing = None
            if spec.get("id"):
                existing = shop.variants[parse_gid(spec["id"], "ProductVariant")[1]]
            else:
                existing = next(
                    (
                        shop.variants[v]
                        for v in product["variant_ids"]
                        if shop.variants[v]["options"] == options and v not in kept
                    ),
                    None,
                )
            if existing is None:
                existing = store._new_variant(
                    shop, product, spec.get("sku"), spec.get("price") or 0, title, options
                )
                for level in spec.get("inventoryQuantities") or []:
                    location = parse_gid(level.get("locationId"), "Location")
                    if location and location[1] in shop.locations:
                        store.set_level(
                            shop,
                            existing["inventory_item_id"],
                            location[1],
                            int(level.get("quantity", 0)),
                        )
            else:
                if "sku" in spec:
                    existing["sku"] = spec["sku"] or ""
                if spec.get("price") is not None:
                    existing["price"] = money(spec["price"])
                existing["options"], existing["title"] = options or existing["options"], title
                existing["updated_at"] = store.now()
            kept.append(existing["id"])
        for variant_id in list(product["variant_ids"]):
            if variant_id not in kept:
                store._drop_variant(shop, shop.variants[variant_id])
        product["variant_ids"] = kept
