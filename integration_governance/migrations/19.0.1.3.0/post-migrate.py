"""19.0.1.3.0 keeps a system's last success in integration.system.heartbeat:
the times stored on the system rows before move there."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        "SELECT 1 FROM information_schema.columns "
        "WHERE table_name = 'integration_system' AND column_name = 'last_success_at'"
    )
    if not cr.fetchone():
        return
    cr.execute(
        """
        INSERT INTO integration_system_heartbeat (system_id, last_success_at)
        SELECT id, last_success_at FROM integration_system WHERE last_success_at IS NOT NULL
        ON CONFLICT (system_id) DO NOTHING
        """
    )
