//! What the engine's integration tests share.

#![allow(dead_code)] // each test file uses its own share of these

use vrnn_engine::burn::tensor::Device;

/// The native wgpu device (a GPU's, or Mesa's software Vulkan, lavapipe, which the test
/// command installs), or `None` for a test that then cannot run. With `VRNN_REQUIRE_WGPU` set
/// (as the test command sets it) a missing adapter is a failure; otherwise `test` says SKIPPED
/// on the terminal, past the harness's capture, so a pass never hides that it did not run.
pub fn wgpu_or_skip(test: &str) -> Option<Device> {
    match vrnn_engine::backend::wgpu_device() {
        Ok(device) => Some(device),
        Err(e) if std::env::var_os("VRNN_REQUIRE_WGPU").is_some() => {
            panic!("no native wgpu adapter ({e}), and VRNN_REQUIRE_WGPU is set")
        }
        Err(e) => {
            use std::io::Write;
            // Not eprintln!: the harness captures that for passing tests.
            let _ = writeln!(
                std::io::stderr(),
                "\nSKIPPED {test}: no native wgpu adapter ({e}); install Mesa's Vulkan drivers (mesa-vulkan-drivers) to run it\n"
            );
            None
        }
    }
}
