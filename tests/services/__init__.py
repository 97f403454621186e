"""Real services that tests of several folders need (a Docker engine, ...), as fixtures."""
