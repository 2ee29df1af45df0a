"""What neither github-backup nor gitim captures: discussions, reviews, commit
comments, attachments, repository settings and access, the organization itself
and its projects.  One module per part, each with one entry function returning a
`common.PartOutcome`; the stage `orgbackup/backup/stages/metadata.py` decides what to
refresh and calls them."""
