"""The ceasefire tracker: watch statements, keep positions and facts as state, alert on change."""

__version__ = "0.1.0"
