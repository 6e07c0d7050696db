//! The kernels against burn's own operations and their gradients.

use super::*;
use burn::tensor::activation::sigmoid;
use burn::tensor::Distribution;

#[test]
fn exp_f32_is_within_two_ulp_of_libm() {
    let mut worst = 0.0f32;
    let mut x = -87.0f32;
    while x <= 88.0 {
        let (got, want) = (exp_f32(x), x.exp());
        worst = worst.max(((got - want) / want).abs());
        x += 0.001_37;
    }
    assert!(worst < 2.5e-7, "worst relative error {worst}");
    assert_eq!(exp_f32(0.0), 1.0);
    assert!(exp_f32(-1000.0) >= 0.0 && exp_f32(-1000.0) < 1e-37);
    assert!(exp_f32(1000.0).is_finite());
}

fn reference_lstm(gates: Tensor<2>, state: Tensor<2>, hidden: usize) -> Tensor<2> {
    let mut g = gates.split(hidden, 1).into_iter();
    let (i, f, gg, o) = (
        sigmoid(g.next().unwrap()),
        sigmoid(g.next().unwrap()),
        g.next().unwrap().tanh(),
        sigmoid(g.next().unwrap()),
    );
    let c_prev = state.narrow(1, hidden, hidden);
    let c = f * c_prev + i * gg;
    let h = o * c.clone().tanh();
    Tensor::cat(vec![h, c], 1)
}

fn assert_close(a: Tensor<2>, b: Tensor<2>, tol: f32) {
    let a: Vec<f32> = a.into_data().try_to_vec::<f32>().unwrap();
    let b: Vec<f32> = b.into_data().try_to_vec::<f32>().unwrap();
    assert_eq!(a.len(), b.len());
    for (k, (x, y)) in a.iter().zip(&b).enumerate() {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "element {k}: {x} vs {y}"
        );
    }
}

/// The fused cell and its gradients against burn's own operations, on a state that is a
/// strided view (as it is in the model, where `h` is narrowed out of it).
#[test]
fn lstm_pointwise_matches_burn_ops_and_their_gradients() {
    let device = Device::flex().autodiff();
    device.seed(7);
    let (batch, hidden) = (5, 3);
    let u = Distribution::Uniform(-3.0, 3.0);
    let gates = Tensor::<2>::random([batch, 4 * hidden], u, &device).require_grad();
    let wide = Tensor::<2>::random([batch, 3 * hidden], u, &device).require_grad();
    let weights = Tensor::<2>::random([batch, 2 * hidden], u, &device);

    let run = |fused: bool| {
        let state = wide.clone().narrow(1, hidden, 2 * hidden);
        let out = if fused {
            lstm_pointwise(gates.clone(), state)
        } else {
            reference_lstm(gates.clone(), state, hidden)
        };
        let grads = (out.clone() * weights.clone()).sum().backward();
        (
            out.inner(),
            gates.grad(&grads).unwrap(),
            wide.grad(&grads).unwrap(),
        )
    };
    let (out, dg, dw) = run(true);
    let (out_ref, dg_ref, dw_ref) = run(false);
    assert_close(out, out_ref, 1e-6);
    assert_close(dg, dg_ref, 1e-6);
    assert_close(dw, dw_ref, 1e-6);
}

#[test]
fn kl_sum_matches_burn_ops_and_their_gradients() {
    let device = Device::flex().autodiff();
    device.seed(11);
    let u = Distribution::Uniform(-2.0, 2.0);
    let inputs: Vec<Tensor<3>> = (0..4)
        .map(|_| Tensor::<3>::random([3, 5, 70], u, &device).require_grad())
        .collect();
    let run = |fused: bool| {
        let [mq, lvq, mp, lvp] = [0, 1, 2, 3].map(|k| inputs[k].clone());
        let kl = if fused {
            kl_sum(mq, lvq, mp, lvp)
        } else {
            ((lvp.clone() - lvq.clone()).mul_scalar(0.5)
                + (lvq.exp() + (mq - mp).powi_scalar(2)) / lvp.exp().mul_scalar(2.0)
                - 0.5)
                .sum()
        };
        let grads = kl.clone().mul_scalar(0.7).backward();
        let g: Vec<Tensor<2>> = inputs
            .iter()
            .map(|t| t.grad(&grads).unwrap().reshape([15, 70]))
            .collect();
        (kl.inner().reshape([1, 1]), g)
    };
    let (kl, g) = run(true);
    let (kl_ref, g_ref) = run(false);
    assert_close(kl, kl_ref, 1e-5);
    for (a, b) in g.into_iter().zip(g_ref) {
        assert_close(a, b, 1e-5);
    }
}

/// `x W + b` and its three gradients against burn's own product, with `x` a narrowed view
/// (as `h` is in the model) and a transposed one, at the model's sizes and at odd ones.
#[test]
fn linear_matches_burn_ops_and_their_gradients() {
    let device = Device::flex().autodiff();
    device.seed(5);
    let u = Distribution::Uniform(-1.0, 1.0);
    for (batch, inputs, out) in [(400, 33, 64), (7, 5, 13), (9, 65, 128), (6, 64, 1)] {
        let wide = Tensor::<2>::random([batch, inputs + 3], u, &device).require_grad();
        let tall = Tensor::<2>::random([inputs, batch], u, &device).require_grad();
        let weight = Tensor::<2>::random([inputs, out], u, &device).require_grad();
        let bias = Tensor::<1>::random([out], u, &device).require_grad();
        let mix = Tensor::<2>::random([batch, out], u, &device);
        for transposed in [false, true] {
            let run = |fused: bool| {
                let x = if transposed {
                    tall.clone().transpose()
                } else {
                    wide.clone().narrow(1, 2, inputs)
                };
                let y = if fused {
                    linear(x, weight.clone(), bias.clone())
                } else {
                    x.matmul(weight.clone()) + bias.clone().unsqueeze::<2>()
                };
                let grads = (y.clone() * mix.clone()).sum().backward();
                let dx = if transposed {
                    tall.grad(&grads).unwrap().transpose()
                } else {
                    wide.grad(&grads).unwrap()
                };
                (
                    y.inner(),
                    dx,
                    weight.grad(&grads).unwrap(),
                    bias.grad(&grads).unwrap().reshape([1, out]),
                )
            };
            let (y, dx, dw, db) = run(true);
            let (y_ref, dx_ref, dw_ref, db_ref) = run(false);
            assert_close(y, y_ref, 1e-5);
            assert_close(dx, dx_ref, 1e-5);
            assert_close(dw, dw_ref, 1e-4);
            assert_close(db, db_ref, 1e-4);
        }
    }
    // Without autodiff too.
    let plain = Device::flex();
    let x = Tensor::<2>::random([5, 3], u, &plain);
    let w = Tensor::<2>::random([3, 9], u, &plain);
    let b = Tensor::<1>::random([9], u, &plain);
    let want = x.clone().matmul(w.clone()) + b.clone().unsqueeze::<2>();
    assert_close(linear(x, w, b), want, 1e-6);
}

#[test]
fn exp_matches_burn_and_its_gradient() {
    let device = Device::flex().autodiff();
    device.seed(3);
    let x = Tensor::<2>::random([4, 6], Distribution::Uniform(-5.0, 5.0), &device).require_grad();
    let w = Tensor::<2>::random([4, 6], Distribution::Uniform(-1.0, 1.0), &device);
    let run = |fused: bool| {
        let y = if fused {
            exp(x.clone())
        } else {
            x.clone().exp()
        };
        let grads = (y.clone() * w.clone()).sum().backward();
        (y.inner(), x.grad(&grads).unwrap())
    };
    let (y, g) = run(true);
    let (y_ref, g_ref) = run(false);
    assert_close(y, y_ref, 1e-6);
    assert_close(g, g_ref, 1e-6);
    // Without autodiff too.
    let plain =
        Tensor::<2>::from_data(TensorData::new(vec![0.5f32, -2.0], [1, 2]), &Device::flex());
    assert_close(exp(plain.clone()), plain.exp(), 1e-6);
}
