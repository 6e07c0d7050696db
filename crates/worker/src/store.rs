//! Runs kept in the browser's IndexedDB, so that a closed tab or a crashed worker costs only
//! the epochs since the last checkpoint. Two object stores keyed by run id: `runs` holds a
//! small JSON description of each run (listed without reading any file), `files` holds the
//! session file's bytes. A third, `speeds`, keeps `Auto`'s timings of this machine. Every failure (no IndexedDB in a private window, a full quota) comes
//! back as a message for the page to show; none is fatal.
//!
//! Written against web-sys directly: the IndexedDB crates wrap the same few calls with more
//! dependencies than this needs.

use std::cell::RefCell;

use vrnn_protocol::{MeasuredSpeeds, SavedRun};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbRequest, IdbTransaction, IdbTransactionMode};

const DB_NAME: &str = "vrnn-clustering";
/// 2 added `speeds`; opening a version-1 database adds it and keeps the runs.
const DB_VERSION: u32 = 2;
const RUNS: &str = "runs";
const FILES: &str = "files";
const SPEEDS: &str = "speeds";

thread_local! {
    static DB: RefCell<Option<IdbDatabase>> = const { RefCell::new(None) };
}

/// A DOMException or other JS error as "Name: message".
fn describe(e: &JsValue) -> String {
    if let Some(d) = e.dyn_ref::<web_sys::DomException>() {
        return format!("{}: {}", d.name(), d.message());
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// Resolves with the request's result, or rejects with its error.
async fn done(req: &IdbRequest) -> Result<JsValue, String> {
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let r = req.clone();
        let ok = Closure::once_into_js(move |_: web_sys::Event| {
            let _ = resolve.call1(&JsValue::NULL, &r.result().unwrap_or(JsValue::UNDEFINED));
        });
        let r = req.clone();
        let err = Closure::once_into_js(move |_: web_sys::Event| {
            let e = r.error().ok().flatten().map(JsValue::from);
            let _ = reject.call1(&JsValue::NULL, &e.unwrap_or(JsValue::UNDEFINED));
        });
        req.set_onsuccess(Some(ok.unchecked_ref()));
        req.set_onerror(Some(err.unchecked_ref()));
    });
    JsFuture::from(promise).await.map_err(|e| describe(&e))
}

/// Resolves when a read-write transaction is committed (so the data is on disk), rejects when
/// it aborts (a full quota shows up here).
async fn committed(tx: &IdbTransaction) -> Result<(), String> {
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let ok = Closure::once_into_js(move |_: web_sys::Event| {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let t = tx.clone();
        let fail = Closure::once_into_js(move |_: web_sys::Event| {
            let e = t.error().map(JsValue::from);
            let _ = reject.call1(&JsValue::NULL, &e.unwrap_or(JsValue::UNDEFINED));
        });
        tx.set_oncomplete(Some(ok.unchecked_ref()));
        tx.set_onabort(Some(fail.unchecked_ref()));
    });
    JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(|e| describe(&e))
}

/// The database, opened (and created) on first use.
async fn db() -> Result<IdbDatabase, String> {
    if let Some(db) = DB.with(|d| d.borrow().clone()) {
        return Ok(db);
    }
    let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let factory = scope
        .indexed_db()
        .map_err(|e| describe(&e))?
        .ok_or("this browser offers no IndexedDB here (a private window?)")?;
    let open = factory
        .open_with_u32(DB_NAME, DB_VERSION)
        .map_err(|e| describe(&e))?;
    let o = open.clone();
    let upgrade = Closure::once_into_js(move |_: web_sys::Event| {
        if let Ok(db) = o.result() {
            let db: IdbDatabase = db.unchecked_into();
            // A store that exists already (an upgrade from version 1) is an error, ignored.
            for name in [RUNS, FILES, SPEEDS] {
                let _ = db.create_object_store(name);
            }
        }
    });
    open.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
    let db: IdbDatabase = done(&open).await?.unchecked_into();
    DB.with(|d| *d.borrow_mut() = Some(db.clone()));
    Ok(db)
}

fn transaction(db: &IdbDatabase, mode: IdbTransactionMode) -> Result<IdbTransaction, String> {
    let names = js_sys::Array::of2(&RUNS.into(), &FILES.into());
    db.transaction_with_str_sequence_and_mode(&names, mode)
        .map_err(|e| describe(&e))
}

/// Keeps (or replaces) a run and its session file.
pub async fn put(run: &SavedRun, bytes: &[u8]) -> Result<(), String> {
    let db = db().await?;
    let tx = transaction(&db, IdbTransactionMode::Readwrite)?;
    let json = serde_json::to_string(run).map_err(|e| e.to_string())?;
    let key = JsValue::from_str(&run.id);
    let store = |name| tx.object_store(name).map_err(|e| describe(&e));
    store(RUNS)?
        .put_with_key(&JsValue::from_str(&json), &key)
        .map_err(|e| describe(&e))?;
    store(FILES)?
        .put_with_key(&js_sys::Uint8Array::from(bytes), &key)
        .map_err(|e| describe(&e))?;
    committed(&tx).await
}

/// Every kept run, newest first.
pub async fn list() -> Result<Vec<SavedRun>, String> {
    let db = db().await?;
    let tx = transaction(&db, IdbTransactionMode::Readonly)?;
    let req = tx
        .object_store(RUNS)
        .and_then(|s| s.get_all())
        .map_err(|e| describe(&e))?;
    let all: js_sys::Array = done(&req).await?.unchecked_into();
    let mut runs: Vec<SavedRun> = all
        .iter()
        .filter_map(|v| v.as_string())
        .filter_map(|json| serde_json::from_str(&json).ok())
        .collect();
    runs.sort_by(|a, b| b.saved_at.total_cmp(&a.saved_at));
    Ok(runs)
}

/// A kept run's description and session file.
pub async fn get(id: &str) -> Result<(SavedRun, Vec<u8>), String> {
    let db = db().await?;
    let tx = transaction(&db, IdbTransactionMode::Readonly)?;
    let key = JsValue::from_str(id);
    let store = |name| tx.object_store(name).map_err(|e| describe(&e));
    let run_req = store(RUNS)?.get(&key).map_err(|e| describe(&e))?;
    let file_req = store(FILES)?.get(&key).map_err(|e| describe(&e))?;
    let run = done(&run_req)
        .await?
        .as_string()
        .and_then(|json| serde_json::from_str(&json).ok())
        .ok_or("this saved analysis is no longer in the browser's storage")?;
    let file = done(&file_req).await?;
    let bytes = file
        .dyn_into::<js_sys::Uint8Array>()
        .map(|b| b.to_vec())
        .map_err(|_| "this saved analysis has lost its data")?;
    Ok((run, bytes))
}

/// Forgets a kept run.
pub async fn delete(id: &str) -> Result<(), String> {
    let db = db().await?;
    let tx = transaction(&db, IdbTransactionMode::Readwrite)?;
    let key = JsValue::from_str(id);
    for name in [RUNS, FILES] {
        tx.object_store(name)
            .and_then(|s| s.delete(&key))
            .map_err(|e| describe(&e))?;
    }
    committed(&tx).await
}

/// `Auto`'s timings kept under `key` (see `compute`), if any.
pub async fn speeds(key: &str) -> Result<Option<MeasuredSpeeds>, String> {
    let db = db().await?;
    let tx = db
        .transaction_with_str_and_mode(SPEEDS, IdbTransactionMode::Readonly)
        .map_err(|e| describe(&e))?;
    let req = tx
        .object_store(SPEEDS)
        .and_then(|s| s.get(&JsValue::from_str(key)))
        .map_err(|e| describe(&e))?;
    Ok(done(&req)
        .await?
        .as_string()
        .and_then(|json| serde_json::from_str(&json).ok()))
}

/// Keeps `Auto`'s timings under `key`.
pub async fn keep_speeds(key: &str, speeds: &MeasuredSpeeds) -> Result<(), String> {
    let db = db().await?;
    let tx = db
        .transaction_with_str_and_mode(SPEEDS, IdbTransactionMode::Readwrite)
        .map_err(|e| describe(&e))?;
    let json = serde_json::to_string(speeds).map_err(|e| e.to_string())?;
    tx.object_store(SPEEDS)
        .and_then(|s| s.put_with_key(&JsValue::from_str(&json), &JsValue::from_str(key)))
        .map_err(|e| describe(&e))?;
    committed(&tx).await
}
