from django.apps import AppConfig


class AggregatorsConfig(AppConfig):
    name = "aggregators"
    verbose_name = "HTTP aggregators"
