"""AWS Config: configuration items, advanced query (SelectResourceConfig), rules and compliance."""
