"""Phone calls through phone connectors (XC channels whose connector kind is "phone")."""
