//! Reads tauri.conf.json at the repository root and the capabilities under src-tauri/capabilities.
//!
//! Every command is listed in the app manifest, so none is callable unless a capability grants it
//! (src-tauri/capabilities/default.json grants them to the main window only).

const COMMANDS: &[&str] = &[
    "tenant_list",
    "tenant_create",
    "tenant_switch",
    "tenant_rename",
    "tenant_delete",
    "directory_list",
    "directory_add",
    "directory_pause",
    "directory_resume",
    "sync_run",
    "sync_user",
    "runs_list",
    "run_detail",
    "users_page",
    "groups_page",
    "admins_page",
    "trash_page",
];

fn main() {
    // tauri-build does not watch a custom capabilities path; without this a changed capability would
    // leave a stale permission set in the binary.
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        // A build script reports failure through a non-zero exit; the message goes to cargo's output.
        eprintln!("tauri-build failed: {error:#}");
        std::process::exit(1);
    }
}
