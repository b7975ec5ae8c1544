"""The fast lane: plain calls served without Connexion's per-request stack."""
