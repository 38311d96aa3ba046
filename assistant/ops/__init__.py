"""Operations: start-up checks, backup and restore, reindex, forgetting a customer, recovery."""
