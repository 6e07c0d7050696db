//! The reference VRNN, numerically equal to PyTorch: with the weights and the noise that
//! PyTorch used, forward outputs, loss, every gradient, the global gradient norm and the
//! parameters after one clipped Adam step match to 1e-4 relative (1e-6 absolute).

mod common;

use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use serde_json::Value;
use vrnn_engine::model::{host, vrnn_loss, TorchTensors, Vrnn};
use vrnn_engine::train::{reference_adam, FlatOptimizer};

const RTOL: f64 = 1e-4;
const ATOL: f64 = 1e-6;

fn golden() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/golden-vrnn-step.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture present"))
        .expect("valid JSON")
}

/// Flattens a nested JSON array into (shape, values).
fn flat(v: &Value) -> (Vec<usize>, Vec<f32>) {
    fn go(v: &Value, depth: usize, shape: &mut Vec<usize>, out: &mut Vec<f32>) {
        match v {
            Value::Array(a) => {
                if shape.len() <= depth {
                    shape.push(a.len());
                }
                for x in a {
                    go(x, depth + 1, shape, out);
                }
            }
            Value::Number(n) => out.push(n.as_f64().unwrap() as f32),
            other => panic!("unexpected {other}"),
        }
    }
    let (mut shape, mut out) = (Vec::new(), Vec::new());
    go(v, 0, &mut shape, &mut out);
    (shape, out)
}

fn named(v: &Value) -> TorchTensors {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), flat(v)))
        .collect()
}

fn tensor3(v: &Value, device: &Device) -> Tensor<3> {
    let (shape, values) = flat(v);
    Tensor::from_data(
        TensorData::new(values, [shape[0], shape[1], shape[2]]),
        device,
    )
}

fn assert_close(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let mut worst = 0.0f64;
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let (g, w) = (g as f64, w as f64);
        let err = (g - w).abs();
        assert!(
            err <= ATOL + RTOL * w.abs(),
            "{what}[{i}]: got {g}, PyTorch {w} (|diff| {err:e})"
        );
        worst = worst.max(err);
    }
    eprintln!("{what}: {} values, max |diff| {worst:e}", got.len());
}

fn assert_named_close(what: &str, got: &TorchTensors, want: &TorchTensors) {
    let got_names: Vec<_> = got.keys().collect();
    let want_names: Vec<_> = want.keys().collect();
    assert_eq!(got_names, want_names, "{what}: parameter names");
    for (name, (shape, values)) in want {
        let (gshape, gvalues) = &got[name];
        assert_eq!(gshape, shape, "{what} {name}: shape");
        assert_close(&format!("{what} {name}"), gvalues, values);
    }
}

fn check_golden_step(device: Device) {
    let g = golden();
    let device = device.autodiff();
    let beta = g["beta"].as_f64().unwrap();
    let lr = g["lr"].as_f64().unwrap();
    let clip = g["clip"].as_f64().unwrap();

    let model = Vrnn::from_torch(&named(&g["params"]), &device).unwrap();
    assert_named_close("initial params", &model.to_torch(), &named(&g["params"]));

    let x = tensor3(&g["x"], &device);
    let eps = tensor3(&g["eps"], &device);
    let out = model.forward(x.clone(), eps);
    let outputs = &g["outputs"];
    for (name, t) in [
        ("x_mean", &out.x_mean),
        ("mu_q", &out.mu_q),
        ("logvar_q", &out.logvar_q),
        ("mu_p", &out.mu_p),
        ("logvar_p", &out.logvar_p),
        ("z", &out.z),
    ] {
        let (shape, values) = host(t.clone());
        let (wshape, wvalues) = flat(&outputs[name]);
        assert_eq!(shape, wshape, "{name}: shape");
        assert_close(name, &values, &wvalues);
    }

    let losses = vrnn_loss(x, &out, beta);
    for (name, t) in [
        ("loss", &losses.loss),
        ("recon", &losses.recon),
        ("kl", &losses.kl),
    ] {
        let v = host(t.clone()).1;
        assert_close(name, &v, &[g[name].as_f64().unwrap() as f32]);
    }

    let grads = GradientsParams::from_grads(losses.loss.backward(), &model);
    assert_named_close("grad", &model.grads_to_torch(&grads), &named(&g["grads"]));

    let mut optim = FlatOptimizer::new(&reference_adam(), &model);
    let flat = model.flat_gradient_tensor(&grads);
    let (model, norm) = optim.step(lr, clip, &model, flat).unwrap();
    assert_close(
        "grad_norm_before_clip",
        &host(norm).1,
        &[g["grad_norm_before_clip"].as_f64().unwrap() as f32],
    );
    assert_named_close(
        "after step",
        &model.to_torch(),
        &named(&g["params_after_step"]),
    );
}

/// burn's own CPU matrix products (gemm), natively.
#[test]
fn golden_step_matches_pytorch_on_cpu_with_gemm() {
    vrnn_engine::model::use_gemm_natively(true);
    check_golden_step(vrnn_engine::backend::cpu_device());
    vrnn_engine::model::use_gemm_natively(false);
}

/// The CPU path the app and the CLI run: the matrix products through the hand-written kernel
/// (`vrnn_kernels::matmul`).
#[test]
fn golden_step_matches_pytorch_on_cpu() {
    check_golden_step(vrnn_engine::backend::cpu_device());
}

/// Runs on any native wgpu adapter (see `common::wgpu_or_skip`).
#[test]
fn golden_step_matches_pytorch_on_wgpu() {
    if let Some(device) = common::wgpu_or_skip("golden_step_matches_pytorch_on_wgpu") {
        check_golden_step(device);
    }
}
