"""GitHub's published contract (its GraphQL schema and REST OpenAPI description, pinned in
pins.json) and the checks of the product's requests and the emulator's answers against it."""
