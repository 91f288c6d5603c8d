//! Hardened XML parsing.
