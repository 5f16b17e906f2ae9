import { Component, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

const { DateTime } = luxon;
const OPEN_STATES = ["new", "in_progress"];

/** "2 h 10 min", "45 min", "3 d 4 h": the way a person says a duration. */
export function formatDuration(totalMinutes) {
    const minutes = Math.abs(Math.trunc(totalMinutes));
    const days = Math.floor(minutes / 1440);
    const hours = Math.floor((minutes % 1440) / 60);
    const rest = minutes % 60;
    if (days) {
        return hours ? `${days} d ${hours} h` : `${days} d`;
    }
    if (hours) {
        return rest ? `${hours} h ${rest} min` : `${hours} h`;
    }
    return `${rest} min`;
}

/**
 * Time left to an SLA deadline, ticking live: "2 h 10 min left", turning
 * orange in the last hour and red once breached ("35 min overdue"). Shown
 * only while the record is open.
 */
export class SlaCountdownField extends Component {
    static template = "integration_governance.SlaCountdownField";
    static props = { ...standardFieldProps };

    setup() {
        this.state = useState({ now: DateTime.now() });
        const timer = setInterval(() => (this.state.now = DateTime.now()), 20000);
        onWillUnmount(() => clearInterval(timer));
    }

    get deadline() {
        return this.props.record.data[this.props.name];
    }

    get visible() {
        return Boolean(this.deadline) && OPEN_STATES.includes(this.props.record.data.state);
    }

    get title() {
        return this.deadline.toLocaleString(DateTime.DATETIME_MED);
    }

    get minutesLeft() {
        return Math.floor(this.deadline.diff(this.state.now, "minutes").minutes);
    }

    get text() {
        const left = this.minutesLeft;
        return left >= 0
            ? _t("%s left", formatDuration(left))
            : _t("%s overdue", formatDuration(left));
    }

    get className() {
        const left = this.minutesLeft;
        if (left < 0) {
            return "o_sla_countdown text-danger fw-bold";
        }
        return left < 60 ? "o_sla_countdown text-warning fw-bold" : "o_sla_countdown";
    }
}

export const slaCountdownField = {
    component: SlaCountdownField,
    displayName: _t("SLA countdown"),
    supportedTypes: ["datetime"],
    fieldDependencies: [{ name: "state", type: "selection" }],
};

registry.category("fields").add("sla_countdown", slaCountdownField);
