"""One spider per shop, plus ``generic`` for any shop."""
