"""Running the process safely: logging, redaction, one process per database, webhook."""
