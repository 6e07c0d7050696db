//! Handing figures to plotly.js: drawing into a container, the toolbar's SVG button, and
//! clicks on points.

use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use plotly::Plot;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = Plotly, js_name = react)]
    async fn plotly_react(id: &str, figure: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_namespace = Plotly, js_name = downloadImage)]
    async fn plotly_download_image(gd: JsValue, options: JsValue) -> Result<JsValue, JsValue>;
}

/// The file name a plot saves under: `vrnn-<data-plot>`.
fn file_stem(gd: &JsValue) -> String {
    let name = gd
        .dyn_ref::<web_sys::Element>()
        .and_then(|e| e.get_attribute("data-plot"))
        .unwrap_or_else(|| "plot".into());
    format!("vrnn-{name}")
}

thread_local! {
    /// One shared click handler for the toolbar's "save as SVG" button (plotly's own camera
    /// button saves PNG).
    static SVG_BUTTON: JsValue = svg_button();
}

fn svg_button() -> JsValue {
    let click = Closure::<dyn Fn(JsValue)>::new(|gd: JsValue| {
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"format".into(), &"svg".into());
        let _ = js_sys::Reflect::set(&options, &"filename".into(), &file_stem(&gd).into());
        leptos::task::spawn_local(async move {
            if let Err(e) = plotly_download_image(gd, options.into()).await {
                web_sys::console::error_2(&"saving the plot as SVG failed:".into(), &e);
            }
        });
    })
    .into_js_value();
    let icon = js_sys::Reflect::get(&js_sys::global(), &"Plotly".into())
        .and_then(|p| js_sys::Reflect::get(&p, &"Icons".into()))
        .and_then(|i| js_sys::Reflect::get(&i, &"camera".into()))
        .unwrap_or(JsValue::UNDEFINED);
    let button = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&button, &"name".into(), &"Download plot as SVG".into());
    let _ = js_sys::Reflect::set(&button, &"title".into(), &"Download plot as SVG".into());
    let _ = js_sys::Reflect::set(&button, &"icon".into(), &icon);
    let _ = js_sys::Reflect::set(&button, &"click".into(), &click);
    button.into()
}

/// Draws (or updates) a plot in the element with this id.
pub fn draw(id: &'static str, plot: Plot) {
    draw_figure(id, figure(&plot));
}

/// Draws a figure given as plotly JSON. Errors are logged, never panics (a panic would kill
/// the app).
pub fn draw_figure(id: &'static str, figure: Value) {
    draw_then(id, figure, || {});
}

/// [`draw_figure`], then `after` once the plot exists (plotly draws asynchronously).
pub fn draw_then(id: &'static str, figure: Value, after: impl FnOnce() + 'static) {
    let mut figure = figure;
    if let Some(el) = leptos::prelude::document().get_element_by_id(id) {
        figure["config"]["toImageButtonOptions"] = json!({ "filename": file_stem(&el.into()) });
    }
    leptos::task::spawn_local(async move {
        let Ok(obj) = js_sys::JSON::parse(&figure.to_string()) else {
            return;
        };
        if let Ok(config) = js_sys::Reflect::get(&obj, &"config".into()) {
            let buttons = js_sys::Array::of1(&SVG_BUTTON.with(|b| b.clone()));
            let _ = js_sys::Reflect::set(&config, &"modeBarButtonsToAdd".into(), &buttons);
        }
        match plotly_react(id, obj).await {
            Ok(_) => after(),
            Err(e) => web_sys::console::error_2(&format!("plot {id} failed:").into(), &e),
        }
    });
}

/// A plotly.rs plot as figure JSON.
pub fn figure(plot: &Plot) -> Value {
    serde_json::from_str(&plot.to_json()).unwrap_or(Value::Null)
}

/// Calls `on_click(gene index)` when a point carrying a gene index is clicked. Binds once per
/// element (plotly keeps listeners across `react`).
pub fn on_point_click(id: &'static str, on_click: impl Fn(usize) + 'static) {
    let Some(el) = leptos::prelude::document().get_element_by_id(id) else {
        return;
    };
    let key = JsValue::from_str("__vrnnClickBound");
    if js_sys::Reflect::get(&el, &key)
        .map(|v| v.is_truthy())
        .unwrap_or(false)
    {
        return;
    }
    let Ok(on) = js_sys::Reflect::get(&el, &JsValue::from_str("on")) else {
        return;
    };
    let Some(on) = on.dyn_ref::<js_sys::Function>() else {
        return;
    };
    let handler = Closure::<dyn Fn(JsValue)>::new(move |data: JsValue| {
        let index = js_sys::Reflect::get(&data, &"points".into())
            .ok()
            .and_then(|p| p.dyn_into::<js_sys::Array>().ok())
            .map(|p| p.get(0))
            .and_then(|pt| js_sys::Reflect::get(&pt, &"customdata".into()).ok())
            .and_then(|c| c.as_f64());
        if let Some(i) = index {
            on_click(i as usize);
        }
    });
    if on
        .call2(&el, &JsValue::from_str("plotly_click"), handler.as_ref())
        .is_ok()
    {
        let _ = js_sys::Reflect::set(&el, &key, &JsValue::TRUE);
        handler.forget();
    }
}
