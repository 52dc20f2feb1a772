"""Keys, sealing, passwords, tokens, permissions, audit chain and signed URLs."""
