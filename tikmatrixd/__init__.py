"""tikmatrixd: a phone-farm task daemon serving the TikMatrix Task Management API."""

__version__ = "0.1.0"
