"""REST endpoints, one module per section of the contract."""
