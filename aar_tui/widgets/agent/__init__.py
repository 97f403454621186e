"""The agent screen: transcript and the agent's figures."""
