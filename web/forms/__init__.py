"""Django forms of the screens, one module per feature (beside web/views/)."""
