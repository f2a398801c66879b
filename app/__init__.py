"""KIX, the Kidnapping Information eXchange."""

__version__ = "0.1.0"
