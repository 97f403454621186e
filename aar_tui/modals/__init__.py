"""Dialogs that ask the supervisor for something before a command is sent."""
