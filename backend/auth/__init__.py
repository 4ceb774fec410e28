"""Staff authentication: roles, password hashing, API tokens and the role guard."""
