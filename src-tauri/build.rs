//! Reads tauri.conf.json at the repository root and the capabilities under src-tauri/capabilities.
//!
//! Every command has a permission in src-tauri/permissions/commands.toml, so none is callable unless a
//! capability grants it (src-tauri/capabilities/default.json grants them to the main window only).

fn main() {
    // tauri-build does not watch a custom capabilities path; without this a changed capability would
    // leave a stale permission set in the binary.
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=src-tauri/permissions");
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/**/*")
        .app_manifest(
            tauri_build::AppManifest::new().permissions_path_pattern("src-tauri/permissions/**/*"),
        );
    if let Err(error) = tauri_build::try_build(attributes) {
        // A build script reports failure through a non-zero exit; the message goes to cargo's output.
        eprintln!("tauri-build failed: {error:#}");
        std::process::exit(1);
    }
}
