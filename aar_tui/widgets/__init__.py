"""The app's widgets, grouped by the part of the screen they serve."""
