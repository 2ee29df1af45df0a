"""The stages of a backup run, one module each, called in order by `orgbackup.actions.backup`."""
