//! The one integration-test binary. Each area is a module with its own
//! data-driven `check` helper; fixtures live in `tests/data/`.
mod broker;
mod kafka;
