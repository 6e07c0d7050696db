// A training helper's bootstrap (crates/worker/src/pool.rs starts it). Its first message is the
// helpers' WebAssembly.Module, compiled once by the training worker and shared by every helper;
// the wasm-bindgen glue is loaded and instantiates it, and the helper's Rust code then takes
// over this worker's messages and says Ready. A failure to start is thrown, so that the
// training worker sees this helper's error event and computes its parts itself.
'use strict';
self.onmessage = (event) => {
  self.onmessage = null;
  importScripts('./vrnn-helper.js');
  wasm_bindgen({ module_or_path: event.data }).catch((e) => {
    setTimeout(() => { throw e; });
  });
};
