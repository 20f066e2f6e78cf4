//! The Python wheel (built with maturin, installed beside Locust) and the GitHub Action that installs
//! it, run as the runner runs them. A test binary of its own: building the wheel, maturin rebuilds
//! `target/debug/loadgate` (without the dev-dependencies' features), and the binary is missing
//! while it does; cargo runs test binaries one after another, so no other test is running then.

#[path = "../it/common.rs"]
#[macro_use]
mod common;
mod python;

mod action;
mod wheel;
