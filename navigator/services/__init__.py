"""Plain Python services: they take a database session and data, and know nothing of Flask."""
