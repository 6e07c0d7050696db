//! The analysis after training, on a real (briefly) trained model: one consistent result,
//! reproducible for a seed, and exports that agree with it.

use vrnn_engine::backend;
use vrnn_engine::evaluate::adjusted_rand_index;
use vrnn_engine::export;
use vrnn_engine::latent::LatentSummary;
use vrnn_engine::preset::Preset;
use vrnn_engine::run::Quiet;
use vrnn_engine::session::{self, Session, SessionError};
use vrnn_engine::{
    read_table, Analysis, IngestOptions, Run, RunError, Source, TrainConfig, Trainer,
};
use vrnn_types::{files, Backend, GeneSelection, TrainSettings};

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

/// The settings of a short Reference run on [`dataset`], as a front would send them.
fn settings(epochs: usize, seed: u64) -> TrainSettings {
    TrainSettings {
        epochs,
        seed,
        k: 4,
        preset: Preset::Reference,
        selection: Preset::Reference.default_selection(),
        keep: vec![],
        ..TrainSettings::default()
    }
}

/// A run of the one pipeline on the CPU backend (burn's seed is process-wide: hold [`SEEDED`]).
fn new_run(settings: TrainSettings) -> Run {
    let source = Source {
        name: "cells.csv".into(),
        cell_type: None,
        ingest_s: 0.1,
        ..Source::default()
    };
    let (run, _) = Run::new(
        &dataset(),
        source,
        settings,
        backend::cpu_device(),
        Backend::Cpu,
        || 0.0,
    )
    .unwrap();
    run
}

fn run(kind: LatentSummary, seed: u64) -> Analysis {
    let _one_at_a_time = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    let mut r = new_run(TrainSettings {
        latent: Some(kind),
        ..settings(3, seed)
    });
    pollster::block_on(r.train(&mut Quiet));
    let mut steps = Vec::new();
    let a = pollster::block_on(r.analyse(|p| {
        steps.push(p.fraction);
        std::future::ready(true)
    }))
    .unwrap()
    .clone();
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
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[1].parse().unwrap())
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
    // The files offered for download, written out: cluster_N.txt for each of the k clusters.
    let names = export::analysis_file_names(&a);
    assert_eq!(
        names,
        [
            "clusters.csv",
            "memberships.csv",
            "clusters.gmt",
            "clusters_core.gmt",
            "stability.csv",
            "latents.csv",
            "umap.csv",
            "means.csv",
            "reconstruction.csv",
            "cluster_1.txt",
            "cluster_2.txt",
            "cluster_3.txt",
            "cluster_4.txt",
        ]
    );
    for name in &names {
        let file = export::analysis_file(&a, name).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(&file.name, name);
        assert!(!file.contents.is_empty(), "{name} is empty");
    }
    for other in [
        "cluster_0.txt",
        "cluster_x.txt",
        "clusters.txt",
        "similar_genes.csv",
    ] {
        assert!(export::analysis_file(&a, other).is_none(), "{other}");
    }
}

/// The Dynamics preset, as the app runs it, puts each planted shape's ten genes (ten
/// amplitudes, 1.0 to 3.7) in a cluster of their own: it clusters by shape, not level.
/// Measured: adjusted Rand index 1.000 here (seed 3, 150 epochs), and 1.000 for seeds 1–5 at
/// 20, 50 and 150 epochs with the earlier generator, even untrained (the z-scored shapes are
/// far apart); one gene in the wrong cluster would give 0.93, two 0.87, two shapes merged 0.70.
/// The Reference preset, with the same seed and epochs, clusters these genes by level: 0.03.
#[test]
fn dynamics_clusters_recover_the_planted_shapes() {
    let a = {
        let _one_at_a_time = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
        let mut r = new_run(TrainSettings {
            preset: Preset::Dynamics,
            // Every gene, the flat shape's too: their recovery is what is checked.
            selection: GeneSelection::Variance,
            ..settings(Preset::Dynamics.default_epochs(), 3)
        });
        pollster::block_on(r.train(&mut Quiet));
        pollster::block_on(r.analyse(|_| std::future::ready(true)))
            .unwrap()
            .clone()
    };
    // By name, whatever order the gene selection left them in: gene Gg has shape g % 4.
    let planted: Vec<usize> = a
        .genes
        .iter()
        .map(|name| name[1..].parse::<usize>().unwrap() % 4)
        .collect();
    assert_eq!(planted.len(), 40);
    let ari = adjusted_rand_index(&a.clustering.labels, &planted);
    assert!(
        ari > 0.9,
        "adjusted Rand index {ari} against the planted shapes (measured 1.000); clusters {:?}",
        a.clustering.labels
    );
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
    let s = {
        let _one_at_a_time = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
        let mut r = new_run(settings(3, 5));
        pollster::block_on(r.train(&mut Quiet));
        pollster::block_on(r.analyse(|_| std::future::ready(true))).unwrap();
        pollster::block_on(r.session())
    };
    assert_eq!(s.version, session::VERSION);
    assert_eq!(s.generator, vrnn_kernels::rng::GENERATOR);
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
    assert_eq!(back.source, s.source);
    assert_eq!(back.run_info().to_json(), s.run_info().to_json());
    for name in [files::LOSS_CSV, files::RUN_JSON]
        .into_iter()
        .map(String::from)
        .chain(export::analysis_file_names(s.analysis.as_ref().unwrap()))
    {
        assert_eq!(back.file(&name, &[]), s.file(&name, &[]), "{name}");
        assert!(s.file(&name, &[]).is_some(), "{name}");
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

/// A checkpoint taken after 3 epochs goes on to 5 from exactly its weights, without the CSV; a
/// file with weights of another model size is refused with the tensor named.
#[test]
fn a_checkpoint_resumes_training_from_its_weights() {
    let _one_at_a_time = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    let mut r = new_run(settings(3, 5));
    pollster::block_on(r.train(&mut Quiet));
    let weights = pollster::block_on(r.trainer.model().weights());
    assert_eq!(
        weights,
        r.trainer.model().to_torch(),
        "async read = sync read"
    );
    let mut s = pollster::block_on(r.session());
    assert!(s.is_checkpoint());
    s.settings.epochs = 5;
    let back = Session::from_bytes(&s.to_bytes_fast()).unwrap();
    assert!(back.is_checkpoint());
    let resume =
        |s: &Session| Run::resume(s.clone(), 5, backend::cpu_device(), Backend::Cpu, || 0.0);
    let mut resumed = resume(&back).unwrap();
    assert_eq!(resumed.epochs_done(), 3);
    assert_eq!(resumed.trainer.n_train(), r.trainer.n_train(), "same split");
    assert_eq!(
        resumed.trainer.model().to_torch(),
        s.weights,
        "same weights"
    );
    pollster::block_on(resumed.train(&mut Quiet));
    assert_eq!(resumed.history.len(), 5);
    let e4 = resumed.history[3];
    assert_eq!(e4.epoch, 4);
    assert!(e4.train.is_finite() && e4.test.is_finite(), "{e4:?}");
    assert_ne!(
        resumed.trainer.model().to_torch(),
        s.weights,
        "it trained on"
    );
    // Resuming is reproducible: the same checkpoint gives the same epochs.
    let mut again = resume(&back).unwrap();
    pollster::block_on(again.train(&mut Quiet));
    assert_eq!(again.history[3], e4);

    let w = s.weights.get_mut("enc1.weight").unwrap();
    w.0 = vec![1, w.1.len()];
    match resume(&s) {
        Err(RunError::Resume(e)) => assert!(e.contains("enc1.weight"), "{e}"),
        other => panic!(
            "expected a refusal naming the tensor, got {:?}",
            other.err()
        ),
    }
}

/// A version 1 session (written by `vrnn-clustering run` before sessions had their own schema:
/// tests/fixtures/session-v1.vrnn, 20 genes of cell type Macrophage, Dynamics, 3 epochs, k 3)
/// opens as version 2 with every fact in its one place, gives the files the version 1 CLI
/// wrote beside it, and goes on training.
#[test]
fn a_version_1_session_is_migrated() {
    let fixture = |name: &str| {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    let s = Session::from_bytes(&fixture("session-v1.vrnn")).unwrap();
    assert_eq!(s.version, session::VERSION);
    assert_eq!(s.source.name, "v1/sim.csv");
    assert_eq!(s.source.cell_type.as_deref(), Some("Macrophage"));
    assert_eq!(s.backend, Backend::Cpu);
    assert_eq!(s.settings.preset, Preset::Dynamics);
    assert_eq!(
        (s.settings.epochs, s.settings.k, s.settings.seed),
        (3, 3, 42)
    );
    assert_eq!(
        (s.settings.lr, s.settings.beta),
        (None, None),
        "the preset's own"
    );
    assert_eq!(s.epochs_done(), 3);
    assert_eq!(s.dataset.n_genes(), 20);
    let text = |name: &str| String::from_utf8(fixture(name)).unwrap();
    // clusters.csv has since gained the membership and core columns after `gene,cluster`.
    let first_two = |csv: String| -> String {
        csv.lines()
            .map(|l| l.split(',').take(2).collect::<Vec<_>>().join(",") + "\n")
            .collect()
    };
    assert_eq!(
        first_two(s.file(files::CLUSTERS_CSV, &[]).unwrap().contents),
        text("session-v1-clusters.csv")
    );
    assert_eq!(
        s.file(files::LOSS_CSV, &[]).unwrap().contents,
        text("session-v1-loss.csv")
    );
    // run.json: the same record, now derived from the session (plus the generator's name).
    let mut v1: serde_json::Value = serde_json::from_str(&text("session-v1-run.json")).unwrap();
    let mut v2: serde_json::Value = serde_json::from_str(&s.run_info().to_json()).unwrap();
    assert_eq!(v2["generator"], vrnn_kernels::rng::GENERATOR);
    // Recorded since version 1: the gene selection (version 1 runs used the variance), the
    // stability trainings (none) and the core threshold (the default).
    assert_eq!(v2["gene_selection"]["rule"], "Variance");
    assert_eq!(v2["stability_runs"], 0);
    assert_eq!(v2["analysis"]["core_threshold"], 0.5);
    // Version 1 split each batch into `threads` parts; that is now `parts`, and the threads
    // are the timings' (one where not recorded).
    assert_eq!(v2["config"]["parts"], v1["config"]["threads"]);
    assert_eq!(v2["timings"]["threads"], 1);
    v1["config"].as_object_mut().unwrap().remove("threads");
    v2["config"].as_object_mut().unwrap().remove("parts");
    v2["timings"].as_object_mut().unwrap().remove("threads");
    for v in [&mut v1, &mut v2] {
        let o = v.as_object_mut().unwrap();
        o.remove("generator");
        o.remove("version");
        o.remove("gene_selection");
        o.remove("stability_runs");
        let a = o["analysis"].as_object_mut().unwrap();
        a.remove("core_threshold");
        a["timings"].as_object_mut().unwrap().remove("stability_s");
        o["timings"]
            .as_object_mut()
            .unwrap()
            .remove("seconds_per_epoch");
    }
    assert_eq!(v2, v1);
    let _one_at_a_time = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    let mut r = Run::resume(s, 4, backend::cpu_device(), Backend::Cpu, || 0.0).unwrap();
    pollster::block_on(r.train(&mut Quiet));
    assert_eq!(r.history.len(), 4);
    assert!(r.history[3].train.is_finite());
}

/// Splitting each batch into parts (`TrainConfig::parts`) trains the same model as one
/// pass, up to rounding: the same initial weights and the same noise. (That the gradients add
/// up to the batch's is `train`'s unit test; Adam hides a gradient's scale, so weights after a
/// few steps are a weak check of it.)
#[test]
fn training_split_into_parts_matches_one_pass() {
    let _one_at_a_time = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    let d = dataset();
    let run = |parts| {
        let config = TrainConfig::new()
            .with_epochs(3)
            .with_seed(9)
            .with_batch_size(16)
            .with_parts(parts);
        let device = backend::training_device(backend::cpu_device(), 9);
        let mut trainer = Trainer::new(config, &d.means, 40, 5, &device);
        trainer.set_threads(parts);
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

thread_local! {
    static TICKS: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

/// A clock that moves one second each time it is read (per thread: tests run in parallel).
fn ticking() -> f64 {
    TICKS.with(|t| {
        t.set(t.get() + 1.0);
        t.get()
    })
}

/// Stops before its `stop_at`-th batch.
struct StopAt {
    batches: usize,
    stop_at: usize,
}

impl vrnn_engine::Hooks for StopAt {
    async fn before_batch(&mut self) -> bool {
        self.batches += 1;
        self.batches < self.stop_at
    }
}

#[test]
fn a_run_times_its_training_steps_for_auto() {
    let _one_at_a_time = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    let timed = |most: usize, budget_s: f64, batch_size: usize, stop_at: usize| {
        let (mut run, _) = Run::new(
            &dataset(),
            Source::default(),
            TrainSettings {
                batch_size: Some(batch_size),
                ..settings(5, 7)
            },
            backend::cpu_device(),
            Backend::Cpu,
            ticking,
        )
        .unwrap();
        let mut hooks = StopAt {
            batches: 0,
            stop_at,
        };
        let per_epoch = pollster::block_on(run.time_batches(&mut hooks, 1, most, budget_s));
        assert_eq!(run.trainer.epochs_done(), 0, "timing is not training");
        (per_epoch, run.trainer.batches_per_epoch())
    };
    // One second per clock read: 3 timed batches read it 4 times after the start.
    let (per_epoch, batches) = timed(3, 100.0, 400, usize::MAX);
    assert_eq!(batches, 1);
    assert_eq!(per_epoch, Some(4.0 / 3.0));
    // The budget ends the timing early (after the second batch here), and an epoch of 3
    // batches costs 3 of them.
    let (per_epoch, batches) = timed(10, 1.5, 12, usize::MAX);
    assert_eq!(batches, 3);
    assert_eq!(per_epoch, Some(3.0 / 2.0 * 3.0));
    // Cancelled (the hooks say stop) while warming up or while timing.
    assert_eq!(timed(3, 100.0, 400, 1).0, None);
    assert_eq!(timed(3, 100.0, 400, 3).0, None);
}
