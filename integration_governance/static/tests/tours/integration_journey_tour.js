import { registry } from "@web/core/registry";

// Find an order from its channel number and follow its journey.
// Data: integration_governance/tests/test_tours.py.
registry.category("web_tour.tours").add("integration_journey_tour", {
    url: "/odoo/action-integration_governance.action_integration_trace_finder",
    steps: () => [
        {
            content: "Type the order's number on the channel",
            trigger: ".o_field_widget[name=query] input",
            run: "edit #T-9001",
        },
        {
            content: "Find it",
            trigger: ".o_form_view button[name=action_find]",
            run: "click",
        },
        {
            content: "The journey shows its subject: the order and its customer",
            trigger: ".o_field_widget[name=timeline] .text-muted:contains(Journey Buyer)",
        },
        {
            content: "Lanes per system: the channel and Odoo",
            trigger: ".o_integration_journey div.fw-bold:contains(Tour Shop)",
        },
        {
            trigger: ".o_integration_journey div.fw-bold:contains(Odoo)",
        },
        {
            content: "The exception of the journey, with its owner",
            trigger: ".o_field_widget[name=timeline] td:contains(Tour team)",
        },
        {
            content: "Its steps, each with its record",
            trigger: ".o_notebook a:contains(Steps)",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=lineage_ids] .o_data_row:contains(Imported)",
        },
        {
            content: "Follow the journey to the sale order",
            trigger: ".o_notebook a:contains(Journey)",
            run: "click",
        },
        {
            content: "The subject links to the sale order",
            trigger: ".o_field_widget[name=timeline] h4 a[href*='/odoo/sale.order/']",
        },
    ],
});
