"""The app's own colour themes, kept as data: one TOML file per theme in this folder.

A user adds a theme by dropping a file of the same shape into the themes folder of their
configuration directory (see `aar_tui.themes`).
"""

from pathlib import Path

THEMES_DIR = Path(__file__).parent
