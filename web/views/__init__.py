"""The screens (server-rendered pages), one module per feature; routes in web/urls.py."""
