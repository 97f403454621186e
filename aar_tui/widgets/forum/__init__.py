"""The forum screen: threads, filters and a post."""
