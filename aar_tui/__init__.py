"""aar's terminal side: the Textual supervisor app and the `aar` command line."""

__version__ = "0.1.0"
