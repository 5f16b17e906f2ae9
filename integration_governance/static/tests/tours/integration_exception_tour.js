import { registry } from "@web/core/registry";

// Take an exception, fix the mapping, replay it.
// Data: connector_base/tests/test_tours.py (an order with an unknown SKU).
registry.category("web_tour.tours").add("integration_exception_tour", {
    url: "/odoo/integration-queue",
    steps: () => [
        {
            content: "The queue shows the time left to the SLA",
            trigger: ".o_data_row:contains(TC-TOUR) .o_sla_countdown:contains(left)",
        },
        {
            content: "Open the exception",
            trigger: ".o_data_row:contains(TC-TOUR) td[name=name]",
            run: "click",
        },
        {
            content: "Take it",
            trigger: ".o_form_view button[name=action_take]",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(In progress)",
        },
        {
            content: "Fix the mapping: find the product",
            trigger: "body",
            run() {
                window.location.href = "/odoo/action-product.product_template_action";
            },
            expectUnloadPage: true,
        },
        {
            trigger: ".o_searchview_input",
            run: "edit Tour Mug",
        },
        {
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
        {
            trigger: ".o_kanban_record:contains(Tour Mug)",
            run: "click",
        },
        {
            content: "Give it the channel's SKU",
            trigger: ".o_field_widget[name=default_code] input",
            run: "edit TC-TOUR",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_saved",
        },
        {
            content: "Back to the queue",
            trigger: "body",
            run() {
                window.location.href = "/odoo/integration-queue";
            },
            expectUnloadPage: true,
        },
        {
            trigger: ".o_data_row:contains(TC-TOUR) button[name=action_replay]",
            run: "click",
        },
        {
            content: "Replayed: it leaves the open queue",
            trigger: ".o_list_view:not(:has(.o_data_row:contains(TC-TOUR)))",
        },
    ],
});
