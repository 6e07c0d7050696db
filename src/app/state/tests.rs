//! The state's tests: its defaults, the URL's settings and the settings a run is sent.

use super::*;

#[test]
fn a_new_page_starts_from_the_shared_defaults() {
    let s = AppState::new(UrlSettings::default());
    let d = TrainSettings::default();
    assert_eq!(s.epochs.get_untracked(), Preset::default().default_epochs());
    assert_eq!(s.seed.get_untracked(), defaults::SEED);
    assert_eq!(s.k.get_untracked(), defaults::K);
    assert_eq!(s.batch_size.get_untracked(), defaults::BATCH_SIZE);
    assert_eq!(s.genes.get_untracked(), defaults::MAX_GENES);
    assert_eq!(s.goi_text.get_untracked(), "IRF1, CXCL9, CXCL10");
    // Untouched controls ask for the defaults, spelled out.
    assert_eq!(
        s.train_settings(),
        TrainSettings {
            genes: Some(defaults::MAX_GENES),
            batch_size: Some(defaults::BATCH_SIZE),
            ..d
        }
    );
}

#[test]
fn url_epochs_survive_a_preset_change() {
    let s = AppState::new(UrlSettings {
        compute: Some(Compute::Cpu),
        epochs: Some(3),
        aids: Vec::new(),
        workers: Some(2),
    });
    assert_eq!(s.workers.get_untracked(), 2);
    assert_eq!(s.compute.get_untracked(), Compute::Cpu);
    s.choose_preset(Preset::Reference);
    assert_eq!(s.epochs.get_untracked(), 3);

    let s = AppState::new(UrlSettings::default());
    s.choose_preset(Preset::Reference);
    assert_eq!(s.epochs.get_untracked(), Preset::Reference.default_epochs());
}

#[test]
fn settings_are_raised_to_their_minimum_and_genes_split() {
    let s = AppState::new(UrlSettings::default());
    s.epochs.set(0);
    s.k.set(0);
    s.goi_text.set("STAT1;  IRF1".into());
    let t = s.train_settings();
    assert_eq!((t.epochs, t.k), (1, 1));
    assert_eq!(t.keep, ["STAT1", "IRF1"]);
    s.fdr.set(0.0);
    s.stability_runs.set(50);
    s.selection.set(GeneSelection::Change);
    let t = s.train_settings();
    assert_eq!(t.fdr, MIN_FDR);
    assert_eq!(t.stability_runs, MAX_STABILITY_RUNS);
    assert_eq!(t.selection, GeneSelection::Change);
    s.fdr.set(f64::NAN);
    assert_eq!(s.train_settings().fdr, defaults::FDR);
}
