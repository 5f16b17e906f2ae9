from odoo import models


class IntegrationReplayableMixin(models.AbstractModel):
    """Opt-in for a source record (inbox event, job, outbound message) whose
    failure can be replayed from the exception queue.

    The exception calls ``_integration_replay`` with the payload to use (the
    original one, or an edited and re-validated copy); it runs inside a
    savepoint, so raising rolls the attempt back and keeps the exception open.
    """

    _name = "integration.replayable.mixin"
    _description = "Replayable integration source"

    def _integration_replay(self, exception, payload):
        """Process ``payload`` again; return the Odoo record it produced, if any."""
        raise NotImplementedError(
            f"{self._name} must implement _integration_replay to be replayable"
        )

    def _integration_replay_payload(self):
        """The payload a replay starts from, when the exception holds none."""
        return None
