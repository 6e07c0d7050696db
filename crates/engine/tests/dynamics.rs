//! The Dynamics preset clusters by shape: on a small simulation with planted modules whose
//! levels are independent of their shapes, it must recover the modules far better than
//! clustering raw means (which follows expression level), and the Reference preset must keep
//! the reference's exact configuration.

use vrnn_engine::evaluate::{adjusted_rand_index, baseline, run_preset};
use vrnn_engine::preset::{self, Preset, Scaling};
use vrnn_engine::simulate::{simulate, Simulation, SimulationConfig};
use vrnn_engine::{read_table, Dataset, IngestOptions, TrainConfig};
use vrnn_types::TrainSettings;

/// A simulated time course, read back through the ingest, and its planted modules.
fn simulated(genes: usize, cells_per_time: usize, seed: u64) -> (Dataset, Simulation) {
    let config = SimulationConfig::new()
        .with_genes(genes)
        .with_cells_per_time(cells_per_time)
        .with_seed(seed);
    let mut csv = Vec::new();
    let truth = simulate(&config, &mut csv).unwrap();
    (
        read_table(&csv[..], &IngestOptions::default()).unwrap(),
        truth,
    )
}

#[test]
fn dynamics_recovers_planted_modules_where_raw_means_fail() {
    let (d, truth) = simulated(300, 80, 5);

    let raw = adjusted_rand_index(&baseline(&d, Scaling::None, false, 6, 5), &truth.modules);
    let (labels, _) = run_preset(&d, Preset::Dynamics, 150, 5, 6, || 0.0);
    let dynamics = adjusted_rand_index(&labels, &truth.modules);
    assert!(raw < 0.3, "raw means follow level, not shape: ARI {raw}");
    assert!(dynamics > 0.6, "Dynamics ARI {dynamics}");
    assert!(dynamics > raw + 0.4, "Dynamics {dynamics} vs raw {raw}");
}

/// With 10,000 simulated genes, two thirds of them responding, normalisation makes the flat
/// genes look repressed; the compositional correction finds the shared factor and undoes it.
#[test]
fn compositional_correction_separates_flat_from_repressed_genes() {
    let (d, truth) = simulated(10_000, 60, 2);
    let factors = vrnn_engine::composition::log_factors(&d).expect("log1p data");
    assert_eq!(factors[0], 0.0);
    assert!(factors[4] < -0.15, "a shift at 24 h: {factors:?}");

    let ari = |composition| {
        let labels = baseline(&d, Scaling::SnrZScore, composition, 6, 2);
        adjusted_rand_index(&labels, &truth.modules)
    };
    let (plain, corrected) = (ari(false), ari(true));
    // Measured: 0.674 plain, 0.762 corrected (60 cells per time point).
    assert!(
        corrected > plain + 0.05,
        "corrected {corrected} vs plain {plain}"
    );
    assert!(preset::Recipe::of(Preset::Dynamics).composition);
    assert!(!preset::Recipe::of(Preset::Reference).composition);
}

#[test]
fn reference_preset_is_the_reference_configuration() {
    // What a run of the Reference preset trains with, from its settings as any front sends
    // them, is exactly the reference's configuration.
    let settings = TrainSettings {
        preset: Preset::Reference,
        epochs: Preset::Reference.default_epochs(),
        ..TrainSettings::default()
    };
    assert_eq!(
        preset::Recipe::for_settings(&settings).train_config_for(&settings),
        TrainConfig::new()
    );
    let r = preset::Recipe::of(Preset::Reference);
    assert_eq!(r.scaling, Scaling::None);
    assert!(!r.observation_variance && !r.decoder_previous_h);
}
