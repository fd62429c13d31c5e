"""AWS Config: recorder, configuration items, history, snapshots, advanced query, rules and remediation."""
