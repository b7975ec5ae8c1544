"""Seed data: fixture documents in and out of a store, and the built-in demo worlds."""
