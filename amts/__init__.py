"""amts: machine-translate Markdown books and keep their translations in sync."""

__version__ = "0.1.0"
