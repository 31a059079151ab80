"""Migration scripts, one per revision: frozen history, never edited once released."""
