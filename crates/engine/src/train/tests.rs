//! A batch split into parts: the same sums as one pass, whatever the threads.

use super::*;
use crate::backend::{cpu_device, training_device};
use crate::parts::PartModel;
use burn::tensor::Distribution;
use rand::SeedableRng;

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
        (loss[0], grads.into_data().try_to_vec::<f32>().unwrap())
    };
    let (l1, g1) = run(1);
    let (l3, g3) = run(3);
    assert!((l1 - l3).abs() <= 1e-5 * l1.abs(), "loss {l1} vs {l3}");
    assert_eq!(
        g1.len(),
        model.flat_len(),
        "every parameter has its gradients"
    );
    assert_eq!(g1.len(), g3.len());
    assert!(
        g1.iter().any(|&g| g != 0.0),
        "the gradients are not all zero"
    );
    let scale = g1.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    for (i, (x, y)) in g1.iter().zip(&g3).enumerate() {
        assert!(
            (x - y).abs() <= 1e-4 * scale + 1e-7,
            "gradient {i}: {x} vs {y}"
        );
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
        let grads: Vec<f32> = grads.into_data().try_to_vec::<f32>().unwrap();
        let bits: Vec<u32> = grads.iter().map(|x| x.to_bits()).collect();
        (loss[0].to_bits(), bits)
    };
    let (l1, g1) = run(1);
    for threads in [2, 3, 8] {
        let (l, g) = run(threads);
        assert_eq!(l, l1, "loss on {threads} threads");
        assert_eq!(g, g1, "gradients on {threads} threads");
    }
}

/// A trainer over `genes` random sequences of 6 time points, with inverse variances.
fn trainer(genes: usize, parts: usize) -> Trainer {
    let device = training_device(cpu_device(), 9);
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let means: Vec<f32> = (0..genes * 6)
        .map(|_| rand_distr::Distribution::<f32>::sample(&StandardNormal, &mut rng))
        .collect();
    let w: Vec<f32> = (0..genes * 6).map(|i| 0.5 + (i % 7) as f32 / 4.0).collect();
    let config = TrainConfig::new()
        .with_epochs(2)
        .with_batch_size(23)
        .with_parts(parts)
        .with_seed(11);
    Trainer::new(config, &means, genes, 6, &device).with_inverse_variance(&w)
}

/// The bits of a trainer's weights after its epochs, and its losses.
fn outcome(t: &Trainer, losses: &[EpochLosses]) -> (Vec<u32>, Vec<(u64, u64)>) {
    let weights = pollster::block_on(t.model().flat_weights());
    (
        weights.iter().map(|v| v.to_bits()).collect(),
        losses
            .iter()
            .map(|e| (e.train.to_bits(), e.test.to_bits()))
            .collect(),
    )
}

/// Batches handed out in parts, computed by helpers (here: each part on its own freshly made
/// model, as a helper in another worker would, in any order) give the same bits whoever
/// computes them and in whatever order they come back: the browser's pool of 1, 2 or 4
/// helpers trains the same model.
#[test]
fn parts_computed_by_helpers_in_any_order_train_the_same_model() {
    let helpers = |order: fn(usize) -> Vec<usize>| {
        let mut t = trainer(50, 4);
        let mut losses = Vec::new();
        // Each part on a freshly made helper model, in `order`.
        let compute = |t: &Trainer, batch: &PartsBatch| -> Vec<PartOutput> {
            let mut outputs = Vec::new();
            for i in order(batch.parts.len()) {
                let device = cpu_device();
                device.seed(1);
                let mut helper = PartModel::new(t.config.model.clone(), device.autodiff());
                helper.set_weights(7, &batch.weights).unwrap();
                let mut part = batch.parts[i].clone();
                part.header.step = 7;
                outputs.push(pollster::block_on(helper.compute(&part)).unwrap());
            }
            outputs
        };
        while !t.is_done() {
            let batch = pollster::block_on(t.next_parts());
            let outputs = compute(&t, &batch);
            if t.apply_parts(&batch, outputs).unwrap() {
                // The test genes' loss in parts too.
                let test = pollster::block_on(t.test_parts());
                assert!(test.parts.iter().all(|p| p.header.test));
                let outputs = compute(&t, &test);
                losses.push(pollster::block_on(t.close_epoch(&test, outputs)).unwrap());
            }
        }
        outcome(&t, &losses)
    };
    let in_order = helpers(|n| (0..n).collect());
    let reversed = helpers(|n| (0..n).rev().collect());
    let odd_first = helpers(|n| {
        (0..n)
            .filter(|i| i % 2 == 1)
            .chain((0..n).step_by(2))
            .collect()
    });
    assert_eq!(in_order.1.len(), 2, "two epochs");
    assert_eq!(in_order, reversed);
    assert_eq!(in_order, odd_first);

    // The worker's own fallback (`parts_here`) is the same computation.
    let mut t = trainer(50, 4);
    let mut losses = Vec::new();
    while !t.is_done() {
        let batch = pollster::block_on(t.next_parts());
        let outputs = pollster::block_on(t.parts_here(&batch)).unwrap();
        if t.apply_parts(&batch, outputs).unwrap() {
            let test = pollster::block_on(t.test_parts());
            let outputs = pollster::block_on(t.parts_here(&test)).unwrap();
            losses.push(pollster::block_on(t.close_epoch(&test, outputs)).unwrap());
        }
    }
    assert_eq!(
        outcome(&t, &losses),
        in_order,
        "parts computed by the worker itself"
    );

    // The next batch made ahead while a batch's parts are out (the browser's worker does
    // that while its helpers compute): the generator's draws keep their order, so nothing
    // changes, asked once, twice or (at an epoch's last batch) when there is none to make.
    let mut t = trainer(50, 4);
    assert!(
        t.batches_per_epoch() >= 2,
        "an epoch of more than one batch"
    );
    let mut losses = Vec::new();
    let mut made_ahead = 0;
    while !t.is_done() {
        let batch = pollster::block_on(t.next_parts());
        t.make_ahead();
        made_ahead += usize::from(t.ahead.is_some());
        t.make_ahead();
        let outputs = pollster::block_on(t.parts_here(&batch)).unwrap();
        if t.apply_parts(&batch, outputs).unwrap() {
            assert!(t.ahead.is_none(), "never ahead across the epoch's end");
            let test = pollster::block_on(t.test_parts());
            t.make_ahead();
            assert!(t.ahead.is_none(), "nor while the test genes are out");
            let outputs = pollster::block_on(t.parts_here(&test)).unwrap();
            losses.push(pollster::block_on(t.close_epoch(&test, outputs)).unwrap());
        }
    }
    assert_eq!(
        made_ahead,
        2 * (t.batches_per_epoch() - 1),
        "all but each epoch's last"
    );
    assert_eq!(outcome(&t, &losses), in_order, "batches made ahead");

    // And natively the trainer's own batches (the CLI's) are the same parts, computed by hand
    // on its threads: the same bits on one thread or three.
    for threads in [1, 3] {
        let mut t = trainer(50, 4);
        t.set_threads(threads);
        let mut local = Vec::new();
        while !t.is_done() {
            if t.train_batch() {
                local.push(pollster::block_on(t.finish_epoch()));
            }
        }
        assert_eq!(
            outcome(&t, &local),
            in_order,
            "batches trained natively on {threads} threads"
        );
    }
}

/// Results that do not fit the batch are refused and change nothing.
#[test]
fn parts_that_do_not_fit_are_refused() {
    let mut t = trainer(50, 4);
    let batch = pollster::block_on(t.next_parts());
    assert_eq!(batch.parts.len(), 4);
    let before = pollster::block_on(t.model().flat_weights());
    let mut outputs = pollster::block_on(t.parts_here(&batch)).unwrap();
    outputs.pop();
    assert!(
        t.apply_parts(&batch, outputs.clone()).is_err(),
        "a part missing"
    );
    outputs.push(PartOutput {
        index: 3,
        loss: 0.0,
        grads: vec![0.0; 5],
    });
    let err = t.apply_parts(&batch, outputs).unwrap_err();
    assert!(err.contains("5 gradients"), "{err}");
    assert_eq!(pollster::block_on(t.model().flat_weights()), before);

    // The test genes' parts: one missing, and the epoch stays open.
    let test = pollster::block_on(t.test_parts());
    assert!(!test.parts.is_empty());
    let mut outputs = pollster::block_on(t.parts_here(&test)).unwrap();
    assert!(outputs.iter().all(|o| o.grads.is_empty()), "a loss only");
    outputs.pop();
    assert!(pollster::block_on(t.close_epoch(&test, outputs)).is_err());
    assert_eq!(t.epochs_done(), 0);
}

/// Parts leave the trainer a plain model (burn's autodiff graph, which only a backward pass
/// prunes, must not grow by every parameter at every step), and the tracked model made from it
/// again has every parameter's gradients: those of a model built from the same weights.
#[test]
fn parts_keep_a_plain_model_that_burn_can_still_train() {
    let mut t = trainer(50, 4);
    assert!(t.model().is_tracked(), "a new trainer's model is burn's");
    let batch = pollster::block_on(t.next_parts());
    let outputs = pollster::block_on(t.parts_here(&batch)).unwrap();
    t.apply_parts(&batch, outputs).unwrap();
    assert!(!t.model().is_tracked(), "after parts, a plain model");
    let weights = pollster::block_on(t.model().flat_weights());
    let tracked = t.tracked_model();
    assert!(tracked.is_tracked());
    let fresh = t
        .config
        .model
        .init(&t.device)
        .with_flat_weights(&weights, &t.device)
        .unwrap();
    let normal = Distribution::Normal(0.0, 1.0);
    let x = Tensor::<3>::random([9, 6, 1], normal, &t.device);
    let eps = Tensor::<3>::random([9, 6, t.config.model.z_dim], normal, &t.device);
    let grads = |m: &Vrnn| {
        let (_, g) = batch_grads(m, &t.device, x.clone(), eps.clone(), None, 0.1, 2, 1);
        g.into_data().try_to_vec::<f32>().unwrap()
    };
    let (a, b) = (grads(&tracked), grads(&fresh));
    assert_eq!(a, b);
    assert_eq!(a.len(), tracked.flat_len());
    /// Each parameter's number of values, in the flat buffers' order.
    struct Sizes(Vec<usize>);
    impl burn::module::ModuleVisitor for Sizes {
        fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<D>>) {
            self.0.push(param.val().shape().num_elements());
        }
    }
    let mut sizes = Sizes(Vec::new());
    tracked.visit(&mut sizes);
    let mut at = 0;
    for n in sizes.0 {
        assert!(
            a[at..at + n].iter().any(|&g| g != 0.0),
            "no gradient at {at}"
        );
        at += n;
    }
    assert_eq!(at, a.len());
}
