//! Runs kept and given back: the browser's storage (checkpoints and finished sessions), a
//! reopened session, and the run's files for download.

use vrnn_engine::{EpochLosses, Session};
use vrnn_protocol::{files, Compute, EpochReport, Response, SavedRun};

use crate::load::summary;
use crate::run::{resume, Exclusive};
use crate::state::{fail, post, post_with_bytes, CancelFlag, CurrentRun, Data, Shared};
use crate::store;

/// A fresh id for a run in the browser's storage.
pub fn new_run_id() -> String {
    format!(
        "{:x}-{:04x}",
        js_sys::Date::now() as u64,
        (js_sys::Math::random() * 65536.0) as u32
    )
}

/// The losses as the page's loss plot takes them.
pub fn reports(history: &[EpochLosses], epochs: usize, per_epoch: f64) -> Vec<EpochReport> {
    history
        .iter()
        .map(|e| EpochReport {
            epoch: e.epoch,
            epochs,
            train_loss: e.train,
            test_loss: e.test,
            elapsed: per_epoch * e.epoch as f64,
        })
        .collect()
}

/// Writes the current run to the browser's storage; a failure is said once, never fatal.
pub async fn keep(state: &Shared, finished: bool) {
    let Some((id, bytes, mut meta)) = state.borrow().current.as_ref().map(|c| {
        let s = &c.session;
        let bytes = if finished {
            s.to_bytes()
        } else {
            s.to_bytes_fast()
        };
        let meta = SavedRun {
            id: c.id.clone(),
            source: s.source.name.clone(),
            cell_type: s.source.cell_type.clone(),
            preset: s.settings.preset.label().into(),
            epochs_done: s.epochs_done(),
            epochs_total: s.settings.epochs,
            finished,
            saved_at: 0.0,
            bytes: bytes.len() as f64,
        };
        (c.id.clone(), bytes, meta)
    }) else {
        return;
    };
    meta.saved_at = js_sys::Date::now();
    match store::put(&meta, &bytes).await {
        Ok(()) => {
            post(&Response::Stored {
                id,
                epochs: meta.epochs_done,
                finished,
            });
            list().await;
        }
        Err(e) => {
            let mut st = state.borrow_mut();
            let Some(c) = st.current.as_mut().filter(|c| c.id == id) else {
                return;
            };
            if !c.storage_warned {
                c.storage_warned = true;
                post(&Response::Notice {
                    message: format!(
                        "This run could not be kept in the browser's storage ({e}); it goes on, but will not survive a reload: use Download session."
                    ),
                });
            }
        }
    }
}

pub async fn list() {
    match store::list().await {
        Ok(runs) => post(&Response::SavedRuns(runs)),
        Err(e) => post(&Response::Notice {
            message: format!("Saved analyses cannot be listed: {e}."),
        }),
    }
}

pub async fn delete(id: String) {
    if let Err(e) = store::delete(&id).await {
        post(&Response::Notice {
            message: format!("The saved analysis could not be deleted: {e}."),
        });
    }
    list().await;
}

/// Shows a session (a dropped file or a kept run): its data set, losses and analysis come back
/// without the CSV; a checkpoint comes back ready to go on training.
pub fn show(state: &Shared, file_name: &str, mut s: Session, id: Option<String>) {
    // The gene sets the page holds now apply to the opened analysis too.
    if let (Some(a), Some(sets)) = (s.analysis.as_mut(), state.borrow().gene_sets.clone()) {
        a.set_gene_sets(Some(sets));
    }
    let data = Data {
        dataset: std::rc::Rc::new(s.dataset.clone()),
        tally: None,
        file_name: s.source.name.clone(),
        cell_type: s.source.cell_type.clone(),
        read: Default::default(),
        info: s.source.read.clone(),
        extras: Default::default(),
    };
    post(&Response::Loaded(summary(&data)));
    let epochs_total = s.settings.epochs;
    post(&Response::Restored {
        file_name: file_name.to_string(),
        history: reports(
            &s.history,
            epochs_total,
            s.train_s / s.epochs_done().max(1) as f64,
        ),
        backend: s.backend,
        seconds: s.train_s,
        epochs_total,
        analysed: s.analysis.is_some(),
    });
    if let Some(a) = &s.analysis {
        post(&Response::Analysed(Box::new(a.view())));
    }
    if let Some(id) = &id {
        // The page needs the kept copy's id to reopen it should this worker crash.
        post(&Response::Stored {
            id: id.clone(),
            epochs: s.epochs_done(),
            finished: s.analysis.is_some(),
        });
    }
    let mut st = state.borrow_mut();
    st.data = Some(data);
    st.current = Some(CurrentRun::new(id.unwrap_or_else(new_run_id), s));
}

/// Reopens a kept run and, when asked, goes on training it at once.
pub async fn open(state: Shared, cancel: CancelFlag, id: String, resume_on: Option<Compute>) {
    let opened = store::get(&id).await.and_then(|(run, bytes)| {
        Session::from_bytes(&bytes)
            .map(|s| (run, s))
            .map_err(|e| e.to_string())
    });
    let (run, s) = match opened {
        Ok(x) => x,
        Err(e) => return fail(format!("The saved analysis could not be opened: {e}")),
    };
    if state.borrow().running {
        return fail("a training run is in progress: cancel it before reopening another");
    }
    let label = format!("the saved analysis of {}", run.source);
    show(&state, &label, s.clone(), Some(id.clone()));
    if let Some(compute) = resume_on {
        let target = s.settings.epochs;
        let note = format!(
            "Training goes on from the checkpoint at epoch {} of {target}.",
            s.epochs_done()
        );
        Exclusive::hold(&state)
            .run(resume(&state, &cancel, s, id, target, compute, Some(note)))
            .await;
    }
}

/// Sends one of the run's files, named as in [`files`].
pub fn export(state: &Shared, name: &str) {
    let st = state.borrow();
    let current = st.current.as_ref();
    if name == files::SESSION {
        let Some(c) = current.filter(|c| c.session.analysis.is_some()) else {
            return fail(format!("{name} is not available: train a model first"));
        };
        let source = &c.session.source.name;
        let stem = source.rsplit_once('.').map_or(source.as_str(), |(s, _)| s);
        return post_with_bytes(
            &Response::BinaryFile {
                name: format!("{stem}.{}", files::SESSION_EXTENSION),
                mime: files::mime(files::SESSION).into(),
                bytes: Vec::new(),
            },
            &c.session.to_bytes(),
        );
    }
    let file = current.and_then(|c| c.session.file(name, c.similar.as_slice()));
    match file {
        Some(f) => post(&Response::File {
            name: f.name,
            mime: f.mime.into(),
            contents: f.contents,
        }),
        None if name == files::GENES_CSV && current.is_some() => fail(format!(
            "{name} is not in this run: it was saved before the gene table existed (train again to get it)"
        )),
        None => fail(format!("{name} is not available: train a model first")),
    }
}
