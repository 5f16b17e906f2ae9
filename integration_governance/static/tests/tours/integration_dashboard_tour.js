import { registry } from "@web/core/registry";

// Read the dashboard and open the failing backend's errors.
// Data: integration_governance/tests/test_tours.py.
registry.category("web_tour.tours").add("integration_dashboard_tour", {
    url: "/odoo/action-integration_governance.action_integration_overview",
    steps: () => [
        {
            content: "The failing system's card graphs its last 24 hours",
            trigger: ".o_kanban_record:contains(Failing shop) svg.o_integration_sparkline",
        },
        {
            content: "Open its last 24 hours",
            trigger: ".o_kanban_record:contains(Failing shop) a[name=action_open_activity_24h]",
            run: "click",
        },
        {
            trigger: ".o_graph_renderer",
        },
        {
            content: "Back to the overview",
            trigger: ".o_breadcrumb .breadcrumb-item a",
            run: "click",
        },
        {
            content: "Open its SLA-breached exceptions",
            trigger: ".o_kanban_record:contains(Failing shop) button[name=action_open_breaches]",
            run: "click",
        },
        {
            content: "The failing backend's error, overdue",
            trigger: ".o_data_row:contains(Tour failure) .o_sla_countdown.text-danger:contains(overdue)",
        },
    ],
});
