"""openweex: a self-hostable spot exchange that speaks the WEEX spot API."""

__version__ = "0.1.0"
