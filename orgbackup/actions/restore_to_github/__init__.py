"""restore-to-github: a backup made into an organization again (command.py is the entry)."""
