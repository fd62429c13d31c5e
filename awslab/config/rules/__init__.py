"""AWS Config rules: managed rules and the compliance roll-up of their evaluations."""
