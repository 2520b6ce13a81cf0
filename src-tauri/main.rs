//! The desktop app's entry point.

// Release builds on Windows open no console window beside the app's own.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// mimalloc instead of the system allocator: a sync allocates and frees millions of small strings (entries,
/// attribute values, membership ids), and glibc's allocator spent a fifth of the LDAP benchmark's time on
/// them (roster-bench uses the same allocator, so its figures are the app's). Version 2 (the workspace's
/// `v2` feature): it returns freed memory after 10 ms, where version 3 waits a second, which let a resync
/// right after a large first sync stack on memory not yet returned.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    roster_app::run()
}
