"""EventBridge: buses, the event-pattern language, rules, schedules, targets and input transformation."""
