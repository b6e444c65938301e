//! The one integration-test binary. Each area is a module with its own
//! data-driven `check` helper; fixtures live in `tests/data/`.
mod archive;
mod broker;
mod decode;
mod detect;
mod kafka;
mod offline;
mod ops;
mod pricing;
mod props;
mod sim;
