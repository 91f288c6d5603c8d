"""Helpers for the conformance suite: Keycloak admin REST, a cookie-keeping SAML HTTP client,
SAML message inspection and tampering, and the run's environment."""
