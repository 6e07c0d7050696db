//! The model's weights in PyTorch's layout (the reference's `state_dict` names, `Linear`
//! weights `[out, in]`): how the golden test loads PyTorch's weights, how sessions store a
//! model, and how checkpoints are read back from any device.

use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::{Device, Tensor};

use super::{LstmCell, Vrnn, VrnnConfig};

/// Named tensors in PyTorch's layout (`Linear` weights `[out, in]`), as `(shape, values)`:
/// the reference's `state_dict`, so weights can move between the two implementations.
pub type TorchTensors = std::collections::BTreeMap<String, (Vec<usize>, Vec<f32>)>;

pub(super) const LINEARS: [&str; 10] = [
    "enc1",
    "enc2",
    "enc_mean",
    "enc_logvar",
    "prior1",
    "prior2",
    "prior_mean",
    "prior_logvar",
    "dec1",
    "dec2",
];

fn torch_get<'a>(t: &'a TorchTensors, name: &str) -> Result<&'a (Vec<usize>, Vec<f32>), String> {
    t.get(name)
        .ok_or_else(|| format!("missing tensor \"{name}\""))
}

fn tensor_from<const D: usize>(
    t: &TorchTensors,
    name: &str,
    device: &Device,
) -> Result<Tensor<D>, String> {
    let (shape, values) = torch_get(t, name)?;
    if shape.len() != D || shape.iter().product::<usize>() != values.len() {
        return Err(format!(
            "tensor \"{name}\" has shape {shape:?}, expected rank {D}"
        ));
    }
    let shape: [usize; D] = shape.clone().try_into().expect("rank checked");
    Ok(Tensor::from_data(
        burn::tensor::TensorData::new(values.clone(), shape),
        device,
    ))
}

impl Vrnn {
    /// The model's linear layers with their PyTorch names.
    pub fn linears(&self) -> [(&'static str, &Linear); 10] {
        let l = [
            &self.enc1,
            &self.enc2,
            &self.enc_mean,
            &self.enc_logvar,
            &self.prior1,
            &self.prior2,
            &self.prior_mean,
            &self.prior_logvar,
            &self.dec1,
            &self.dec2,
        ];
        std::array::from_fn(|i| (LINEARS[i], l[i]))
    }

    /// Builds the model from a PyTorch `state_dict` of the reference.
    pub fn from_torch(t: &TorchTensors, device: &Device) -> Result<Vrnn, String> {
        let lin = |name: &str| -> Result<Linear, String> {
            let w: Tensor<2> = tensor_from(t, &format!("{name}.weight"), device)?;
            let b: Tensor<1> = tensor_from(t, &format!("{name}.bias"), device)?;
            Ok(Linear {
                weight: Param::from_tensor(w.transpose()),
                bias: Some(Param::from_tensor(b)),
            })
        };
        let lstm_w = |name: &str| -> Result<Param<Tensor<2>>, String> {
            Ok(Param::from_tensor(
                tensor_from::<2>(t, name, device)?.transpose(),
            ))
        };
        let lstm_b = |name: &str| -> Result<Param<Tensor<1>>, String> {
            Ok(Param::from_tensor(tensor_from::<1>(t, name, device)?))
        };
        Ok(Vrnn {
            enc1: lin("enc1")?,
            enc2: lin("enc2")?,
            enc_mean: lin("enc_mean")?,
            enc_logvar: lin("enc_logvar")?,
            prior1: lin("prior1")?,
            prior2: lin("prior2")?,
            prior_mean: lin("prior_mean")?,
            prior_logvar: lin("prior_logvar")?,
            lstm: LstmCell {
                weight_ih: lstm_w("lstm.weight_ih")?,
                weight_hh: lstm_w("lstm.weight_hh")?,
                bias_ih: lstm_b("lstm.bias_ih")?,
                bias_hh: lstm_b("lstm.bias_hh")?,
            },
            dec1: lin("dec1")?,
            dec2: lin("dec2")?,
            decoder_previous_h: false,
        })
    }

    /// Walks every parameter with its PyTorch name; `read` gets 2-D weights already transposed
    /// to PyTorch's layout.
    fn walk_torch(
        &self,
        mut read2: impl FnMut(&Param<Tensor<2>>) -> Option<Tensor<2>>,
        mut read1: impl FnMut(&Param<Tensor<1>>) -> Option<Tensor<1>>,
    ) -> TorchTensors {
        let mut out = TorchTensors::new();
        let mut put2 = |name: String, p: &Param<Tensor<2>>, out: &mut TorchTensors| {
            if let Some(t) = read2(p) {
                out.insert(name, host(t.transpose()));
            }
        };
        for (name, l) in self.linears() {
            put2(format!("{name}.weight"), &l.weight, &mut out);
        }
        put2("lstm.weight_ih".into(), &self.lstm.weight_ih, &mut out);
        put2("lstm.weight_hh".into(), &self.lstm.weight_hh, &mut out);
        let mut put1 = |name: String, p: &Param<Tensor<1>>, out: &mut TorchTensors| {
            if let Some(t) = read1(p) {
                out.insert(name, host(t));
            }
        };
        for (name, l) in self.linears() {
            if let Some(b) = &l.bias {
                put1(format!("{name}.bias"), b, &mut out);
            }
        }
        put1("lstm.bias_ih".into(), &self.lstm.bias_ih, &mut out);
        put1("lstm.bias_hh".into(), &self.lstm.bias_hh, &mut out);
        out
    }

    /// Every parameter with its PyTorch name and shape, flattened, without reading it back.
    fn flat_parameters(&self) -> Vec<(String, Vec<usize>, Tensor<1>)> {
        let mut out = Vec::new();
        let mut put2 = |name: String, p: &Param<Tensor<2>>| {
            let t = p.val().transpose();
            let dims = t.dims().to_vec();
            out.push((name, dims.clone(), t.reshape([dims[0] * dims[1]])));
        };
        for (name, l) in self.linears() {
            put2(format!("{name}.weight"), &l.weight);
        }
        put2("lstm.weight_ih".into(), &self.lstm.weight_ih);
        put2("lstm.weight_hh".into(), &self.lstm.weight_hh);
        let mut put1 = |name: String, p: &Param<Tensor<1>>| {
            let t = p.val();
            out.push((name, t.dims().to_vec(), t));
        };
        for (name, l) in self.linears() {
            if let Some(b) = &l.bias {
                put1(format!("{name}.bias"), b);
            }
        }
        put1("lstm.bias_ih".into(), &self.lstm.bias_ih);
        put1("lstm.bias_hh".into(), &self.lstm.bias_hh);
        out
    }

    /// The weights as the reference's `state_dict`, read back in one asynchronous read (a
    /// blocking read panics on WebGPU), for checkpoints and session files.
    pub async fn weights(&self) -> TorchTensors {
        let params = self.flat_parameters();
        let all = Tensor::cat(params.iter().map(|p| p.2.clone()).collect(), 0);
        let values = read(all).await;
        let mut out = TorchTensors::new();
        let mut at = 0;
        for (name, shape, _) in params {
            let n: usize = shape.iter().product();
            let v = values
                .get(at..at + n)
                .map(<[f32]>::to_vec)
                .unwrap_or_default();
            at += n;
            out.insert(name, (shape, v));
        }
        out
    }

    /// A model of `config`'s sizes with the given weights; names a tensor that is missing or
    /// whose shape does not fit, so a file of another model is refused, not misread.
    pub fn from_weights(
        config: &VrnnConfig,
        weights: &TorchTensors,
        device: &Device,
    ) -> Result<Vrnn, String> {
        let fresh = config.init(device);
        for (name, shape, _) in fresh.flat_parameters() {
            let (have, values) = torch_get(weights, &name)?;
            if *have != shape || values.len() != shape.iter().product::<usize>() {
                return Err(format!(
                    "tensor \"{name}\" has shape {have:?}, this model needs {shape:?}"
                ));
            }
        }
        let mut model = Vrnn::from_torch(weights, device)?;
        model.decoder_previous_h = config.decoder_previous_h;
        Ok(model)
    }

    /// The weights as the reference's `state_dict`. Reads synchronously: native only.
    pub fn to_torch(&self) -> TorchTensors {
        self.walk_torch(|p| Some(p.val()), |p| Some(p.val()))
    }

    /// The gradients of every parameter, named and laid out as PyTorch's. Native only.
    pub fn grads_to_torch(&self, grads: &burn::optim::GradientsParams) -> TorchTensors {
        self.walk_torch(|p| grads.get::<2>(p.id), |p| grads.get::<1>(p.id))
    }
}

/// Reads a tensor's values to the host in one asynchronous read, the only read WebGPU allows;
/// empty when the read fails.
pub async fn read<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data_async()
        .await
        .map(|d| d.try_into_vec_as::<f32>().unwrap_or_default())
        .unwrap_or_default()
}

/// Reads a tensor to the host (synchronously, so never on the WebGPU path).
pub fn host<const D: usize>(t: Tensor<D>) -> (Vec<usize>, Vec<f32>) {
    let shape = t.dims().to_vec();
    let values = t.into_data().try_into_vec_as::<f32>().unwrap_or_default();
    (shape, values)
}
