"""What each command does with a store (operations) and the bulk import's reading and checking."""
