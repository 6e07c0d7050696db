//! A batch split into parts: the same sums as one pass, whatever the threads.

use super::*;
use crate::backend::{cpu_device, training_device};
use burn::tensor::Distribution;

/// A model on a seeded training device and a random batch of `genes` sequences with its noise.
fn batch(seed: u64, genes: usize) -> (Device, Vrnn, Tensor<3>, Tensor<3>) {
    let device = training_device(cpu_device(), seed);
    let model = VrnnConfig::new().init(&device);
    let normal = Distribution::Normal(0.0, 1.0);
    let x = Tensor::<3>::random([genes, 5, 1], normal, &device);
    let eps = Tensor::<3>::random([genes, 5, 64], normal, &device);
    (device, model, x, eps)
}

/// The parts' losses and gradients add up to those of the whole batch in one pass.
#[test]
fn a_batch_split_into_parts_has_the_batch_loss_and_gradients() {
    let (device, model, x, eps) = batch(4, 10);
    let w = Tensor::<3>::random([10, 5, 1], Distribution::Uniform(0.5, 2.0), &device);
    let run = |parts| {
        let (loss, grads) = batch_grads(
            &model,
            &device,
            x.clone(),
            eps.clone(),
            Some(w.clone()),
            0.1,
            parts,
            1,
        );
        let loss: Vec<f32> = loss.into_data().try_to_vec::<f32>().unwrap();
        (loss[0], model.grads_to_torch(&grads))
    };
    let (l1, g1) = run(1);
    let (l3, g3) = run(3);
    assert!((l1 - l3).abs() <= 1e-5 * l1.abs(), "loss {l1} vs {l3}");
    assert_eq!(g1.len(), g3.len(), "every parameter has a gradient");
    for (name, (_, a)) in &g1 {
        let (_, b) = &g3[name];
        let scale = a.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= 1e-4 * scale + 1e-7, "{name}: {x} vs {y}");
        }
    }
}

/// The parts' sums do not depend on how many threads compute them: bit for bit.
#[test]
fn threads_change_nothing_but_the_speed() {
    let (device, model, x, eps) = batch(5, 37);
    let run = |threads| {
        let (loss, grads) = batch_grads(
            &model,
            &device,
            x.clone(),
            eps.clone(),
            None,
            0.1,
            8,
            threads,
        );
        let loss: Vec<f32> = loss.into_data().try_to_vec::<f32>().unwrap();
        (loss[0].to_bits(), model.grads_to_torch(&grads))
    };
    let (l1, g1) = run(1);
    for threads in [2, 3, 8] {
        let (l, g) = run(threads);
        assert_eq!(l, l1, "loss on {threads} threads");
        for (name, (_, a)) in &g1 {
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(a), bits(&g[name].1), "{name} on {threads} threads");
        }
    }
}
