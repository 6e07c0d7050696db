//! Choosing where tensors live. burn 0.22 makes the backend a runtime [`Device`], so one
//! training loop serves the CPU backend (burn's pure-Rust `flex`) and WebGPU alike.

use burn::tensor::Device;

pub use vrnn_types::Backend;

/// burn's pure-Rust CPU backend; works everywhere, including wasm32 without threads.
pub fn cpu_device() -> Device {
    Device::flex()
}

/// The default wgpu adapter (Vulkan, Metal or DX12 natively). Fails cleanly when none exists.
#[cfg(not(target_family = "wasm"))]
pub fn wgpu_device() -> Result<Device, String> {
    Device::wgpu_options().init().map_err(|e| e.to_string())
}

/// The browser's WebGPU adapter; the only way to get one on the web is asynchronously.
pub async fn wgpu_device_async() -> Result<Device, String> {
    Device::wgpu_options()
        .init_async()
        .await
        .map_err(|e| e.to_string())
}

/// The device for training: gradients are tracked on it.
pub fn training_device(device: Device, seed: u64) -> Device {
    device.seed(seed);
    device.autodiff()
}
