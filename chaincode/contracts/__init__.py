"""The 9ten contracts."""
