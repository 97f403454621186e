"""The swarm screen: the agents table and the grid of live panes."""
