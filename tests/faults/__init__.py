"""The fault suite: each test injects a real fault and checks the record survives it."""
