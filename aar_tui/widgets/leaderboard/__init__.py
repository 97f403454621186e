"""The leaderboard screen: ranked submissions and the best-PGR chart."""
