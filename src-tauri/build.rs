//! Reads tauri.conf.json at the repository root and the capabilities under src-tauri/capabilities.
fn main() {
    let attributes =
        tauri_build::Attributes::new().capabilities_path_pattern("src-tauri/capabilities/**/*");
    if let Err(error) = tauri_build::try_build(attributes) {
        // A build script reports failure through a non-zero exit; the message goes to cargo's output.
        eprintln!("tauri-build failed: {error:#}");
        std::process::exit(1);
    }
}
