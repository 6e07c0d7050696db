//! The analysis after training, on a real (briefly) trained model: one consistent result,
//! reproducible for a seed, and exports that agree with it.

use vrnn_engine::backend;
use vrnn_engine::export;
use vrnn_engine::latent::LatentSummary;
use vrnn_engine::preset::{self, Preset};
use vrnn_engine::{
    analyse, read_table, Analysis, AnalysisConfig, IngestOptions, TrainConfig, Trainer,
};

/// 40 genes in 4 shapes × 10 amplitudes, times 0, 3, 6, 12, 24, 3 cells each.
fn dataset() -> vrnn_engine::Dataset {
    let times = [0.0f64, 3.0, 6.0, 12.0, 24.0];
    let mut s = String::from("Cell_ID,Time");
    for g in 0..40 {
        s.push_str(&format!(",G{g}"));
    }
    s.push('\n');
    for (i, &t) in times.iter().enumerate() {
        for c in 0..3 {
            s.push_str(&format!("c{i}_{c},{t}"));
            for g in 0..40 {
                let amp = 1.0 + (g / 4) as f64 * 0.3;
                let shape = match g % 4 {
                    0 => (-(t - 3.0).powi(2) / 8.0).exp(),
                    1 => t / 24.0,
                    2 => 1.0 - t / 24.0,
                    _ => 0.5,
                };
                s.push_str(&format!(",{:.4}", amp * shape + 0.01 * c as f64));
            }
            s.push('\n');
        }
    }
    read_table(s.as_bytes(), &IngestOptions::default()).unwrap()
}

/// burn's seed is process-wide, so runs that must be reproducible do not overlap.
static SEEDED: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run(kind: LatentSummary, seed: u64) -> Analysis {
    let _one_at_a_time = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    let d = dataset();
    let device = backend::training_device(backend::cpu_device(), seed);
    let mut trainer = Trainer::new(
        TrainConfig::new().with_epochs(3).with_seed(seed),
        &d.means,
        d.n_genes(),
        d.n_times(),
        &device,
    );
    while !trainer.is_done() {
        pollster::block_on(trainer.epoch());
    }
    let (model, device) = trainer.inference_model();
    let config = AnalysisConfig::seeded(seed).with_k(4).with_latent(kind);
    let inputs = preset::prepare(&d, Preset::Reference);
    let mut steps = Vec::new();
    let a = pollster::block_on(analyse(
        &model,
        &device,
        &d,
        &inputs,
        config,
        &|| 0.0,
        |p| {
            steps.push(p.fraction);
            std::future::ready(true)
        },
    ))
    .unwrap();
    assert!(
        steps.windows(2).all(|w| w[1] >= w[0]),
        "progress only grows"
    );
    a
}

#[test]
fn one_reproducible_result_that_every_export_agrees_with() {
    let a = run(LatentSummary::PosteriorMean, 3);
    assert_eq!(a.latents.dim, 64);
    assert_eq!(a.latents.values.len(), 40 * 64);
    assert_eq!(a.latents.recon.len(), 40 * 5);
    assert!(a.latents.values.iter().all(|v| v.is_finite()));
    assert_eq!(a.clustering.k, 4);
    assert_eq!(a.memberships.len(), 40 * 4);
    assert_eq!(a.umap.len(), 40);
    assert_eq!(
        a.k_choice.iter().map(|c| c.k).collect::<Vec<_>>(),
        (2..=12).collect::<Vec<_>>()
    );
    for (c, shown) in a.shown.iter().enumerate() {
        assert_eq!(shown.len(), a.clustering.sizes()[c].min(10));
        assert!(shown.iter().all(|&g| a.clustering.labels[g] == c));
    }

    // The same seed gives the same analysis, bit for bit.
    assert_eq!(run(LatentSummary::PosteriorMean, 3), a);

    // Exports read the one clustering: clusters.csv, gene lists, GMT and memberships agree.
    let clusters = export::clusters_csv(&a);
    let rows: Vec<(String, usize)> = clusters
        .lines()
        .skip(1)
        .map(|l| {
            let (g, c) = l.split_once(',').unwrap();
            (g.to_string(), c.parse().unwrap())
        })
        .collect();
    assert_eq!(rows.len(), 40);
    for c in 1..=4 {
        let list = export::analysis_file(&a, &format!("cluster_{c}.txt")).unwrap();
        let expected: Vec<&str> = rows
            .iter()
            .filter(|r| r.1 == c)
            .map(|r| r.0.as_str())
            .collect();
        assert_eq!(list.contents.lines().collect::<Vec<_>>(), expected);
    }
    assert!(export::analysis_file(&a, "cluster_5.txt").is_none());
    let memberships = export::memberships_csv(&a);
    for (line, (_, c)) in memberships.lines().skip(1).zip(&rows) {
        let f: Vec<f64> = line
            .split(',')
            .skip(2)
            .map(|v| v.parse().unwrap())
            .collect();
        let best = f
            .iter()
            .enumerate()
            .max_by(|x, y| x.1.total_cmp(y.1))
            .unwrap()
            .0;
        assert_eq!(best + 1, *c, "{line}: strongest membership is its cluster");
    }
    for name in export::analysis_file_names(&a) {
        assert!(export::analysis_file(&a, &name).is_some(), "{name}");
    }
}

#[test]
fn posterior_mean_is_deterministic_and_sampled_z_is_seeded() {
    let mean = run(LatentSummary::PosteriorMean, 5);
    let sampled = run(LatentSummary::SampledZ, 5);
    assert_ne!(mean.latents.values, sampled.latents.values);
    assert_eq!(run(LatentSummary::SampledZ, 5).latents, sampled.latents);
}

#[test]
fn a_session_file_brings_the_analysis_back_and_refuses_other_files() {
    use vrnn_engine::session::{self, Session, SessionError};
    let a = run(LatentSummary::PosteriorMean, 5);
    let d = dataset();
    // Initialising a model draws from burn's process-wide generator: not while another test
    // between seeding and initialising.
    let weights = {
        let _one_at_a_time = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
        vrnn_engine::VrnnConfig::new()
            .init(&backend::cpu_device())
            .to_torch()
    };
    let s = Session {
        version: session::VERSION,
        source: "cells.csv".into(),
        cell_type: Some("T".into()),
        settings: settings(3),
        weights,
        run: export::RunInfo {
            input: "cells.csv".into(),
            preset: "reference".into(),
            backend: "CPU".into(),
            config: TrainConfig::new().with_epochs(3),
            dataset: export::DatasetInfo::of(&d, Some("T")),
            n_train_genes: 32,
            n_test_genes: 8,
            timings: export::Timings {
                ingest_s: 0.1,
                train_s: 1.5,
                seconds_per_epoch: 0.5,
            },
            analysis: Some(export::AnalysisInfo::of(&a)),
            version: "test".into(),
        },
        dataset: d,
        history: vec![vrnn_engine::EpochLosses {
            epoch: 1,
            train: 2.5,
            test: 2.75,
        }],
        analysis: Some(a),
    };
    let bytes = s.to_bytes();
    assert!(session::is_session(&bytes));
    let back = Session::from_bytes(&bytes).unwrap();
    assert_eq!(
        back.analysis, s.analysis,
        "every number survives the round trip"
    );
    assert_eq!(back.dataset, s.dataset);
    assert_eq!(back.history, s.history);
    assert_eq!(back.weights, s.weights, "weights are exact");
    assert_eq!(back.settings, s.settings);
    assert_eq!(
        serde_json::to_value(&back.run).unwrap(),
        serde_json::to_value(&s.run).unwrap()
    );
    let (a, b) = (
        s.analysis.as_ref().unwrap(),
        back.analysis.as_ref().unwrap(),
    );
    for name in export::analysis_file_names(a) {
        assert_eq!(
            export::analysis_file(b, &name),
            export::analysis_file(a, &name),
            "{name}"
        );
    }
    // Not a session, a newer one, a damaged one: each says so.
    assert_eq!(
        Session::from_bytes(b"Cell,Time\n").unwrap_err(),
        SessionError::NotASession
    );
    let mut newer = session::MAGIC.to_vec();
    {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(&mut newer, flate2::Compression::fast());
        gz.write_all(br#"{"version": 99}"#).unwrap();
        gz.finish().unwrap();
    }
    let e = Session::from_bytes(&newer).unwrap_err();
    assert_eq!(e, SessionError::Newer(99));
    assert!(e.to_string().contains("newer version of the app"), "{e}");
    let cut = &bytes[..bytes.len() / 2];
    assert!(matches!(
        Session::from_bytes(cut),
        Err(SessionError::Damaged(_))
    ));
}

fn settings(epochs: usize) -> vrnn_protocol::TrainSettings {
    vrnn_protocol::TrainSettings {
        epochs,
        seed: 5,
        compute: Default::default(),
        k: 4,
        preset: Preset::Reference,
        latent: None,
        genes: None,
        keep: vec![],
        batch_size: None,
    }
}

/// A checkpoint taken after 3 epochs goes on to 5 from exactly its weights, without the CSV; a
/// file with weights of another model size is refused with the tensor named.
#[test]
fn a_checkpoint_resumes_training_from_its_weights() {
    use vrnn_engine::session::Session;
    let _one_at_a_time = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    let d = dataset();
    let config = TrainConfig::new().with_epochs(5).with_seed(5);
    let device = backend::training_device(backend::cpu_device(), 5);
    let mut trainer = Trainer::new(config.clone(), &d.means, 40, 5, &device);
    let mut history = Vec::new();
    for _ in 0..3 {
        history.push(pollster::block_on(trainer.epoch()));
    }
    let weights = pollster::block_on(trainer.model().weights());
    assert_eq!(
        weights,
        trainer.model().to_torch(),
        "async read = sync read"
    );
    let mut s = Session {
        version: vrnn_engine::session::VERSION,
        source: "cells.csv".into(),
        cell_type: None,
        dataset: d.clone(),
        settings: settings(5),
        run: export::RunInfo {
            input: "cells.csv".into(),
            preset: "reference".into(),
            backend: "CPU".into(),
            config,
            dataset: export::DatasetInfo::of(&d, None),
            n_train_genes: trainer.n_train(),
            n_test_genes: trainer.n_test(),
            timings: export::Timings {
                ingest_s: 0.0,
                train_s: 0.0,
                seconds_per_epoch: 0.0,
            },
            analysis: None,
            version: "test".into(),
        },
        history: history.clone(),
        weights,
        analysis: None,
    };
    let back = Session::from_bytes(&s.to_bytes_fast()).unwrap();
    assert!(back.is_checkpoint());
    let (mut resumed, _) = back.resume(5, &device).unwrap();
    assert_eq!(resumed.epochs_done(), 3);
    assert_eq!(resumed.n_train(), trainer.n_train(), "same split");
    assert_eq!(resumed.model().to_torch(), s.weights, "same weights");
    let e4 = pollster::block_on(resumed.epoch());
    assert_eq!(e4.epoch, 4);
    assert!(e4.train.is_finite() && e4.test.is_finite(), "{e4:?}");
    pollster::block_on(resumed.epoch());
    assert!(resumed.is_done());
    assert_ne!(resumed.model().to_torch(), s.weights, "it trained on");
    // Resuming is reproducible: the same checkpoint gives the same epochs.
    let (mut again, _) = back.resume(5, &device).unwrap();
    assert_eq!(pollster::block_on(again.epoch()), e4);

    let w = s.weights.get_mut("enc1.weight").unwrap();
    w.0 = vec![1, w.1.len()];
    let e = s.resume(5, &device).err().unwrap();
    assert!(e.contains("enc1.weight"), "{e}");
}

/// Splitting each batch over threads (`TrainConfig::threads`) trains the same model as one
/// pass, up to rounding: the same initial weights and the same noise. (That the gradients add
/// up to the batch's is `train`'s unit test; Adam hides a gradient's scale, so weights after a
/// few steps are a weak check of it.)
#[test]
fn training_split_over_threads_matches_one_pass() {
    let _one_at_a_time = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    let d = dataset();
    let run = |threads| {
        let config = TrainConfig::new()
            .with_epochs(3)
            .with_seed(9)
            .with_batch_size(16)
            .with_threads(threads);
        let device = backend::training_device(backend::cpu_device(), 9);
        let mut trainer = Trainer::new(config, &d.means, 40, 5, &device);
        let history: Vec<_> = (0..3)
            .map(|_| pollster::block_on(trainer.epoch()))
            .collect();
        (history, trainer.model().to_torch())
    };
    let (h1, w1) = run(1);
    let (h3, w3) = run(3);
    for (a, b) in h1.iter().zip(&h3) {
        assert!((a.train - b.train).abs() < 1e-4, "{a:?} vs {b:?}");
        assert!((a.test - b.test).abs() < 1e-4, "{a:?} vs {b:?}");
    }
    for (name, (_, v1)) in &w1 {
        let (_, v3) = &w3[name];
        for (x, y) in v1.iter().zip(v3) {
            assert!((x - y).abs() < 1e-3, "{name}: {x} vs {y}");
        }
    }
}
