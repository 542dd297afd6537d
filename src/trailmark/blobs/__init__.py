"""Content-addressed blob storage: one Protocol (:mod:`.protocol`), a local folder and S3."""
