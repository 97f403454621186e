"""Full screens, one per area of the app."""
