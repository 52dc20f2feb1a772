"""gatepost: a privacy-first access platform for people and vehicles."""

__all__ = ["__version__"]

__version__ = "0.1.0"
